import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, ERROR_CATALOGUE, isAppError, type ErrorCode, type FieldErrors } from '../lib/errors.js';
import { errorResponses } from '../lib/http-schemas.js';
import { newId } from '../lib/ids.js';

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

/**
 * Fastify's `frameworkErrors` hook: errors raised by the router before any route or hook runs (a
 * malformed percent-encoding in the path, a path parameter longer than maxParamLength). Without it
 * Fastify answers them itself with plain JSON that echoes the whole path back (up to the URL limit)
 * and no request id, outside the error model.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  let appError: AppError;
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') appError = new AppError('BAD_REQUEST', 'A path parameter is longer than any valid value');
  else if (error.code === 'FST_ERR_BAD_URL') appError = new AppError('BAD_REQUEST', 'The path is not valid (malformed percent-encoding)');
  else appError = toAppError(error);
  reply.header('x-request-id', request.id);
  if (appError.status >= 500) request.log.error({ err: error, error_code: appError.code }, 'request failed in the router');
  else request.log.info({ error_code: appError.code, framework_code: error.code }, 'request rejected by the router');
  sendProblem(request, reply, appError);
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before there is a request at all
 * (headers too large, a malformed request line or header, a request that took too long to arrive).
 * Answered in the service's error shape, then the connection is closed: the stream is no longer in a
 * state where another request could be read from it.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : err.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST';
  const entry = ERROR_CATALOGUE[code];
  const requestId = newId();
  const detail =
    code === 'REQUEST_TIMEOUT'
      ? 'The request did not arrive in time'
      : code === 'HEADERS_TOO_LARGE'
        ? 'The request headers are larger than allowed'
        : 'The request is not valid HTTP';
  const body = JSON.stringify({
    type: problemType(code),
    title: entry.title,
    status: entry.status,
    detail,
    instance: '',
    error_code: code,
    message: detail,
    timestamp: new Date().toISOString(),
    request_id: requestId,
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${entry.status} ${entry.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-ID: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
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
      // Fastify refuses a body before the handler runs when it is too large (413) or of a type the
      // route does not parse (415): every route with a body can answer both, so its schema says so.
      const response = route.schema?.response as Record<string, unknown> | undefined;
      if (route.schema?.body && response) {
        for (const [status, schema] of Object.entries(errorResponses(413, 415))) {
          if ((status === '413' || status === '415') && !(status in response)) response[status] = schema;
        }
      }
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
