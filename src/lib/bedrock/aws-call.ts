import { AppError, isAppError } from '../errors.js';
import type { CircuitBreakerOptions, RetryEvent } from './resilience.js';
import { CallTimeoutError, CircuitBreaker, withRetry, withTimeout } from './resilience.js';

/**
 * How one logical call to a Bedrock API is made: each attempt gets its own deadline and passes
 * through the circuit breaker (retry outside, breaker inside, so a dependency that dies mid-retry
 * stops the retrying at once), transient failures are retried with jittered backoff, and whatever
 * finally fails is turned into a catalogue error whose message says nothing about AWS. The AWS
 * error stays in `cause` for the log.
 */

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onRetry?: (event: RetryEvent) => void;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 5_000 };

export interface CallPolicy {
  /** Used in error details and messages: `bedrock-runtime`, `bedrock-knowledge-base`. */
  dependency: string;
  /** Deadline of one attempt, not of the whole retried call. */
  timeoutMs: number;
  retry?: Partial<RetryPolicy>;
  breaker?: CircuitBreaker;
  /** Operation-specific translation (a missing job is JOB_NOT_FOUND) tried before the generic one. */
  mapError?: (error: unknown) => AppError | undefined;
}

/** Exception names Bedrock uses for conditions that pass on their own. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'InternalServerException',
  'InternalFailure',
  'ModelNotReadyException',
  'ModelTimeoutException',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ModelNotReadyException',
]);
const TIMEOUT_NAMES = new Set(['ModelTimeoutException', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

function shape(error: unknown): ErrorShape {
  return typeof error === 'object' && error !== null ? error : {};
}

function httpStatus(error: unknown): number | undefined {
  const status = shape(error).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function isNetworkError(error: unknown): boolean {
  const { code } = shape(error);
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/** A deadline passed: ours, the HTTP handler's request timeout, or the model's own. */
export function isTimeoutError(error: unknown): boolean {
  if (error instanceof CallTimeoutError) return true;
  const { name, code } = shape(error);
  if (typeof name === 'string' && TIMEOUT_NAMES.has(name)) return true;
  // The Node HTTP handler renames ECONNRESET and EPIPE to TimeoutError too: those are resets.
  return (
    name === 'TimeoutError' && !(typeof code === 'string' && code !== 'ETIMEDOUT' && NETWORK_CODES.has(code))
  );
}

export function isThrottlingError(error: unknown): boolean {
  const { name } = shape(error);
  return (typeof name === 'string' && THROTTLING_NAMES.has(name)) || httpStatus(error) === 429;
}

/**
 * Worth another attempt: throttling, 5xx, timeouts and dropped connections. Validation, access and
 * not-found errors will fail the same way again, and our own catalogue errors (an open circuit)
 * are final by design.
 */
export function isTransientError(error: unknown): boolean {
  if (isAppError(error)) return false;
  if (isTimeoutError(error) || isNetworkError(error) || isThrottlingError(error)) return true;
  const { name, $retryable } = shape(error);
  if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
  if ($retryable) return true;
  const status = httpStatus(error);
  return status !== undefined && status >= 500;
}

/** The AWS error name, safe to log and to put in details: it is a type name, never a message. */
export function awsErrorName(error: unknown): string | undefined {
  const { name } = shape(error);
  return typeof name === 'string' ? name : undefined;
}

function isCallerTimeout(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === 'TimeoutError';
}

/**
 * Maps a final failure to the catalogue. Throttling that outlasted the retries reads as the
 * dependency being unavailable (503: try later); other failures are the upstream's fault (502).
 */
export function toAppError(error: unknown, dependency: string, callerSignal?: AbortSignal): unknown {
  if (isAppError(error)) return error;
  if (callerSignal?.aborted) {
    // The caller's own deadline is a timeout; any other cancellation is the caller's business.
    return isCallerTimeout(callerSignal.reason)
      ? new AppError('UPSTREAM_TIMEOUT', `${dependency} did not answer in time`, { cause: error })
      : error;
  }
  // Only the dependency name: the error plugin shows a 5xx's details to clients when every key is
  // on its safe list, and the AWS error itself stays in `cause` for the log.
  const details = { dependency };
  if (isTimeoutError(error)) {
    return new AppError('UPSTREAM_TIMEOUT', `${dependency} did not answer in time`, {
      details,
      cause: error,
    });
  }
  if (isThrottlingError(error) || awsErrorName(error) === 'ServiceUnavailableException') {
    return new AppError('DEPENDENCY_UNAVAILABLE', `${dependency} is busy; try again later`, {
      details,
      cause: error,
    });
  }
  return new AppError('UPSTREAM_ERROR', `${dependency} request failed`, { details, cause: error });
}

export async function callAws<T>(
  policy: CallPolicy,
  operation: (signal: AbortSignal) => Promise<T>,
  callerSignal?: AbortSignal,
): Promise<T> {
  const retry = { ...DEFAULT_RETRY_POLICY, ...policy.retry };
  const attempt = (): Promise<T> => withTimeout(operation, policy.timeoutMs, callerSignal);
  try {
    return await withRetry(() => (policy.breaker ? policy.breaker.execute(attempt) : attempt()), {
      ...retry,
      isRetryable: isTransientError,
      signal: callerSignal,
    });
  } catch (error) {
    throw (
      (isAppError(error) ? undefined : policy.mapError?.(error)) ??
      toAppError(error, policy.dependency, callerSignal)
    );
  }
}

/** A breaker that counts only failures saying the dependency is unhealthy (see `isTransientError`). */
export function createDependencyBreaker(options: Omit<CircuitBreakerOptions, 'isFailure'>): CircuitBreaker {
  return new CircuitBreaker({ ...options, isFailure: isTransientError });
}
