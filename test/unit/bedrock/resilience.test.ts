import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import {
  CallTimeoutError,
  CircuitBreaker,
  attemptSignal,
  backoffDelay,
  withRetry,
  withTimeout,
} from '../../../src/lib/bedrock/resilience.js';
import type { CircuitState } from '../../../src/lib/bedrock/resilience.js';
import {
  createDependencyBreaker,
  isTimeoutError,
  isTransientError,
  toAppError,
} from '../../../src/lib/bedrock/aws-call.js';

function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function awsError(name: string, status: number, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(`${name}: secret upstream detail arn:aws:bedrock:...`), {
    name,
    $metadata: { httpStatusCode: status },
    ...extra,
  });
}

const retryable = new Error('transient');
const permanent = new Error('permanent');
const isRetryable = (e: unknown) => e === retryable;

describe('backoffDelay (full jitter)', () => {
  it('draws uniformly below min(cap, base * 2^(n-1))', () => {
    expect(backoffDelay(1, 100, 10_000, () => 0.999999)).toBe(99);
    expect(backoffDelay(3, 100, 10_000, () => 0.999999)).toBe(399);
    expect(backoffDelay(3, 100, 10_000, () => 0.5)).toBe(200);
    expect(backoffDelay(20, 100, 1_000, () => 0.999999)).toBe(999);
    expect(backoffDelay(5, 100, 10_000, () => 0)).toBe(0);
  });

  it('stays within bounds for any random draw', () => {
    for (let n = 1; n <= 12; n += 1) {
      for (const r of [0, 0.1, 0.5, 0.9, 0.999]) {
        const d = backoffDelay(n, 50, 2_000, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(2_000, 50 * 2 ** (n - 1)));
      }
    }
  });
});

describe('withRetry', () => {
  it('retries retryable failures with growing jittered waits, then succeeds', async () => {
    const waits: number[] = [];
    const fn = vi.fn(({ attempt }: { attempt: number }) =>
      attempt < 3 ? Promise.reject(retryable) : Promise.resolve(`ok on ${attempt}`),
    );
    const result = await withRetry(fn, {
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      isRetryable,
      random: () => 0.5,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    expect(result).toBe('ok on 3');
    expect(fn).toHaveBeenCalledTimes(3);
    expect(waits).toEqual([50, 100]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const onRetry = vi.fn();
    let calls = 0;
    await expect(
      withRetry(
        () => {
          calls += 1;
          return Promise.reject(retryable);
        },
        {
          maxAttempts: 3,
          baseDelayMs: 1,
          maxDelayMs: 1,
          isRetryable,
          sleep: () => Promise.resolve(),
          onRetry,
        },
      ),
    ).rejects.toBe(retryable);
    expect(calls).toBe(3);
    expect(onRetry).toHaveBeenCalledTimes(2);
    expect(onRetry.mock.calls[0]![0]).toMatchObject({ attempt: 1, error: retryable });
  });

  it('does not retry an error that is not retryable', async () => {
    let calls = 0;
    await expect(
      withRetry(
        () => {
          calls += 1;
          return Promise.reject(permanent);
        },
        { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1, isRetryable, sleep: () => Promise.resolve() },
      ),
    ).rejects.toBe(permanent);
    expect(calls).toBe(1);
  });

  it('stops waiting when the caller aborts and reports the abort reason', async () => {
    const controller = new AbortController();
    const reason = new Error('caller gone');
    let calls = 0;
    const pending = withRetry(
      () => {
        calls += 1;
        return Promise.reject(retryable);
      },
      {
        maxAttempts: 5,
        baseDelayMs: 60_000,
        maxDelayMs: 60_000,
        isRetryable,
        random: () => 0.99,
        signal: controller.signal,
      },
    );
    setTimeout(() => controller.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
    expect(calls).toBe(1);
  });

  it('does not start when the signal is already aborted', async () => {
    const fn = vi.fn(() => Promise.resolve('never'));
    await expect(
      withRetry(fn, {
        maxAttempts: 3,
        baseDelayMs: 1,
        maxDelayMs: 1,
        isRetryable,
        signal: AbortSignal.abort(new Error('x')),
      }),
    ).rejects.toThrow('x');
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and then fails fast', async () => {
    const clock = fakeClock();
    const changes: Array<[CircuitState, CircuitState]> = [];
    const breaker = new CircuitBreaker({
      failureThreshold: 3,
      resetTimeoutMs: 10_000,
      clock,
      name: 'model',
      onStateChange: (from, to) => changes.push([from, to]),
    });
    const failing = vi.fn(() => Promise.reject(retryable));
    for (let i = 0; i < 3; i += 1) await expect(breaker.execute(failing)).rejects.toBe(retryable);
    expect(breaker.currentState).toBe('open');
    const call = vi.fn(() => Promise.resolve('ok'));
    const error = await breaker.execute(call).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect((error as AppError).details).toEqual({ dependency: 'model', retry_after_seconds: 10 });
    expect((error as AppError).headers).toEqual({ 'retry-after': '10' });
    expect(call).not.toHaveBeenCalled();
    expect(changes).toEqual([['closed', 'open']]);
  });

  it('a success resets the consecutive failure count', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, resetTimeoutMs: 1_000, clock: fakeClock() });
    await expect(breaker.execute(() => Promise.reject(retryable))).rejects.toBe(retryable);
    await breaker.execute(() => Promise.resolve('ok'));
    await expect(breaker.execute(() => Promise.reject(retryable))).rejects.toBe(retryable);
    expect(breaker.currentState).toBe('closed');
    expect(breaker.failures).toBe(1);
  });

  it('half-opens after the reset timeout, lets one probe through, and closes on its success', async () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 5_000, clock });
    await expect(breaker.execute(() => Promise.reject(retryable))).rejects.toBe(retryable);
    clock.advance(4_999);
    expect(breaker.currentState).toBe('open');
    clock.advance(1);
    expect(breaker.currentState).toBe('half-open');

    let release!: (v: string) => void;
    const probe = breaker.execute(() => new Promise<string>((resolve) => (release = resolve)));
    // While the probe is out, others still fail fast.
    const concurrent = vi.fn(() => Promise.resolve('ok'));
    await expect(breaker.execute(concurrent)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(concurrent).not.toHaveBeenCalled();
    release('probe ok');
    await expect(probe).resolves.toBe('probe ok');
    expect(breaker.currentState).toBe('closed');
    await expect(breaker.execute(concurrent)).resolves.toBe('ok');
  });

  it('re-opens for a full timeout when the probe fails', async () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ failureThreshold: 2, resetTimeoutMs: 5_000, clock });
    for (let i = 0; i < 2; i += 1)
      await expect(breaker.execute(() => Promise.reject(retryable))).rejects.toBe(retryable);
    clock.advance(5_000);
    await expect(breaker.execute(() => Promise.reject(retryable))).rejects.toBe(retryable);
    expect(breaker.currentState).toBe('open');
    clock.advance(4_000);
    await expect(breaker.execute(() => Promise.resolve('ok'))).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
    });
    clock.advance(1_000);
    await expect(breaker.execute(() => Promise.resolve('ok'))).resolves.toBe('ok');
  });

  it('closes when the probe gets an answer, even a rejection that is not a failure', async () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 1_000,
      clock,
      isFailure: isRetryable,
    });
    await expect(breaker.execute(() => Promise.reject(retryable))).rejects.toBe(retryable);
    clock.advance(1_000);
    await expect(breaker.execute(() => Promise.reject(permanent))).rejects.toBe(permanent);
    expect(breaker.currentState).toBe('closed');
  });

  it('does not count errors its predicate says are not failures', async () => {
    const breaker = new CircuitBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 1_000,
      clock: fakeClock(),
      isFailure: isRetryable,
    });
    await expect(breaker.execute(() => Promise.reject(permanent))).rejects.toBe(permanent);
    expect(breaker.currentState).toBe('closed');
  });

  it('the dependency breaker counts throttling but not validation errors', async () => {
    const breaker = createDependencyBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 1_000,
      clock: fakeClock(),
    });
    await expect(
      breaker.execute(() => Promise.reject(awsError('ValidationException', 400))),
    ).rejects.toThrow();
    expect(breaker.currentState).toBe('closed');
    await expect(
      breaker.execute(() => Promise.reject(awsError('ThrottlingException', 429))),
    ).rejects.toThrow();
    expect(breaker.currentState).toBe('open');
  });

  it('rejects nonsense settings', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, resetTimeoutMs: 1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: -1 })).toThrow(RangeError);
  });
});

describe('per-call timeouts', () => {
  it('turns a missed deadline into CallTimeoutError even if the work ignores the signal', async () => {
    const started = performance.now();
    const error = await withTimeout(() => new Promise(() => {}), 30).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect((error as CallTimeoutError).timeoutMs).toBe(30);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('passes the caller abort reason through, not a timeout', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    setTimeout(() => controller.abort(reason), 10);
    await expect(withTimeout(() => new Promise(() => {}), 5_000, controller.signal)).rejects.toBe(reason);
  });

  it('hands the work a signal that aborts at the deadline', async () => {
    let seen: AbortSignal | undefined;
    await expect(
      withTimeout(
        (signal) =>
          new Promise((_resolve, reject) => {
            seen = signal;
            signal.addEventListener('abort', () => reject(new Error('aborted by signal')));
          }),
        20,
      ),
    ).rejects.toBeInstanceOf(CallTimeoutError);
    expect(seen?.aborted).toBe(true);
  });

  it('returns the result when the work finishes in time', async () => {
    await expect(withTimeout(() => Promise.resolve(42), 1_000)).resolves.toBe(42);
  });

  it('attemptSignal tells a timeout from a caller abort', async () => {
    const controller = new AbortController();
    const a = attemptSignal(10_000, controller.signal);
    controller.abort();
    expect(a.signal.aborted).toBe(true);
    expect(a.timedOut()).toBe(false);
    const b = attemptSignal(5);
    await new Promise((r) => setTimeout(r, 30));
    expect(b.signal.aborted).toBe(true);
    expect(b.timedOut()).toBe(true);
  });
});

describe('AWS error classification', () => {
  it('retries throttling, 5xx, timeouts and resets but not client errors', () => {
    expect(isTransientError(awsError('ThrottlingException', 429))).toBe(true);
    expect(isTransientError(awsError('ServiceUnavailableException', 503))).toBe(true);
    expect(isTransientError(awsError('InternalServerException', 500))).toBe(true);
    expect(isTransientError(awsError('SomethingNew', 502))).toBe(true);
    expect(isTransientError(awsError('ModelNotReadyException', 429))).toBe(true);
    expect(isTransientError(new CallTimeoutError(10))).toBe(true);
    expect(
      isTransientError(
        Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'TimeoutError' }),
      ),
    ).toBe(true);
    expect(isTransientError(awsError('ValidationException', 400))).toBe(false);
    expect(isTransientError(awsError('AccessDeniedException', 403))).toBe(false);
    expect(isTransientError(awsError('ResourceNotFoundException', 404))).toBe(false);
    expect(isTransientError(new AppError('DEPENDENCY_UNAVAILABLE'))).toBe(false);
    expect(isTransientError('weird')).toBe(false);
  });

  it('a reset is not a timeout even though the HTTP handler names it TimeoutError', () => {
    expect(isTimeoutError(Object.assign(new Error('x'), { code: 'ECONNRESET', name: 'TimeoutError' }))).toBe(
      false,
    );
    expect(isTimeoutError(Object.assign(new Error('x'), { code: 'ETIMEDOUT', name: 'TimeoutError' }))).toBe(
      true,
    );
    expect(isTimeoutError(awsError('ModelTimeoutException', 408))).toBe(true);
  });

  it('maps final failures to catalogue errors without the AWS message', () => {
    const cases: Array<[unknown, string]> = [
      [awsError('ThrottlingException', 429), 'DEPENDENCY_UNAVAILABLE'],
      [awsError('ServiceUnavailableException', 503), 'DEPENDENCY_UNAVAILABLE'],
      [awsError('ValidationException', 400), 'UPSTREAM_ERROR'],
      [awsError('InternalServerException', 500), 'UPSTREAM_ERROR'],
      [new CallTimeoutError(10), 'UPSTREAM_TIMEOUT'],
      [awsError('ModelTimeoutException', 408), 'UPSTREAM_TIMEOUT'],
    ];
    for (const [input, code] of cases) {
      const mapped = toAppError(input, 'bedrock-runtime') as AppError;
      expect(mapped).toBeInstanceOf(AppError);
      expect(mapped.code).toBe(code);
      expect(mapped.message).not.toMatch(/secret|arn:/);
      expect(mapped.cause).toBe(input);
    }
  });

  it('keeps a caller cancellation as is, but a caller deadline is a timeout', () => {
    const cancelled = new AbortController();
    cancelled.abort(new Error('client closed'));
    const err = new Error('aborted');
    expect(toAppError(err, 'x', cancelled.signal)).toBe(err);
    const deadline = AbortSignal.abort(new DOMException('deadline', 'TimeoutError'));
    expect((toAppError(err, 'x', deadline) as AppError).code).toBe('UPSTREAM_TIMEOUT');
  });
});
