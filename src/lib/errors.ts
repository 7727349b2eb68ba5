/**
 * The one closed catalogue of error codes. Services throw `AppError` with a code from here; the
 * error plugin maps every error (ours and the framework's) to one application/problem+json shape.
 * Adding a code means adding it here, with its status and a stable title.
 */
export const ERROR_CATALOGUE = {
  // 400
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  INVALID_JSON: { status: 400, title: 'Malformed JSON body' },
  INVALID_CURSOR: { status: 400, title: 'Invalid pagination cursor' },
  INVALID_HEADER: { status: 400, title: 'Invalid header' },
  // 401 / 403
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  INVALID_TOKEN: { status: 401, title: 'Invalid or expired token' },
  INVALID_CREDENTIALS: { status: 401, title: 'Invalid credentials' },
  INVALID_GRANT: { status: 400, title: 'Invalid grant' },
  UNSUPPORTED_GRANT_TYPE: { status: 400, title: 'Unsupported grant type' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  ACCOUNT_DISABLED: { status: 403, title: 'Account disabled' },
  MAKER_CHECKER_VIOLATION: { status: 403, title: 'Approver made the last edit' },
  // 404 / 405
  ROUTE_NOT_FOUND: { status: 404, title: 'Route not found' },
  NOT_FOUND: { status: 404, title: 'Resource not found' },
  LOAN_BOOKING_NOT_FOUND: { status: 404, title: 'Loan booking not found' },
  PRODUCT_NOT_FOUND: { status: 404, title: 'Product not found' },
  DOCUMENT_NOT_FOUND: { status: 404, title: 'Document not found' },
  USER_NOT_FOUND: { status: 404, title: 'User not found' },
  EXTRACTION_RUN_NOT_FOUND: { status: 404, title: 'Extraction run not found' },
  EXTRACTION_SCHEMA_NOT_FOUND: { status: 404, title: 'Extraction schema not found' },
  BOOKING_SHEET_NOT_FOUND: { status: 404, title: 'Booking sheet not found' },
  JOB_NOT_FOUND: { status: 404, title: 'Job not found' },
  BLOB_NOT_FOUND: { status: 404, title: 'Stored file not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable' },
  // 408 / 409 / 412 / 413 / 415 / 416 / 422 / 428 / 429 / 431
  REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  CONFLICT: { status: 409, title: 'Conflict' },
  EMAIL_TAKEN: { status: 409, title: 'Email already in use' },
  PRODUCT_EXISTS: { status: 409, title: 'Product already exists' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'A request with this Idempotency-Key is in progress' },
  INVALID_STATE: { status: 409, title: 'Action not allowed in the current state' },
  VERSION_MISMATCH: { status: 412, title: 'Precondition failed: stale version' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RANGE_NOT_SATISFIABLE: { status: 416, title: 'Range not satisfiable' },
  VALIDATION_FAILED: { status: 422, title: 'Validation failed' },
  UNKNOWN_PRODUCT: { status: 422, title: 'Unknown product' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key reused with a different request' },
  UNPROCESSABLE_DOCUMENT: { status: 422, title: 'Document cannot be processed' },
  EXTRACTION_ENGINE_UNAVAILABLE: { status: 422, title: 'Extraction engine not configured' },
  WEAK_PASSWORD: { status: 422, title: 'Password does not meet the policy' },
  PRECONDITION_REQUIRED: { status: 428, title: 'If-Match header required' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  // 5xx
  INTERNAL_ERROR: { status: 500, title: 'Internal server error' },
  UPSTREAM_ERROR: { status: 502, title: 'Upstream service error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  DEPENDENCY_UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'Upstream service timed out' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export type FieldErrors = Record<string, string[]>;

export interface AppErrorOptions {
  details?: Record<string, unknown>;
  fieldErrors?: FieldErrors;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  readonly fieldErrors: FieldErrors | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message?: string, options: AppErrorOptions = {}) {
    super(message ?? ERROR_CATALOGUE[code].title, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = options.details;
    this.fieldErrors = options.fieldErrors;
    this.headers = options.headers;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export const notFound = (code: ErrorCode, message?: string): AppError => new AppError(code, message);

export function validationError(fieldErrors: FieldErrors, message = 'The request is not valid'): AppError {
  return new AppError('VALIDATION_FAILED', message, { fieldErrors });
}
