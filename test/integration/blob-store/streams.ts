import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Test streams for the blob store suites: deterministic large bodies, failing and stalling sources. */

const CHUNK = 64 * 1024;

/** Bytes of a deterministic pattern (a multiplicative hash of the offset): cheap and not periodic. */
function patternChunk(offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) {
    const n = offset + i;
    buf[i] = (Math.imul(n, 2654435761) ^ (n >>> 11)) >>> 24;
  }
  return buf;
}

/** `size` pattern bytes, produced chunk by chunk as they are read (`onChunk` sees each length). */
export function patternStream(size: number, onChunk?: (length: number) => void): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(CHUNK, size - offset);
      onChunk?.(length);
      this.push(patternChunk(offset, length));
      offset += length;
    },
  });
}

export function patternSlice(start: number, endInclusive: number): Buffer {
  return patternChunk(start, endInclusive - start + 1);
}

export function patternDigest(size: number): string {
  const hash = createHash('sha256');
  for (let offset = 0; offset < size; offset += CHUNK)
    hash.update(patternChunk(offset, Math.min(CHUNK, size - offset)));
  return hash.digest('hex');
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export async function digestOf(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    size += buf.length;
    hash.update(buf);
  }
  return { size, sha256: hash.digest('hex') };
}

/** Sends `bytes` pattern bytes, then fails with `error`, as a client connection dropping mid-upload does. */
export function failingStream(bytes: number, error: Error): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= bytes) {
        this.destroy(error);
        return;
      }
      const length = Math.min(CHUNK, bytes - offset);
      this.push(patternChunk(offset, length));
      offset += length;
    },
  });
}

/**
 * Sends `bytes` pattern bytes, then neither ends nor fails: a stalled client. `drained` resolves once the
 * consumer has taken everything and asks for more.
 */
export function stallingStream(bytes: number): { stream: Readable; drained: Promise<void> } {
  let offset = 0;
  let onDrained: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => {
    onDrained = resolve;
  });
  const stream = new Readable({
    read() {
      if (offset >= bytes) {
        onDrained();
        return;
      }
      const length = Math.min(CHUNK, bytes - offset);
      this.push(patternChunk(offset, length));
      offset += length;
    },
  });
  return { stream, drained };
}
