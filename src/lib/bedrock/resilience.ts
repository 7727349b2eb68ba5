import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { AppError } from '../errors.js';

/**
 * Generic resilience building blocks for calls to remote dependencies: retry with full-jitter
 * exponential backoff, a consecutive-failure circuit breaker, and per-attempt timeouts combined
 * with the caller's cancellation. Nothing here knows about AWS; `aws-call.ts` wires them together.
 */

export interface RetryAttempt {
  /** 1-based number of the attempt being made. */
  attempt: number;
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface RetryOptions {
  /** Total attempts including the first; 1 disables retrying. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  isRetryable: (error: unknown) => boolean;
  /** Cancels the waits between attempts; an aborted signal stops retrying at once. */
  signal?: AbortSignal;
  /** Uniform [0, 1) source; injectable so tests can pin the jitter. */
  random?: () => number;
  /** Injectable so tests can observe backoff without waiting for it. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onRetry?: (event: RetryEvent) => void;
}

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): a uniformly random wait in
 * [0, min(cap, base * 2^(n-1))). It spreads synchronized clients apart better than equal or
 * decorrelated jitter for the same total work, which matters when many extraction jobs hit the same
 * throttled model at once.
 */
export function backoffDelay(
  retryNumber: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceiling);
}

const defaultSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  await sleepFor(ms, undefined, signal ? { signal } : undefined);
};

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export async function withRetry<T>(
  fn: (attempt: RetryAttempt) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts));
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const { signal } = options;
  for (let attempt = 1; ; attempt += 1) {
    if (signal?.aborted) throw abortReason(signal);
    try {
      return await fn({ attempt });
    } catch (error) {
      if (attempt >= maxAttempts || signal?.aborted || !options.isRetryable(error)) throw error;
      const delayMs = backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs, random);
      options.onRetry?.({ attempt, delayMs, error });
      try {
        await sleep(delayMs, signal);
      } catch (sleepError) {
        // An abort during the wait means the caller gave up: report why, not the last failure.
        throw signal?.aborted ? abortReason(signal) : sleepError;
      }
    }
  }
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive counted failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  resetTimeoutMs: number;
  clock?: Clock;
  /**
   * Which errors say the dependency is unhealthy. A request the dependency rejected as invalid
   * proves it is up, so callers usually count only transient failures.
   */
  isFailure?: (error: unknown) => boolean;
  /** Named in the fail-fast error's details so logs and responses say which dependency is down. */
  name?: string;
  onStateChange?: (from: CircuitState, to: CircuitState) => void;
}

export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probeInFlight = false;
  private readonly clock: Clock;
  private readonly isFailure: (error: unknown) => boolean;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (options.failureThreshold < 1) throw new RangeError('failureThreshold must be at least 1');
    if (options.resetTimeoutMs < 0) throw new RangeError('resetTimeoutMs must not be negative');
    this.clock = options.clock ?? systemClock;
    this.isFailure = options.isFailure ?? (() => true);
  }

  /** The state as of now: an open circuit whose reset timeout has passed reads as half-open. */
  get currentState(): CircuitState {
    if (this.state === 'open' && this.now() - this.openedAt >= this.options.resetTimeoutMs)
      return 'half-open';
    return this.state;
  }

  get failures(): number {
    return this.consecutiveFailures;
  }

  async execute<T>(fn: () => Promise<T>): Promise<T> {
    const isProbe = this.admit();
    try {
      const result = await fn();
      this.onSuccess();
      return result;
    } catch (error) {
      if (this.isFailure(error)) this.onFailure();
      else if (isProbe) this.onSuccess();
      throw error;
    } finally {
      if (isProbe) this.probeInFlight = false;
    }
  }

  /** Returns whether this call is the half-open probe; throws when the call must fail fast. */
  private admit(): boolean {
    const state = this.currentState;
    if (state === 'closed') return false;
    if (state === 'half-open' && !this.probeInFlight) {
      this.transition('half-open');
      this.probeInFlight = true;
      return true;
    }
    const retryAfterMs = Math.max(0, this.openedAt + this.options.resetTimeoutMs - this.now());
    const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    throw new AppError('DEPENDENCY_UNAVAILABLE', undefined, {
      details: {
        ...(this.options.name ? { dependency: this.options.name } : {}),
        retry_after_seconds: retryAfterSeconds,
      },
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }

  private onSuccess(): void {
    this.consecutiveFailures = 0;
    this.transition('closed');
  }

  private onFailure(): void {
    // The count is only reset by a success, so a failed half-open probe is always over the
    // threshold and re-opens the circuit for a full reset timeout.
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= this.options.failureThreshold) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  private transition(to: CircuitState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.options.onStateChange?.(from, to);
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

/** Thrown when one attempt ran past its own deadline (as opposed to the caller cancelling). */
export class CallTimeoutError extends Error {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(`The call did not finish within ${timeoutMs} ms`, options);
    this.name = 'CallTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

export interface AttemptSignal {
  signal: AbortSignal;
  /** True when the attempt's own timeout fired and the caller had not cancelled first. */
  timedOut: () => boolean;
}

/** One attempt's signal: aborts at `timeoutMs` or when the caller's signal aborts, whichever first. */
export function attemptSignal(timeoutMs: number, callerSignal?: AbortSignal): AttemptSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
  return { signal, timedOut: () => timeout.aborted && !callerSignal?.aborted };
}

/**
 * Runs `fn` with a per-call deadline; a deadline hit becomes `CallTimeoutError`, a caller abort
 * rejects with the caller's reason. The race matters: a step that ignores the signal (credential
 * resolution, a handler that does not honour it) still cannot hold the caller past the deadline.
 */
export async function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  callerSignal?: AbortSignal,
): Promise<T> {
  const { signal, timedOut } = attemptSignal(timeoutMs, callerSignal);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () =>
      // The caller's abort reason is passed on as given, as fetch and the Node APIs do.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(timedOut() ? new CallTimeoutError(timeoutMs) : abortReason(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const work = fn(signal);
  // Whichever loses the race must not surface later as an unhandled rejection.
  work.catch(() => undefined);
  aborted.catch(() => undefined);
  try {
    return await Promise.race([work, aborted]);
  } catch (error) {
    if (timedOut() && !(error instanceof CallTimeoutError))
      throw new CallTimeoutError(timeoutMs, { cause: error });
    throw error;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
