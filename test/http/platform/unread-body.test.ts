import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { filePartHead, newBoundary } from '../../helpers/multipart.js';
import { createBooking, type Caller } from '../documents/support.js';

/**
 * An upload answered before its body has arrived in full (here a file over the size limit; in an S3
 * outage a 503) must not leave the client's writes stalled on a connection nobody reads: the rest is
 * read and dropped, so a client that sends its whole body before reading gets the answer, the
 * connection stays usable, and a graceful shutdown is not held up. A real socket, not inject().
 */

let t: TestApp;
let analyst: Caller;
let port: number;

beforeAll(async () => {
  t = await createTestApp({ env: { UPLOAD_MAX_FILE_BYTES: String(1024 * 1024) } });
  analyst = await t.auth('analyst');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
});

afterAll(async () => t?.close());

/** Resolves on 'drain', or false once `ms` pass without one (the peer stopped reading). */
function drained(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('drain', onDrain);
      resolve(false);
    }, ms);
    const onDrain = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('drain', onDrain);
  });
}

/** Reads one HTTP/1.1 response with a Content-Length from what the socket has received so far and receives next. */
async function response(socket: Socket, received: { data: Buffer }, ms: number): Promise<{ status: number; body: string } | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = received.data.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end !== -1) {
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      if (received.data.length >= end + 4 + length) {
        const status = Number(text.slice(9, 12));
        const body = received.data.subarray(end + 4, end + 4 + length).toString('utf8');
        received.data = received.data.subarray(end + 4 + length);
        return { status, body };
      }
    }
    if (Date.now() > deadline || socket.destroyed) return undefined;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a request answered before its body is read in full', () => {
  it('a client that sends its whole upload before reading gets the 413, and its keep-alive connection serves the next request', async () => {
    const booking = await createBooking(t, analyst);
    const boundary = newBoundary();
    const head = filePartHead(boundary, { name: 'too-big.txt', type: 'text/plain' });
    const chunk = Buffer.from('A line of a file far over the per-file limit.\n'.repeat(1400));
    const chunks = Math.ceil((32 * 1024 * 1024) / chunk.length);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const length = head.length + chunks * chunk.length + tail.length;

    const socket = connect(port, '127.0.0.1');
    const received = { data: Buffer.alloc(0) };
    socket.on('data', (d: Buffer) => (received.data = Buffer.concat([received.data, d])));
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('connect', r));
    try {
      socket.write(
        `POST /api/v1/loan-bookings/${booking}/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${analyst.authorization}\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n`,
      );
      socket.write(head);
      // The whole body first, as such clients do; the server stops needing it after the first MiB.
      let sent = 0;
      for (let i = 0; i < chunks; i++) {
        if (!socket.write(chunk) && !(await drained(socket, 15_000))) break;
        sent++;
      }
      expect(sent, 'the server stopped reading the body: the client stalled').toBe(chunks);
      socket.write(tail);

      const refused = await response(socket, received, 15_000);
      expect(refused?.status, refused?.body).toBe(413);
      expect(JSON.parse(refused!.body)).toMatchObject({ error_code: 'PAYLOAD_TOO_LARGE' });

      // The body was read to its end: the same connection carries the next request.
      socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const next = await response(socket, received, 15_000);
      expect(next?.status).toBe(200);
    } finally {
      socket.destroy();
    }
  });
});
