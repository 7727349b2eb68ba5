import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { createBooking, expectNothingLeft, problem, upload, uploadOk, type Caller } from '../../http/documents/support.js';

/**
 * Malware scanning on upload (CLAMAV_HOST set) against a local server speaking clamd's INSTREAM
 * protocol: `zINSTREAM\0`, then chunks each prefixed with a 4-byte big-endian length, then a zero
 * length; the reply is `stream: OK` or `stream: <signature> FOUND`, NUL-terminated.
 */

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

interface Clamd {
  server: Server;
  port: number;
  scanned: Buffer[];
  mode: 'scan' | 'garbage';
}

function startClamd(): Promise<Clamd> {
  const clamd: Clamd = { server: createServer(), port: 0, scanned: [], mode: 'scan' };
  clamd.server.on('connection', (socket: Socket) => {
    let buffer = Buffer.alloc(0);
    let commandSeen = false;
    const chunks: Buffer[] = [];
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buffer = Buffer.concat([buffer, d]);
      if (!commandSeen) {
        const nul = buffer.indexOf(0);
        if (nul < 0) return;
        if (buffer.subarray(0, nul).toString('latin1') !== 'zINSTREAM') return void socket.end('UNKNOWN COMMAND\0');
        commandSeen = true;
        buffer = buffer.subarray(nul + 1);
      }
      while (buffer.length >= 4) {
        const len = buffer.readUInt32BE(0);
        if (len === 0) {
          const body = Buffer.concat(chunks);
          clamd.scanned.push(body);
          if (clamd.mode === 'garbage') return void socket.end('what is this\0');
          return void socket.end(body.includes(EICAR) ? 'stream: Eicar-Test-Signature FOUND\0' : 'stream: OK\0');
        }
        if (buffer.length < 4 + len) return;
        chunks.push(buffer.subarray(4, 4 + len));
        buffer = buffer.subarray(4 + len);
      }
    });
  });
  return new Promise((resolve) =>
    clamd.server.listen(0, '127.0.0.1', () => {
      clamd.port = (clamd.server.address() as AddressInfo).port;
      resolve(clamd);
    }),
  );
}

describe('upload scanning with ClamAV', () => {
  let clamd: Clamd;
  let t: TestApp;
  let analyst: Caller;
  let admin: Caller;

  beforeAll(async () => {
    clamd = await startClamd();
    t = await createTestApp({ env: { CLAMAV_HOST: '127.0.0.1', CLAMAV_PORT: String(clamd.port) } });
    analyst = await t.auth('analyst');
    admin = await t.auth('admin');
  });
  afterAll(async () => {
    await t?.close();
    clamd.server.close();
  });

  it('a clean file is scanned (its exact bytes) and stored', async () => {
    const booking = await createBooking(t, analyst);
    const data = Buffer.from('A clean memo about the Acme facility.\n'.repeat(5000));
    const before = clamd.scanned.length;
    const [doc] = await uploadOk(t, analyst, booking, [{ name: 'memo.txt', type: 'text/plain', data }]);
    expect(doc!.status).toBe('uploaded');
    expect(clamd.scanned.length).toBe(before + 1);
    expect(clamd.scanned.at(-1)!.equals(data)).toBe(true);
  });

  it('an infected file is refused (422 malware), audited with its signature, and nothing of the request is kept', async () => {
    const booking = await createBooking(t, analyst);
    const res = await upload(t, analyst, booking, [
      { name: 'clean.txt', type: 'text/plain', data: Buffer.from('Clean first file of the request.') },
      { name: 'eicar.txt', type: 'text/plain', data: Buffer.from(EICAR) },
    ]);
    expect(res.statusCode).toBe(422);
    expect(problem(res)).toMatchObject({ error_code: 'UNPROCESSABLE_DOCUMENT', details: { reason: 'malware', file_name: 'eicar.txt' } });
    await expectNothingLeft(t, analyst, booking);
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/audit-events?action=document.malware_rejected', headers: { authorization: admin.authorization } });
    const events = audit.json<{ items: { outcome: string; actor_id: string; target_id: string; details: Record<string, unknown> }[] }>().items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'denied', actor_id: analyst.userId, target_id: booking, details: { file_name: 'eicar.txt', signature: 'Eicar-Test-Signature' } });
  });

  it('a scanner that answers garbage or is down fails the upload with 503: nothing is let through unscanned', async () => {
    const booking = await createBooking(t, analyst);
    clamd.mode = 'garbage';
    const garbage = await upload(t, analyst, booking, [{ name: 'a.txt', type: 'text/plain', data: Buffer.from('scanner replies nonsense') }]);
    expect(garbage.statusCode).toBe(503);
    expect(problem(garbage).error_code).toBe('DEPENDENCY_UNAVAILABLE');
    await expectNothingLeft(t, analyst, booking);

    clamd.mode = 'scan';
    await new Promise<void>((resolve) => clamd.server.close(() => resolve()));
    const down = await upload(t, analyst, booking, [{ name: 'b.txt', type: 'text/plain', data: Buffer.from('scanner is down') }]);
    expect(down.statusCode).toBe(503);
    expect(problem(down).error_code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(down.body).not.toContain(String(clamd.port));
    await expectNothingLeft(t, analyst, booking);
  });
});
