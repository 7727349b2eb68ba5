import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { AppError } from '../errors.js';

/**
 * Shared by both adapters' `put`: relays the caller's body through a Transform that counts, hashes and
 * enforces `maxBytes`, and remembers why a write stopped so that the adapter can report the right error.
 *
 * The body is read through an async iterator instead of being handed to `stream.pipeline`, because
 * pipeline destroys every stream with the failure it saw: the body would then emit our own errors and we
 * could no longer tell "the client's stream broke" (rethrown as is) from "the storage failed" (mapped to a
 * catalogue error). Here the body only ever emits its own errors; when the write stops for any other
 * reason the body is destroyed without an error, which also releases a read that is waiting for data
 * from a stalled client.
 */

export class ByteMeter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;

  constructor(
    private readonly maxBytes: number | undefined,
    private readonly onLimit: (error: AppError) => void,
  ) {
    // 1 MiB of buffering (with the file stream's, below) lets the socket keep reading while a write is
    // in flight; at the default 16 KiB the two took turns and a 1 GiB upload ran at 45% of a plain write.
    super({ highWaterMark: 1024 * 1024 });
  }

  get bytes(): number {
    return this.count;
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.maxBytes !== undefined && this.count > this.maxBytes) {
      const error = payloadTooLarge(this.maxBytes);
      this.onLimit(error);
      callback(error);
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

export function payloadTooLarge(maxBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `The file exceeds the limit of ${maxBytes} bytes`, {
    details: { limit_bytes: maxBytes },
  });
}

export function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason as unknown }), {
    name: 'AbortError',
  });
}

export interface MeteredBody {
  /** Feed this into `meter` (for example `pipeline(source, meter, sink)`). */
  readonly source: AsyncIterable<Buffer>;
  readonly meter: ByteMeter;
  /**
   * The error `put` must throw when the write stopped because of the limit, the signal or the body itself;
   * undefined when the storage side failed (the adapter maps that one).
   */
  failure(): Error | undefined;
  /** Throws the abort error if the signal fired; for the last check before the blob is made visible. */
  throwIfAborted(): void;
  /** Detaches from the signal and destroys the body if it was not read to its end. */
  dispose(): void;
}

export interface MeterOptions {
  maxBytes?: number;
  signal?: AbortSignal;
}

export function assertMaxBytes(maxBytes: number | undefined): void {
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) {
    throw new AppError('BAD_REQUEST', 'maxBytes must be a non-negative integer');
  }
}

export function meterBody(body: Readable, { maxBytes, signal }: MeterOptions): MeteredBody {
  let recorded: { error: Error } | undefined;
  const record = (error: unknown): void => {
    recorded ??= {
      error: error instanceof Error ? error : new Error('The body stream failed', { cause: error }),
    };
  };
  let sourceDone = false;
  let releasing = false;

  const meter = new ByteMeter(maxBytes, record);
  // The meter can fail before the adapter has wired it to its sink; its error is reported via `failure()`.
  meter.on('error', () => undefined);
  // A late error from a body we have finished with must not crash the process.
  body.on('error', () => undefined);

  const release = (): void => {
    if (sourceDone || body.destroyed) return;
    releasing = true;
    body.destroy();
  };
  meter.once('close', release);

  const onAbort = (): void => {
    if (!signal) return;
    const error = abortError(signal);
    record(error);
    meter.destroy(error);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  async function* relay(): AsyncGenerator<Buffer> {
    const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      for (;;) {
        let step: IteratorResult<Buffer>;
        try {
          step = await iterator.next();
        } catch (error) {
          // A read interrupted by our own `release` is not the client's failure.
          if (!releasing) record(error);
          throw error;
        }
        if (step.done) {
          sourceDone = true;
          return;
        }
        yield step.value;
      }
    } finally {
      if (!sourceDone) await iterator.return?.();
    }
  }

  return {
    source: relay(),
    meter,
    failure: () => recorded?.error,
    throwIfAborted() {
      if (signal?.aborted) {
        record(abortError(signal));
        throw recorded?.error ?? abortError(signal);
      }
    },
    dispose() {
      signal?.removeEventListener('abort', onAbort);
      release();
    },
  };
}
