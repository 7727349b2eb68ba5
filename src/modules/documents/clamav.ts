import { createReadStream } from 'node:fs';
import { connect } from 'node:net';
import { AppError } from '../../lib/errors.js';

export type ScanResult = { infected: false } | { infected: true; signature: string };

const CHUNK = 64 * 1024;

/**
 * Scans a file with a ClamAV daemon over its INSTREAM protocol (length-prefixed chunks, then a zero
 * length). A scanner that cannot be reached fails the upload (503): files are never let through
 * unscanned once scanning is configured.
 */
export async function scanWithClamav(filePath: string, target: { host: string; port: number }, signal?: AbortSignal, timeoutMs = 60_000): Promise<ScanResult> {
  return new Promise<ScanResult>((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    let reply = '';
    let settled = false;
    const finish = (err: Error | undefined, result?: ScanResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(result!);
    };
    const unavailable = (cause: unknown) =>
      new AppError('DEPENDENCY_UNAVAILABLE', 'The malware scanner is unavailable', { details: { dependency: 'clamav' }, cause });
    const timer = setTimeout(() => finish(unavailable(new Error('clamav timeout'))), timeoutMs);
    signal?.addEventListener('abort', () => finish(unavailable(signal.reason)), { once: true });
    socket.on('error', (err) => finish(unavailable(err)));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('utf8');
    });
    socket.on('end', () => {
      const text = reply.replace(/\0/g, '').trim();
      if (/:\s*OK$/.test(text)) return finish(undefined, { infected: false });
      const found = /:\s*(.+)\s+FOUND$/.exec(text);
      if (found) return finish(undefined, { infected: true, signature: found[1]!.slice(0, 200) });
      finish(unavailable(new Error(`unexpected clamd reply: ${text.slice(0, 200)}`)));
    });
    socket.once('connect', () => {
      socket.write('zINSTREAM\0');
      const file = createReadStream(filePath, { highWaterMark: CHUNK });
      file.on('error', (err) => finish(unavailable(err)));
      file.on('data', (chunk: Buffer | string) => {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        const len = Buffer.alloc(4);
        len.writeUInt32BE(buf.length, 0);
        if (!socket.write(Buffer.concat([len, buf]))) {
          file.pause();
          socket.once('drain', () => file.resume());
        }
      });
      file.on('end', () => socket.write(Buffer.alloc(4)));
    });
  });
}
