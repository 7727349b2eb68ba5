import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, ERROR_CATALOGUE, isAppError, type ErrorCode, type FieldErrors } from '../lib/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  error_code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  field_errors?: FieldErrors;
  timestamp: string;
  request_id: string;
}

export function problemType(code: ErrorCode): string {
  return `/docs/errors#${code}`;
}

function instancePath(request: FastifyRequest): string {
  // The query string can carry search terms (customer names): never echo it back.
  const q = request.url.indexOf('?');
  const path = q === -1 ? request.url : request.url.slice(0, q);
  return path.length > 512 ? path.slice(0, 512) : path;
}

export function buildProblem(request: FastifyRequest, error: AppError): ProblemBody {
  const entry = ERROR_CATALOGUE[error.code];
  const internal = entry.status >= 500;
  const body: ProblemBody = {
    type: problemType(error.code),
    title: entry.title,
    status: entry.status,
    // A 5xx never carries its message: it could hold SQL, a bucket, a key or a path.
    detail: internal ? entry.title : error.message,
    instance: instancePath(request),
    error_code: error.code,
    message: internal ? entry.title : error.message,
    timestamp: new Date().toISOString(),
    request_id: request.id,
  };
  if (error.details && !internal) body.details = error.details;
  if (internal && error.details && isSafeDetails(error.details)) body.details = error.details;
  if (error.fieldErrors) body.field_errors = error.fieldErrors;
  return body;
}

/** Only whitelisted keys of a 5xx's details reach the client (dependency names, retry hints). */
function isSafeDetails(details: Record<string, unknown>): boolean {
  return Object.keys(details).every((k) => k === 'checks' || k === 'retry_after_seconds' || k === 'dependency');
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const body = buildProblem(request, error);
  if (error.headers) for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

const fieldName = (instancePath: string, missing?: string): string => {
  const parts = instancePath.split('/').filter(Boolean);
  if (missing) parts.push(missing);
  return parts.join('.') || '(root)';
};

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Turns Ajv's validation errors into {field: [messages]} with field names clients recognise. */
export function toFieldErrors(errors: AjvLikeError[], context: string | undefined): FieldErrors {
  const out: FieldErrors = {};
  const prefix = context === 'body' || !context ? '' : `${context}.`;
  // A union of literals (TypeBox's enums) fails as one "const" error per branch plus an "anyOf":
  // gathered, they become the list of allowed values.
  const allowed = new Map<string, unknown[]>();
  const keyOf = (field: string) => (field === '(root)' && prefix ? prefix.slice(0, -1) : `${prefix}${field}`);
  for (const e of errors) {
    if (e.keyword === 'const' && e.params && 'allowedValue' in e.params) {
      const key = keyOf(fieldName(e.instancePath ?? ''));
      const values = allowed.get(key) ?? [];
      values.push(e.params.allowedValue);
      allowed.set(key, values);
    }
  }
  for (const e of errors) {
    let field = fieldName(e.instancePath ?? '');
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string') {
      field = fieldName(e.instancePath ?? '', e.params.missingProperty);
      message = 'is required';
    } else if (e.keyword === 'additionalProperties' && typeof e.params?.additionalProperty === 'string') {
      field = fieldName(e.instancePath ?? '', e.params.additionalProperty);
      message = 'is not an allowed field';
    } else if (e.keyword === 'enum' && Array.isArray(e.params?.allowedValues)) {
      message = `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
    }
    const key = keyOf(field);
    const values = allowed.get(key);
    if (values && (e.keyword === 'const' || e.keyword === 'anyOf')) message = `must be one of: ${values.join(', ')}`;
    // Ajv reports each branch of a union; one message per field and kind keeps the answer readable.
    const list = (out[key] ??= []);
    if (!list.includes(message)) list.push(message);
  }
  return out;
}

const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_NOT_FOUND: 'ROUTE_NOT_FOUND',
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_FIELDS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  412: 'VERSION_MISMATCH',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  422: 'VALIDATION_FAILED',
  428: 'PRECONDITION_REQUIRED',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** Maps any thrown value to a catalogue error. Unknown errors become INTERNAL_ERROR (500). */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const e = err as FastifyError & { validationContext?: string };
  if (e && Array.isArray(e.validation)) {
    const context = e.validationContext;
    const fieldErrors = toFieldErrors(e.validation, context);
    if (context === 'body') return new AppError('VALIDATION_FAILED', 'The request body is not valid', { fieldErrors });
    return new AppError('BAD_REQUEST', `The request ${context ?? 'input'} is not valid`, { fieldErrors });
  }
  const mapped = e?.code ? FRAMEWORK_CODES[e.code] : undefined;
  if (mapped) return new AppError(mapped, mapped === 'INVALID_JSON' ? 'The request body is not valid JSON' : undefined, { cause: err });
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = STATUS_CODES[status] ?? 'BAD_REQUEST';
    return new AppError(code, undefined, { cause: err });
  }
  if (status === 503) return new AppError('SERVICE_UNAVAILABLE', undefined, { cause: err });
  return new AppError('INTERNAL_ERROR', undefined, { cause: err });
}

export interface RouteIndex {
  add(method: string, url: string): void;
  allowedMethods(path: string): string[];
}

/** Remembers route templates so that a known path with the wrong method answers 405, not 404. */
export function createRouteIndex(): RouteIndex {
  const routes: { method: string; re: RegExp }[] = [];
  return {
    add(method, url) {
      const pattern = url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      routes.push({ method, re: new RegExp(`^${pattern}/?$`) });
    },
    allowedMethods(path) {
      const methods = new Set<string>();
      for (const r of routes) if (r.re.test(path)) methods.add(r.method);
      return [...methods].sort();
    },
  };
}

export const errorsPlugin = fp(
  (app: FastifyInstance, _opts: object, done: (err?: Error) => void) => {
    const index = createRouteIndex();
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const m of methods) if (m !== 'HEAD' && m !== 'OPTIONS') index.add(m, route.url);
    });

    app.setErrorHandler((err, request, reply) => {
      const appError = toAppError(err);
      if (appError.status >= 500) {
        request.log.error({ err, error_code: appError.code }, 'request failed');
      } else {
        request.log.info({ error_code: appError.code, status: appError.status }, 'request rejected');
      }
      return sendProblem(request, reply, appError);
    });

    app.setNotFoundHandler((request, reply) => {
      const q = request.url.indexOf('?');
      const path = q === -1 ? request.url : request.url.slice(0, q);
      const allowed = index.allowedMethods(path);
      if (allowed.length > 0) {
        if (allowed.includes('GET')) allowed.push('HEAD');
        return sendProblem(
          request,
          reply,
          new AppError('METHOD_NOT_ALLOWED', `Method ${request.method} is not allowed here`, {
            headers: { allow: allowed.join(', ') },
            details: { allowed_methods: allowed },
          }),
        );
      }
      return sendProblem(request, reply, new AppError('ROUTE_NOT_FOUND', 'No route matches this path'));
    });
    done();
  },
  { name: 'errors' },
);
