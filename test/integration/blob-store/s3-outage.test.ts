import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3BlobStore, type S3BlobStore, type S3RequestEvent } from '../../../src/lib/blob-store/s3-blob-store.js';
import { AppError } from '../../../src/lib/errors.js';
import { newId } from '../../../src/lib/ids.js';
import { S3RVER_CREDENTIALS, S3RVER_REGION, startS3rver, type RunningS3rver } from '../../helpers/s3rver.js';

/**
 * The S3 adapter across an outage of the same server (s3rver stopped and started again on its port
 * and directory): each request is tried a bounded number of times and then fails as
 * DEPENDENCY_UNAVAILABLE with Retry-After; the attempts show in the request events (metrics); the
 * same client works again once the server is back, and the objects stored before are intact.
 */

let s3: RunningS3rver;
let store: S3BlobStore;
const events: S3RequestEvent[] = [];

beforeAll(async () => {
  s3 = await startS3rver('cls-adapter-outage');
  store = createS3BlobStore({
    bucket: s3.bucket,
    region: S3RVER_REGION,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    maxAttempts: 3,
    onRequest: (e) => events.push(e),
  });
});

afterAll(async () => {
  await store?.close();
  await s3?.stop();
});

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('S3 adapter across an outage', () => {
  const key = `outage/${newId()}`;

  it('while up: one attempt per request, reported as ok', async () => {
    events.length = 0;
    await store.put(key, Readable.from([Buffer.from('stored before the outage')]));
    expect(events).toEqual([{ operation: 'PutObject', ok: true, attempts: 1 }]);
  });

  it('while down: every operation fails after exactly maxAttempts attempts, as DEPENDENCY_UNAVAILABLE with Retry-After, naming nothing', async () => {
    await s3.kill();
    events.length = 0;
    const errors = [
      await failure(store.put(`outage/${newId()}`, Readable.from([Buffer.from('lost')]))),
      await failure(store.get(key)),
      await failure(store.head(key)),
      await failure(store.delete(key)),
      await failure(store.list('outage/')),
      await failure(store.check()),
    ];
    for (const e of errors) {
      expect(e.code).toBe('DEPENDENCY_UNAVAILABLE');
      expect(e.headers).toEqual({ 'retry-after': '5' });
      expect(e.message).not.toContain(s3.bucket);
    }
    expect(events.map((e) => e.operation)).toEqual(['PutObject', 'GetObject', 'HeadObject', 'DeleteObject', 'ListObjects', 'HeadBucket']);
    for (const e of events) expect(e).toMatchObject({ ok: false, attempts: 3 });
  });

  it('back up: the same client works again and the object stored before is intact', async () => {
    await s3.start();
    events.length = 0;
    expect(await text(await store.get(key))).toBe('stored before the outage');
    await store.check();
    expect(events).toEqual([
      { operation: 'GetObject', ok: true, attempts: 1 },
      { operation: 'HeadBucket', ok: true, attempts: 1 },
    ]);
  });
});
