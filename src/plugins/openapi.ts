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
        servers: [{ url: '/', description: 'This server' }],
        tags: API_TAGS,
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token from POST /api/v1/auth/token.' },
            oauth2: {
              type: 'oauth2',
              description: 'OAuth2 password flow (form-encoded username and password).',
              flows: { password: { tokenUrl: opts.tokenUrl, scopes: {} } },
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
