import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3BlobStore, type S3BlobStoreOptions } from '../../../src/lib/blob-store/s3-blob-store.js';
import type { BlobStore } from '../../../src/lib/blob-store/blob-store.js';
import { AppError } from '../../../src/lib/errors.js';
import { newId } from '../../../src/lib/ids.js';
import { S3RVER_CREDENTIALS, S3RVER_REGION, startS3rver, type RunningS3rver } from '../../helpers/s3rver.js';
import { blobStoreContract } from './blob-store.contract.js';
import { patternStream, readAll } from './streams.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

function options(
  endpoint: string,
  bucket: string,
  extra: Partial<S3BlobStoreOptions> = {},
): S3BlobStoreOptions {
  return {
    bucket,
    region: S3RVER_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    partSizeBytes: PART,
    queueSize: 2,
    ...extra,
  };
}

blobStoreContract('s3 (s3rver)', async () => {
  const s3rver = await startS3rver();
  const store = createS3BlobStore(
    options(s3rver.endpoint, s3rver.bucket, { maxAttempts: 2, requestTimeoutMs: 15_000 }),
  );
  return {
    store,
    // s3rver lists folder by folder, so 'p/a/b' comes before 'p/a-c'; real S3 orders whole keys.
    capabilities: { presign: true, byteOrderAcrossFolders: false },
    multiPartBytes: PART,
    async cleanup() {
      await store.close();
      await s3rver.stop();
    },
  };
});

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = createNetServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** The whole cause chain as text: where the bucket and key must be, for the log. */
function causeText(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(' <- ');
}

describe('S3 blob store when S3 is unreachable', () => {
  const bucket = 'confidential-bucket-name';
  const key = `tenants/${newId()}/secret-key-name`;

  it('fails every operation with DEPENDENCY_UNAVAILABLE within seconds, naming nothing in the message', async () => {
    const store = createS3BlobStore(
      options(`http://127.0.0.1:${await closedPort()}`, bucket, {
        maxAttempts: 2,
        requestTimeoutMs: 1000,
        connectionTimeoutMs: 500,
      }),
    );
    const body = Readable.from(['never sent']);
    const operations: [string, () => Promise<unknown>][] = [
      ['put', () => store.put(key, body)],
      ['get', () => store.get(key)],
      ['head', () => store.head(key)],
      ['delete', () => store.delete(key)],
      ['list', () => store.list('tenants/')],
      ['check', () => store.check()],
    ];
    for (const [name, run] of operations) {
      const started = Date.now();
      const error = await failureOf(run());
      expect(Date.now() - started, name).toBeLessThan(5000);
      expect(error.code, name).toBe('DEPENDENCY_UNAVAILABLE');
      expect(error.status).toBe(503);
      expect(error.message).not.toContain(bucket);
      expect(error.message).not.toContain('secret-key-name');
      expect(causeText(error)).toContain(bucket);
      expect(causeText(error)).toMatch(/ECONNREFUSED/);
    }
    expect(body.destroyed).toBe(true);
    await store.close();
  });

  it('gives up on a server that accepts connections but never answers, after the request timeout', async () => {
    const sockets = new Set<Socket>();
    const server = createNetServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    const port = await listen(server);
    const store = createS3BlobStore(
      options(`http://127.0.0.1:${port}`, bucket, { maxAttempts: 2, requestTimeoutMs: 400 }),
    );
    try {
      const started = Date.now();
      const error = await failureOf(store.head(key));
      expect(error.code).toBe('DEPENDENCY_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(800);
      expect(sockets.size).toBe(2);
      await expect(store.check()).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    } finally {
      await store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('S3 blob store against servers that answer with errors', () => {
  let server: Server;
  let port: number;
  let status = 503;
  let requests = 0;

  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      requests++;
      req.resume();
      const code = status === 403 ? 'AccessDenied' : 'ServiceUnavailable';
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>nope</Message></Error>`,
      );
    });
    port = await listen(server);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('retries a 5xx exactly maxAttempts times, then reports DEPENDENCY_UNAVAILABLE', async () => {
    status = 503;
    requests = 0;
    const store = createS3BlobStore(options(`http://127.0.0.1:${port}`, 'bucket', { maxAttempts: 3 }));
    const error = await failureOf(store.get('a/b'));
    expect(error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(requests).toBe(3);
    await store.close();
  });

  it('does not retry a refusal: UPSTREAM_ERROR for operations, DEPENDENCY_UNAVAILABLE for readiness', async () => {
    status = 403;
    requests = 0;
    const store = createS3BlobStore(options(`http://127.0.0.1:${port}`, 'bucket', { maxAttempts: 3 }));
    expect((await failureOf(store.get('a/b'))).code).toBe('UPSTREAM_ERROR');
    expect(requests).toBe(1);
    expect((await failureOf(store.put('a/b', Readable.from(['x'])))).code).toBe('UPSTREAM_ERROR');
    expect((await failureOf(store.check())).code).toBe('DEPENDENCY_UNAVAILABLE');
    await store.close();
  });
});

describe('S3 blob store against s3rver', () => {
  let s3rver: RunningS3rver;
  let proxy: Server;
  let proxyEndpoint: string;
  let connections = 0;
  const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  let holdNextPut: ((release: () => void) => void) | undefined;

  beforeAll(async () => {
    s3rver = await startS3rver();
    const upstream = new URL(s3rver.endpoint);
    // A transparent proxy in front of s3rver: records requests, counts connections, and can hold back the
    // response to a PUT after s3rver has stored the object.
    proxy = createHttpServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const forwarded = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (response) => {
          const relay = (): void => {
            res.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(res);
          };
          const hold = req.method === 'PUT' ? holdNextPut : undefined;
          if (hold) {
            holdNextPut = undefined;
            hold(relay);
          } else {
            relay();
          }
        },
      );
      req.pipe(forwarded);
    });
    proxy.on('connection', () => connections++);
    proxyEndpoint = `http://127.0.0.1:${await listen(proxy)}`;
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
    await s3rver.stop();
  });

  it('reuses pooled keep-alive connections across requests', async () => {
    const store = createS3BlobStore(options(proxyEndpoint, s3rver.bucket));
    const key = `pool/${newId()}`;
    await store.put(key, Readable.from(['x']));
    const before = connections;
    for (let i = 0; i < 5; i++) await store.head(key);
    expect(connections - before).toBe(0);
    await store.close();
  });

  it('sends the configured server-side encryption on single and multipart uploads', async () => {
    const store = createS3BlobStore(
      options(proxyEndpoint, s3rver.bucket, {
        serverSideEncryption: 'aws:kms',
        kmsKeyId: 'alias/loan-documents',
      }),
    );
    const base = `sse/${newId()}`;
    seen.length = 0;
    await store.put(`${base}/small`, Readable.from(['x']));
    await store.put(`${base}/large`, patternStream(PART + 10));
    const uploads = seen.filter(
      (r) =>
        (r.method === 'PUT' && !r.url.includes('partNumber=')) ||
        (r.method === 'POST' && r.url.includes('uploads')),
    );
    expect(uploads).toHaveLength(2);
    for (const r of uploads) {
      expect(r.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(r.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe('alias/loan-documents');
    }
    await store.close();
  });

  it('a multipart upload stopped after its first part leaves the part invisible and nothing at the key', async () => {
    const store = createS3BlobStore(options(s3rver.endpoint, s3rver.bucket));
    const key = `multipart/${newId()}/original`;
    seen.length = 0;
    const error = await failureOf(store.put(key, patternStream(3 * PART), { maxBytes: PART + MiB }));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    // s3rver cannot abort multipart uploads: the stored part proves the multipart path was taken.
    const parts = await findFiles(s3rver.directory, (path) => /_S3rver_uploads\/[0-9a-f]+\/1$/.test(path));
    expect(parts.length).toBeGreaterThan(0);
    expect(await store.head(key)).toBeUndefined();
    expect((await store.list(`multipart/`)).keys.filter((k) => k.key === key)).toEqual([]);
    await store.close();
  });

  it('removes an object committed while the signal fired, and reports the abort', async () => {
    const store = createS3BlobStore(options(proxyEndpoint, s3rver.bucket));
    const direct = createS3BlobStore(options(s3rver.endpoint, s3rver.bucket));
    const key = `late-abort/${newId()}/original`;
    const controller = new AbortController();
    const held = new Promise<() => void>((resolve) => {
      holdNextPut = resolve;
    });
    const pending = store.put(key, Readable.from(['committed bytes']), { signal: controller.signal });
    const release = await held;
    // s3rver has stored the object; only its answer is still on the way.
    expect((await direct.head(key))?.size).toBe('committed bytes'.length);
    controller.abort();
    release();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(await direct.head(key)).toBeUndefined();
    await store.close();
    await direct.close();
  });

  it('fails with DEPENDENCY_UNAVAILABLE once S3 stops, and check() throws', async () => {
    const own = await startS3rver();
    const store = createS3BlobStore(
      options(own.endpoint, own.bucket, { maxAttempts: 2, requestTimeoutMs: 1000 }),
    );
    const key = `stop/${newId()}`;
    await store.put(key, Readable.from(['before the outage']));
    expect((await readAll(await store.get(key))).toString()).toBe('before the outage');
    await store.check();
    await own.stop();
    const started = Date.now();
    expect((await failureOf(store.head(key))).code).toBe('DEPENDENCY_UNAVAILABLE');
    await expect(store.check()).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(5000);
    await store.close();
  });

  it('refuses options that cannot work', () => {
    expect(() => createS3BlobStore(options(s3rver.endpoint, s3rver.bucket, { partSizeBytes: MiB }))).toThrow(
      /partSizeBytes/,
    );
    expect(() => createS3BlobStore(options(s3rver.endpoint, s3rver.bucket, { queueSize: 0 }))).toThrow(
      /queueSize/,
    );
  });

  it('reports a missing bucket on check() as DEPENDENCY_UNAVAILABLE', async () => {
    const store: BlobStore = createS3BlobStore(options(s3rver.endpoint, 'no-such-bucket'));
    const error = await failureOf(store.check());
    expect(error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(causeText(error)).toContain('no-such-bucket');
    await store.close();
  });
});

async function findFiles(root: string, match: (path: string) => boolean): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter(match);
}
