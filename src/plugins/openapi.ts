import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

declare module 'fastify' {
  interface FastifySchema {
    /** Documentation-only body of a multipart route (see the transform below). */
    multipartBody?: unknown;
  }
}

export const API_TAGS = [
  { name: 'loan-bookings', description: 'Loan bookings: one customer, one product, its documents and its booking sheet.' },
  { name: 'documents', description: 'Upload, list, download and delete a booking\'s documents; processing status.' },
  { name: 'extraction', description: 'Structured extraction runs and the extraction schemas.' },
  { name: 'booking-sheets', description: 'The reviewed booking sheet: versions, edits, review and approval.' },
  { name: 'products', description: 'The product catalogue.' },
  { name: 'auth', description: 'Tokens, the caller, users and the security audit log.' },
  { name: 'operations', description: 'Health, metrics and administration.' },
];

// tokens.ts pins the algorithm list and the `typ` header on verification and signs short-lived tokens:
// the RFC 8725 practices a client can rely on.
const JWT_PRACTICES =
  'Short-lived signed JWT (JWS) handled per RFC8725: verification pins the algorithm list (never "none") and checks iss, aud and exp; tokens this service issues also carry and require an explicit typ.';

type OpenApiDocument = Record<string, unknown> & {
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, unknown>;
  servers?: Record<string, unknown>[];
};
type ResponseObject = Record<string, unknown> & { headers?: Record<string, unknown> };

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

/**
 * Response headers every route shares, declared once here so that each route, including routes added
 * later, documents them without repeating them: CORS and the request id on every response, the
 * rate-limit state on the 2xx/4xx answers of /api routes (the access pipeline sets it), Retry-After
 * on 429 and 503.
 */
const SHARED_HEADERS: Record<string, Record<string, unknown>> = {
  'Access-Control-Allow-Origin': {
    description: 'The request\'s Origin, echoed when it is in CORS_ORIGINS; absent for other origins and for non-browser clients.',
    schema: { type: 'string', maxLength: 2048, pattern: '^https?://[^/\\s]+$' },
  },
  'X-Request-ID': {
    description: 'Correlation id of this request: the well-formed incoming X-Request-ID, else a generated one. Also in logs and error bodies.',
    schema: { type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9._:-]{8,128}$' },
  },
  'RateLimit-Limit': {
    description: 'Requests allowed in the current window for the bucket that applies (per user, per address, or the route\'s stricter bucket). Sent once the limit has been evaluated, so not on a 401 or 403 refused before it.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2147483647 },
  },
  'RateLimit-Remaining': {
    description: 'Requests left in the current window.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2147483647 },
  },
  'RateLimit-Reset': {
    description: 'Seconds until the current window resets.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86400 },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying (rate limited, overloaded, or a dependency briefly unavailable).',
    schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 86400 },
  },
};

const pascal = (s: string) => s.replace(/(^|[-_.])([a-zA-Z0-9])/g, (_m, _sep: string, c: string) => c.toUpperCase());

/** `GET /api/v1/loan-bookings/{id}/documents` -> `getLoanBookingsByIdDocuments`: stable, unique per operation. */
export function operationIdFor(method: string, path: string): string {
  const parts = path
    .replace(/^\/api\/v\d+/, '')
    .split('/')
    .filter(Boolean)
    .map((seg) => (seg.startsWith('{') ? `By${pascal(seg.slice(1, -1))}` : pascal(seg)));
  return `${method.toLowerCase()}${parts.join('')}`;
}

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/**
 * Declares the width of every integer schema that does not name one: int32 when its own bounds fit
 * 32 bits, else int64 (a JSON number from this service never exceeds 2^53). Derived from the bounds the
 * route declares, so a route still has to bound its integers; it only spares each one the repetition.
 */
function declareIntegerFormats(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) declareIntegerFormats(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  const type = schema.type;
  const isInteger = type === 'integer' || (Array.isArray(type) && type.includes('integer'));
  if (isInteger && schema.format === undefined) {
    const { minimum, maximum } = schema;
    const fits32 = typeof minimum === 'number' && typeof maximum === 'number' && minimum >= INT32_MIN && maximum <= INT32_MAX;
    schema.format = fits32 ? 'int32' : 'int64';
  }
  for (const value of Object.values(schema)) declareIntegerFormats(value);
}

/** Adds the shared response headers, operation ids, integer formats and header components to the generated document. */
export function hardenDocument<T extends OpenApiDocument>(doc: T): T {
  declareIntegerFormats(doc.paths);
  declareIntegerFormats(doc.components);
  const components = (doc.components ??= {});
  components.headers = { ...(components.headers ?? {}), ...SHARED_HEADERS };
  // The API serves the bank's own staff and systems, never the public (OpenAPI's x-internal convention).
  for (const server of doc.servers ?? []) server['x-internal'] ??= true;
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const rateLimited = path.startsWith('/api/');
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method) || typeof op !== 'object' || op === null) continue;
      const operation = op as Record<string, unknown> & { responses?: Record<string, ResponseObject> };
      let id = typeof operation.operationId === 'string' ? operation.operationId : operationIdFor(method, path);
      for (let n = 2; seen.has(id); n++) id = `${operationIdFor(method, path)}${n}`;
      seen.add(id);
      operation.operationId = id;
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (typeof response !== 'object' || response === null || '$ref' in response) continue;
        const headers: Record<string, unknown> = {
          'Access-Control-Allow-Origin': headerRef('Access-Control-Allow-Origin'),
          'X-Request-ID': headerRef('X-Request-ID'),
        };
        if (rateLimited && /^[24]/.test(status)) {
          for (const h of ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) headers[h] = headerRef(h);
        }
        if (status === '429' || status === '503') headers['Retry-After'] = headerRef('Retry-After');
        response.headers = { ...headers, ...(response.headers ?? {}) };
      }
    }
  }
  return doc;
}

export interface OpenApiOptions {
  version: string;
  docsEnabled: boolean;
  tokenUrl: string;
}

/** OpenAPI 3.1 document generated from route schemas; served at /openapi.json, UI at /docs. */
export const openApiPlugin = fp(
  async (app: FastifyInstance, opts: OpenApiOptions) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Commercial Loan Service API',
          description:
            'Loan bookings, their documents, structured extraction of loan terms with evidence, and the reviewed booking sheet. ' +
            'Every error is application/problem+json (RFC 9457) with a stable `error_code`.',
          version: opts.version,
          contact: { name: 'Commercial Lending Platform team', email: 'lending-platform@example.com', url: 'https://example.com/lending-platform' },
          license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
        },
        // Relative on purpose: the same document is served by local, staging and production deployments,
        // each behind its own TLS-terminating load balancer (hardenDocument marks the audience).
        servers: [{ url: '/', description: 'The deployment serving this document (local, staging or production).' }],
        tags: API_TAGS,
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description: `Access token from POST ${opts.tokenUrl}. ${JWT_PRACTICES}`,
            },
            oauth2: {
              type: 'oauth2',
              description: `OAuth2 password flow (form-encoded username and password); the refresh_token grant at the same URL rotates tokens. ${JWT_PRACTICES}`,
              flows: { password: { tokenUrl: opts.tokenUrl, refreshUrl: opts.tokenUrl, scopes: {} } },
            },
          },
        },
        security: [{ bearerAuth: [] }, { oauth2: [] }],
      },
      // Multipart bodies are streamed by the handler, never parsed into `request.body`, so Fastify must not
      // validate them; routes declare them as `multipartBody` and they are shown as the request body here.
      transform: ({ schema, url }) => {
        const s = schema as Record<string, unknown> | undefined;
        const multipartBody = s?.multipartBody;
        if (!s || !multipartBody) return { schema: schema, url };
        const { multipartBody: _omit, ...rest } = s;
        const body = rest.body as { content?: Record<string, unknown> } | undefined;
        const content = { ...(body?.content ?? {}), 'multipart/form-data': { schema: multipartBody } };
        return { schema: { ...rest, body: { content } }, url };
      },
      transformObject: (documentObject) => hardenDocument((documentObject as { openapiObject: OpenApiDocument }).openapiObject),
      refResolver: {
        buildLocalReference(json, _baseUri, _fragment, i) {
          return typeof json.$id === 'string' ? json.$id : `def-${i}`;
        },
      },
    });
    if (opts.docsEnabled) {
      await app.register(swaggerUi, {
        routePrefix: '/docs',
        staticCSP: true,
        uiConfig: { deepLinking: true, persistAuthorization: false },
        logLevel: 'warn',
      });
      app.get(
        '/openapi.json',
        {
          schema: {
            summary: 'OpenAPI document',
            description: 'The OpenAPI 3.1 description of this API, generated from the route schemas.',
            tags: ['operations'],
            security: [],
            hide: true,
          },
        },
        async () => app.swagger(),
      );
    }
  },
  { name: 'openapi' },
);
