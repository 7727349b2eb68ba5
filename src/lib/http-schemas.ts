import { Type, type TSchema } from 'typebox';
import { ERROR_CATALOGUE } from './errors.js';
import { ID_PATTERN } from './ids.js';

/** Longest RFC 3339 date-time accepted or produced (with fractional seconds and an offset); bounds query strings too. */
const TIMESTAMP_MAX_LENGTH = 40;

/** RFC 9457 problem details with the plan's fields; the body of every error response. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI reference identifying the problem type.', format: 'uri-reference', maxLength: 200 }),
    title: Type.String({ description: 'Short, stable summary of the problem type.', maxLength: 200 }),
    status: Type.Integer({ description: 'HTTP status code.', format: 'int32', minimum: 400, maximum: 599 }),
    detail: Type.String({ description: 'Explanation specific to this occurrence.', maxLength: 2000 }),
    instance: Type.String({ description: 'Path of the request that failed.', maxLength: 600 }),
    error_code: Type.Union(
      Object.keys(ERROR_CATALOGUE).map((c) => Type.Literal(c)),
      { description: 'Stable machine-readable code from the closed error catalogue.' },
    ),
    message: Type.String({ description: 'Same as detail (kept for clients of the legacy service).', maxLength: 2000 }),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Structured context (limits, allowed values...).' })),
    field_errors: Type.Optional(
      Type.Record(Type.String(), Type.Array(Type.String({ maxLength: 500 }), { maxItems: 50 }), {
        description: 'Validation messages by field name.',
      }),
    ),
    timestamp: Type.String({ format: 'date-time', maxLength: TIMESTAMP_MAX_LENGTH, description: 'When the error happened (UTC).' }),
    request_id: Type.String({ description: 'Correlation id; also in the X-Request-ID header and the logs.', pattern: '^[A-Za-z0-9._:-]{1,128}$', maxLength: 128 }),
  },
  { $id: 'Problem', title: 'Problem', description: 'An error (RFC 9457 problem details).' },
);

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: malformed syntax or invalid parameters.',
  401: 'Authentication required or token invalid.',
  403: 'Authenticated but not allowed.',
  404: 'Not found (or not visible to the caller).',
  405: 'Method not allowed on this path.',
  406: 'Not acceptable.',
  409: 'Conflict with the current state.',
  412: 'The If-Match version is stale.',
  413: 'Payload too large.',
  415: 'Unsupported media type.',
  416: 'Range not satisfiable.',
  422: 'Validation failed.',
  428: 'If-Match header required.',
  429: 'Too many requests.',
  500: 'Internal error.',
  502: 'Upstream service error.',
  503: 'Service or a dependency unavailable.',
  504: 'Upstream service timed out.',
};

const ProblemRef = Type.Ref('Problem');

/** Error responses for a route's schema: the statuses every route can answer plus the ones given. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  const all = new Set([400, 401, 403, 429, 500, 503, ...statuses]);
  const out: Record<number, TSchema> = {};
  for (const s of [...all].sort()) {
    out[s] = Type.Unsafe({ ...ProblemRef, description: STATUS_DESCRIPTIONS[s] ?? 'Error.' });
  }
  return out;
}

/**
 * Error responses of routes that need no authentication: no 401/403 unless the route names them
 * (the token endpoint answers 401 for bad credentials and 403 for a disabled account).
 */
export function publicErrorResponses(...statuses: number[]): Record<number, TSchema> {
  const out = errorResponses(...statuses);
  if (!statuses.includes(401)) delete out[401];
  if (!statuses.includes(403)) delete out[403];
  return out;
}

export const IdParam = (description: string) => Type.String({ pattern: ID_PATTERN, description, maxLength: 36 });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 100, default: 20, description: 'Page size (1-100).' })),
  cursor: Type.Optional(
    Type.String({ maxLength: 1024, pattern: '^[A-Za-z0-9_-]+$', description: 'Opaque cursor from the previous page\'s next_cursor.' }),
  ),
};

export const pageOf = <T extends TSchema>(item: T, description: string) =>
  Type.Object(
    {
      items: Type.Array(item, { maxItems: 100 }),
      next_cursor: Type.Union([Type.String({ maxLength: 1024, pattern: '^[A-Za-z0-9_-]+$' }), Type.Null()], { description: 'Cursor of the next page, null at the end.' }),
      has_more: Type.Boolean({ description: 'Whether another page exists.' }),
    },
    { description },
  );

/** Who acted: a local user id, or `oidc:<subject>` for a user of the external identity provider. */
export const ActorId = (description: string) => Type.String({ minLength: 1, maxLength: 300, description });

/** A count or size that fits a 32-bit signed integer. */
export const Count = (description: string, maximum = 2_147_483_647) => Type.Integer({ format: 'int32', minimum: 0, maximum, description });

/** Response header of a versioned resource: a strong ETag such as `"v3"`, or a content hash. */
export const EtagHeader = {
  etag: Type.String({ maxLength: 100, pattern: '^(W/)?"[!#-~]*"$', description: 'Version tag; send it back in If-Match to update, or in If-None-Match to revalidate.' }),
};

/** Response header of a created resource or an accepted job. */
export const LocationHeader = (description: string) => ({ location: Type.String({ format: 'uri-reference', maxLength: 2048, description }) });

export const Timestamp = (description: string) => Type.String({ format: 'date-time', maxLength: TIMESTAMP_MAX_LENGTH, description });
