import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import { newId } from '../../../src/lib/ids.js';
import type { BlobStore } from '../../../src/lib/blob-store/blob-store.js';
import {
  digestOf,
  failingStream,
  patternDigest,
  patternSlice,
  patternStream,
  readAll,
  sha256,
  stallingStream,
} from './streams.js';

/**
 * One behavioural contract for every BlobStore adapter. A case is only ever gated by a capability the
 * factory declares about its backend, never by which adapter it is.
 */
export interface BlobStoreCapabilities {
  /** `presignGet` exists and its URLs can be fetched from this process. */
  presign: boolean;
  /**
   * Listing is in byte order of whole keys even where a key's next character sorts before '/'
   * ('p/a-c' < 'p/a/b'). Real S3 and the disk store do; s3rver sorts folder by folder.
   */
  byteOrderAcrossFolders: boolean;
}

export interface BlobStoreUnderTest {
  store: BlobStore;
  capabilities: BlobStoreCapabilities;
  /** Bodies at least this large exercise the adapter's multi-request path (multipart on S3). */
  multiPartBytes: number;
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;

async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

export function blobStoreContract(name: string, factory: () => Promise<BlobStoreUnderTest>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let subject: BlobStoreUnderTest;
    let store: BlobStore;

    beforeAll(async () => {
      subject = await factory();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.cleanup();
    });

    /** A fresh folder per test: no test sees another's keys. */
    const folder = (): string => `contract/${newId()}`;

    async function expectNothingAt(key: string): Promise<void> {
      expect(await store.head(key)).toBeUndefined();
      await expectAppError(store.get(key), 'BLOB_NOT_FOUND');
      const parent = key.slice(0, key.lastIndexOf('/') + 1);
      expect((await store.list(parent)).keys).toEqual([]);
    }

    it('check() resolves when the storage is usable', async () => {
      await expect(store.check()).resolves.toBeUndefined();
    });

    it('round-trips bytes, size, sha256, content type and metadata', async () => {
      const key = `${folder()}/original`;
      const body = Buffer.from('The quick brown fox jumps over the lazy dog\n');
      const result = await store.put(key, Readable.from([body.subarray(0, 10), body.subarray(10)]), {
        contentType: 'text/plain; charset=utf-8',
        metadata: { 'file-name': 'Facility agreement – signé.pdf', uploader: 'u-1' },
      });
      expect(result.key).toBe(key);
      expect(result.size).toBe(body.length);
      expect(result.sha256).toBe(sha256(body));

      expect(await readAll(await store.get(key))).toEqual(body);

      const head = await store.head(key);
      expect(head).toMatchObject({
        key,
        size: body.length,
        contentType: 'text/plain; charset=utf-8',
        metadata: { 'file-name': 'Facility agreement – signé.pdf', uploader: 'u-1' },
      });
      expect(head?.lastModified).toBeInstanceOf(Date);
      expect(Math.abs(Date.now() - head!.lastModified!.getTime())).toBeLessThan(60_000);
    });

    it('stores an empty body and string chunks', async () => {
      const base = folder();
      const empty = await store.put(`${base}/empty`, Readable.from([]));
      expect(empty).toMatchObject({ size: 0, sha256: sha256('') });
      expect((await readAll(await store.get(`${base}/empty`))).length).toBe(0);
      expect((await store.head(`${base}/empty`))?.contentType).toBe('application/octet-stream');

      const text = await store.put(`${base}/text`, Readable.from(['héllo ', 'wörld']));
      expect(text).toMatchObject({ size: Buffer.byteLength('héllo wörld'), sha256: sha256('héllo wörld') });
      expect((await readAll(await store.get(`${base}/text`))).toString('utf8')).toBe('héllo wörld');
    });

    it('streams a large body through and back, intact, and serves ranges of it', async () => {
      const key = `${folder()}/original`;
      const size = 20 * MiB + 12_345;
      const result = await store.put(key, patternStream(size), { contentType: 'application/pdf' });
      expect(result.size).toBe(size);
      expect(result.sha256).toBe(patternDigest(size));

      expect(await digestOf(await store.get(key))).toEqual({ size, sha256: result.sha256 });
      expect((await store.head(key))?.size).toBe(size);

      // Across the 5 MiB and 8 MiB boundaries where a multipart upload may have split it.
      const start = 5 * MiB - 1000;
      const end = 8 * MiB + 1000;
      // Compared by digest: a deep equality over megabytes of Buffer takes the test runner seconds.
      const middle = await readAll(await store.get(key, { start, end }));
      expect(middle.length).toBe(end - start + 1);
      expect(sha256(middle)).toBe(sha256(patternSlice(start, end)));
      expect(await readAll(await store.get(key, { start: size - 10, end: size + 100 }))).toEqual(
        patternSlice(size - 10, size - 1),
      );
    });

    it('serves inclusive byte ranges, clamps the end, and refuses ranges past the end', async () => {
      const key = `${folder()}/original`;
      await store.put(key, Readable.from([Buffer.from('abcdefghij')]));
      const range = async (start: number, end: number): Promise<string> =>
        (await readAll(await store.get(key, { start, end }))).toString();
      expect(await range(0, 0)).toBe('a');
      expect(await range(2, 5)).toBe('cdef');
      expect(await range(9, 9)).toBe('j');
      expect(await range(8, 1000)).toBe('ij');
      await expectAppError(store.get(key, { start: 10, end: 12 }), 'RANGE_NOT_SATISFIABLE');
      await expectAppError(store.get(key, { start: 5, end: 2 }), 'RANGE_NOT_SATISFIABLE');
      await expectAppError(store.get(key, { start: -1, end: 2 }), 'RANGE_NOT_SATISFIABLE');
      await expectAppError(store.get(key, { start: 1.5, end: 2 }), 'RANGE_NOT_SATISFIABLE');

      const emptyKey = `${folder()}/empty`;
      await store.put(emptyKey, Readable.from([]));
      await expectAppError(store.get(emptyKey, { start: 0, end: 0 }), 'RANGE_NOT_SATISFIABLE');
    });

    it('reports a missing blob: head undefined, get BLOB_NOT_FOUND', async () => {
      const key = `${folder()}/original`;
      expect(await store.head(key)).toBeUndefined();
      await expectAppError(store.get(key), 'BLOB_NOT_FOUND');
      await expectAppError(store.get(key, { start: 0, end: 1 }), 'BLOB_NOT_FOUND');
    });

    it('replaces a blob on a second put', async () => {
      const key = `${folder()}/original`;
      await store.put(key, Readable.from(['first version']), { contentType: 'text/plain' });
      const second = await store.put(key, Readable.from(['second']), { contentType: 'application/json' });
      expect(second).toMatchObject({ size: 6, sha256: sha256('second') });
      expect((await readAll(await store.get(key))).toString()).toBe('second');
      expect(await store.head(key)).toMatchObject({ size: 6, contentType: 'application/json' });
    });

    it('deletes idempotently and only the named key', async () => {
      const base = folder();
      await store.put(`${base}/a`, Readable.from(['a']));
      await store.put(`${base}/b`, Readable.from(['b']));
      await store.delete(`${base}/a`);
      expect(await store.head(`${base}/a`)).toBeUndefined();
      await expectAppError(store.get(`${base}/a`), 'BLOB_NOT_FOUND');
      await expect(store.delete(`${base}/a`)).resolves.toBeUndefined();
      await expect(store.delete(`${base}/never-existed`)).resolves.toBeUndefined();
      expect((await readAll(await store.get(`${base}/b`))).toString()).toBe('b');
      expect((await store.list(`${base}/`)).keys.map((k) => k.key)).toEqual([`${base}/b`]);
      // A key can be written again after its delete.
      await store.put(`${base}/a`, Readable.from(['again']));
      expect((await readAll(await store.get(`${base}/a`))).toString()).toBe('again');
    });

    describe('maxBytes', () => {
      it('accepts a body of exactly maxBytes', async () => {
        const key = `${folder()}/original`;
        const result = await store.put(key, Readable.from([Buffer.alloc(100, 7)]), { maxBytes: 100 });
        expect(result.size).toBe(100);
      });

      it('stops a small body over the limit with PAYLOAD_TOO_LARGE and leaves nothing', async () => {
        const key = `${folder()}/original`;
        const body = Readable.from([Buffer.alloc(60, 1), Buffer.alloc(41, 2)]);
        const error = await expectAppError(store.put(key, body, { maxBytes: 100 }), 'PAYLOAD_TOO_LARGE');
        expect(error.status).toBe(413);
        expect(error.details).toEqual({ limit_bytes: 100 });
        expect(body.destroyed).toBe(true);
        await expectNothingAt(key);
      });

      it('stops a large body as soon as the limit is passed and leaves nothing', async () => {
        const key = `${folder()}/original`;
        const limit = subject.multiPartBytes + MiB;
        const size = 64 * MiB;
        let produced = 0;
        const body = patternStream(size, (length) => {
          produced += length;
        });
        const error = await expectAppError(store.put(key, body, { maxBytes: limit }), 'PAYLOAD_TOO_LARGE');
        expect(error.details).toEqual({ limit_bytes: limit });
        // Reading stopped near the limit instead of draining the whole body.
        expect(produced).toBeLessThan(limit + 2 * MiB);
        expect(body.destroyed).toBe(true);
        await expectNothingAt(key);
      });

      it('rejects a negative or fractional maxBytes before reading', async () => {
        const body = Readable.from(['x']);
        await expectAppError(store.put(`${folder()}/original`, body, { maxBytes: -1 }), 'BAD_REQUEST');
        await expectAppError(
          store.put(`${folder()}/original`, Readable.from(['x']), { maxBytes: 1.5 }),
          'BAD_REQUEST',
        );
        expect(body.destroyed).toBe(true);
      });
    });

    describe('failing and aborted writes', () => {
      it('rethrows the body stream error (small body) and leaves nothing', async () => {
        const key = `${folder()}/original`;
        const cause = new Error('client went away');
        await expect(store.put(key, failingStream(1000, cause))).rejects.toBe(cause);
        await expectNothingAt(key);
      });

      it('rethrows the body stream error after several MiB and leaves nothing', async () => {
        const key = `${folder()}/original`;
        const cause = new Error('connection reset mid-upload');
        await expect(store.put(key, failingStream(subject.multiPartBytes + 3 * MiB, cause))).rejects.toBe(
          cause,
        );
        await expectNothingAt(key);
      });

      it('stops a stalled upload when the signal fires and leaves nothing', async () => {
        const key = `${folder()}/original`;
        const { stream, drained } = stallingStream(subject.multiPartBytes + MiB);
        const controller = new AbortController();
        const pending = store.put(key, stream, { signal: controller.signal });
        await drained;
        controller.abort(new Error('request closed'));
        const error = await pending.then(
          () => undefined,
          (err: unknown) => err as Error,
        );
        expect(error?.name).toBe('AbortError');
        expect((error?.cause as Error).message).toBe('request closed');
        expect(stream.destroyed).toBe(true);
        await expectNothingAt(key);
      });

      it('does not start a write whose signal already fired', async () => {
        const key = `${folder()}/original`;
        const body = Readable.from(['never stored']);
        await expect(store.put(key, body, { signal: AbortSignal.abort() })).rejects.toMatchObject({
          name: 'AbortError',
        });
        expect(body.destroyed).toBe(true);
        await expectNothingAt(key);
      });

      it('leaves the previous blob intact when a replacing write fails', async () => {
        const key = `${folder()}/original`;
        await store.put(key, Readable.from(['version one']));
        await expectAppError(
          store.put(key, Readable.from([Buffer.alloc(50)]), { maxBytes: 10 }),
          'PAYLOAD_TOO_LARGE',
        );
        await expect(store.put(key, failingStream(500, new Error('boom')))).rejects.toThrow('boom');
        expect((await readAll(await store.get(key))).toString()).toBe('version one');
        expect((await store.head(key))?.size).toBe('version one'.length);
      });

      it('completes concurrent writes to different keys', async () => {
        const base = folder();
        const sizes = [0, 1, 70_000, 300_000, 1_000_000];
        const results = await Promise.all(
          sizes.map((size, i) => store.put(`${base}/k${i}`, patternStream(size))),
        );
        expect(results.map((r) => r.sha256)).toEqual(sizes.map((size) => patternDigest(size)));
        expect((await store.list(`${base}/`)).keys.map((k) => k.size)).toEqual(sizes);
      });
    });

    describe('list', () => {
      it('pages through a prefix in key order, with sizes and dates, and nothing outside it', async () => {
        const base = folder();
        const inside = [
          `${base}/docs/a/1`,
          `${base}/docs/a/2`,
          `${base}/docs/b`,
          `${base}/docs/c/d/e`,
          `${base}/docs/c/d/f`,
          `${base}/docs/k01`,
          `${base}/docs/k02`,
          `${base}/docs/k03`,
          `${base}/docs/k10`,
          `${base}/docs/z`,
          `${base}/docs/zz/last`,
        ];
        const outside = [`${base}/docs-other/x`, `${base}/doc`, `${base}/docsx`, `${base}/e/docs/x`];
        const shuffled = [...inside, ...outside].sort(() => Math.random() - 0.5);
        for (const key of shuffled) await store.put(key, Readable.from([Buffer.alloc(key.length, 1)]));

        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.list(`${base}/docs/`, {
            limit: 4,
            ...(cursor !== undefined && { cursor }),
          });
          pages++;
          expect(page.keys.length).toBeLessThanOrEqual(4);
          for (const entry of page.keys) {
            expect(entry.size).toBe(entry.key.length);
            expect(entry.lastModified).toBeInstanceOf(Date);
          }
          seen.push(...page.keys.map((k) => k.key));
          cursor = page.cursor;
        } while (cursor !== undefined && pages < 10);
        expect(seen).toEqual([...inside].sort());
        expect(pages).toBe(3);

        const whole = await store.list(`${base}/docs/`);
        expect(whole.cursor).toBeUndefined();
        expect(whole.keys.map((k) => k.key)).toEqual([...inside].sort());

        // A prefix is a plain string prefix, not a folder.
        expect((await store.list(`${base}/docs/k0`)).keys.map((k) => k.key)).toEqual([
          `${base}/docs/k01`,
          `${base}/docs/k02`,
          `${base}/docs/k03`,
        ]);
        expect((await store.list(`${base}/doc`)).keys).toHaveLength(inside.length + 3);
        expect((await store.list(`${base}/nothing/`)).keys).toEqual([]);
      });

      it('ends exactly when the last page is full', async () => {
        const base = folder();
        for (const key of ['a', 'b', 'c', 'd']) await store.put(`${base}/${key}`, Readable.from(['x']));
        const first = await store.list(`${base}/`, { limit: 2 });
        expect(first.keys.map((k) => k.key)).toEqual([`${base}/a`, `${base}/b`]);
        const second = await store.list(`${base}/`, { limit: 2, cursor: first.cursor! });
        expect(second.keys.map((k) => k.key)).toEqual([`${base}/c`, `${base}/d`]);
        expect(second.cursor).toBeUndefined();
      });

      it('lists every key across folders exactly once, byte-wise ordered where the backend orders so', async () => {
        const base = folder();
        const keys = [
          `${base}/a/b`,
          `${base}/a-c`,
          `${base}/a.d`,
          `${base}/a0`,
          `${base}/a/a/a`,
          `${base}/A`,
        ];
        for (const key of keys) await store.put(key, Readable.from(['x']));
        const expected = [...keys].sort();
        expect(expected).toEqual([
          `${base}/A`,
          `${base}/a-c`,
          `${base}/a.d`,
          `${base}/a/a/a`,
          `${base}/a/b`,
          `${base}/a0`,
        ]);
        const whole = (await store.list(`${base}/`)).keys.map((k) => k.key);
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.list(`${base}/`, { limit: 1, ...(cursor !== undefined && { cursor }) });
          seen.push(...page.keys.map((k) => k.key));
          cursor = page.cursor;
        } while (cursor !== undefined);
        if (subject.capabilities.byteOrderAcrossFolders) {
          expect(whole).toEqual(expected);
          expect(seen).toEqual(expected);
        } else {
          // s3rver walks folder by folder, so one page holds every key, but its continuation (a start-after
          // key, as on S3) skips the keys that its walk puts out of byte order. Real S3 lists in byte order
          // (the capability above); here the pages must still never repeat a key or step outside the prefix.
          expect([...whole].sort()).toEqual(expected);
          expect(new Set(seen).size).toBe(seen.length);
          expect(seen.every((k) => expected.includes(k))).toBe(true);
          expect(seen[0]).toBe(whole[0]);
        }
      });

      it('refuses a cursor it did not issue, a bad limit and a bad prefix', async () => {
        const base = folder();
        await expectAppError(store.list(`${base}/`, { cursor: 'not a cursor!' }), 'INVALID_CURSOR');
        await expectAppError(store.list(`${base}/`, { cursor: '' }), 'INVALID_CURSOR');
        // A well-formed cursor for another prefix.
        const foreign = Buffer.from('elsewhere/key').toString('base64url');
        await expectAppError(store.list(`${base}/`, { cursor: foreign }), 'INVALID_CURSOR');
        await expectAppError(store.list(`${base}/`, { limit: 0 }), 'BAD_REQUEST');
        await expectAppError(store.list(`${base}/`, { limit: 2.5 }), 'BAD_REQUEST');
        for (const prefix of ['../', '/abs', 'a\\b', 'a//b', '.tmp/', 'a/../b', 'a\u0000b']) {
          await expectAppError(store.list(prefix), 'BAD_REQUEST');
        }
      });

      it('caps the page size at 1000', async () => {
        const base = folder();
        await store.put(`${base}/only`, Readable.from(['x']));
        expect((await store.list(`${base}/`, { limit: 5000 })).keys).toHaveLength(1);
      });
    });

    describe('keys', () => {
      const badKeys = [
        '',
        '../escape',
        'a/../../escape',
        '/etc/passwd',
        'a/./b',
        'a//b',
        'a/',
        'a\\b',
        '..\\escape',
        'a\u0000b',
        'a\nb',
        '.tmp/x',
        'a/.hidden',
        'tenants/x/doc name.pdf',
        'ünïcode',
        'x'.repeat(1025),
      ];

      it('refuses every key that could escape or is not ours, on every operation', async () => {
        for (const key of badKeys) {
          const body = Readable.from(['escape attempt']);
          await expectAppError(store.put(key, body), 'BAD_REQUEST');
          expect(body.destroyed).toBe(true);
          await expectAppError(store.get(key), 'BAD_REQUEST');
          await expectAppError(store.head(key), 'BAD_REQUEST');
          await expectAppError(store.delete(key), 'BAD_REQUEST');
        }
      });

      it('refuses metadata that S3 could not carry', async () => {
        const key = `${folder()}/original`;
        await expectAppError(
          store.put(key, Readable.from(['x']), { metadata: { 'Bad Name': 'x' } }),
          'BAD_REQUEST',
        );
        await expectAppError(
          store.put(key, Readable.from(['x']), { metadata: { big: 'x'.repeat(3000) } }),
          'BAD_REQUEST',
        );
        await expectNothingAt(key);
      });
    });

    it('presignGet: a URL that serves the bytes as a download, where the backend supports it', async () => {
      if (!subject.capabilities.presign) {
        expect('presignGet' in store).toBe(false);
        return;
      }
      const key = `${folder()}/original`;
      await store.put(key, Readable.from([Buffer.from('%PDF-1.7 presigned bytes')]), {
        contentType: 'application/pdf',
      });
      const url = await store.presignGet!(key, {
        expiresInSeconds: 60,
        filename: 'Term sheet "final".pdf',
        contentType: 'application/pdf',
      });
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).toString()).toBe('%PDF-1.7 presigned bytes');
      expect(response.headers.get('content-type')).toBe('application/pdf');
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="Term sheet final.pdf"; filename*=UTF-8''Term%20sheet%20final.pdf`,
      );
      await expectAppError(
        store.presignGet!(key, { expiresInSeconds: 0, filename: 'x', contentType: 'application/pdf' }),
        'BAD_REQUEST',
      );
      await expectAppError(
        store.presignGet!(key, {
          expiresInSeconds: 60,
          filename: 'x',
          contentType: 'text/html\r\nX-Evil: 1',
        }),
        'BAD_REQUEST',
      );
    });
  });
}
