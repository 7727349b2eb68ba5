import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskBlobStore, type DiskBlobStore } from '../../../src/lib/blob-store/disk-blob-store.js';
import { AppError } from '../../../src/lib/errors.js';
import { newId } from '../../../src/lib/ids.js';
import { blobStoreContract } from './blob-store.contract.js';
import { failingStream, readAll, stallingStream } from './streams.js';

blobStoreContract('disk', async () => {
  const root = await mkdtemp(join(tmpdir(), 'disk-blobs-'));
  const store = createDiskBlobStore({ root });
  return {
    store,
    capabilities: { presign: false, byteOrderAcrossFolders: true },
    multiPartBytes: 5 * 1024 * 1024,
    async cleanup() {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('disk blob store specifics', () => {
  let root: string;
  let store: DiskBlobStore;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'disk-blobs-specific-'));
    store = createDiskBlobStore({ root });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const tempFiles = async (): Promise<string[]> => readdir(join(root, '.tmp')).catch(() => []);

  it('keeps each blob as a plain file at its key under root', async () => {
    const key = `layout/${newId()}/original`;
    await store.put(key, Readable.from(['on disk']));
    expect(await readFile(join(root, ...key.split('/')), 'utf8')).toBe('on disk');
    expect(store.localPath(key)).toBe(join(root, ...key.split('/')));
    expect(await readFile(store.localPath(key), 'utf8')).toBe('on disk');
    expect(() => store.localPath('../outside')).toThrow(AppError);
    expect(await tempFiles()).toEqual([]);
  });

  it('removes its temp data after every kind of failed write', async () => {
    const base = `failures/${newId()}`;
    await expect(
      store.put(`${base}/a`, Readable.from([Buffer.alloc(20)]), { maxBytes: 10 }),
    ).rejects.toBeInstanceOf(AppError);
    await expect(store.put(`${base}/b`, failingStream(200_000, new Error('gone')))).rejects.toThrow('gone');
    const { stream, drained } = stallingStream(300_000);
    const controller = new AbortController();
    const pending = store.put(`${base}/c`, stream, { signal: controller.signal });
    await drained;
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(await tempFiles()).toEqual([]);
    expect((await store.list(`${base}/`)).keys).toEqual([]);
  });

  it('lists only keys: no temp files, sidecars or foreign names', async () => {
    const base = `foreign/${newId()}`;
    await store.put(`${base}/real`, Readable.from(['x']), { contentType: 'text/plain' });
    await writeFile(join(root, base, 'has space'), 'x');
    await writeFile(join(root, base, '.hidden'), 'x');
    expect((await readdir(join(root, base))).sort()).toEqual([
      '.hidden',
      '.real.meta.json',
      'has space',
      'real',
    ]);
    expect((await store.list(`${base}/`)).keys.map((k) => k.key)).toEqual([`${base}/real`]);
    expect((await store.list('')).keys.map((k) => k.key)).toContain(`${base}/real`);
  });

  it('prunes emptied folders on delete and can write into them again', async () => {
    const base = `prune/${newId()}`;
    await store.put(`${base}/deep/er/blob`, Readable.from(['x']));
    await store.delete(`${base}/deep/er/blob`);
    await expect(stat(join(root, base))).rejects.toMatchObject({ code: 'ENOENT' });
    await store.put(`${base}/deep/er/blob`, Readable.from(['y']));
    expect((await readAll(await store.get(`${base}/deep/er/blob`))).toString()).toBe('y');
  });

  it('reports a key that clashes with a folder of keys as CONFLICT, and treats the folder as no blob', async () => {
    const base = `clash/${newId()}`;
    await store.put(`${base}/a/b`, Readable.from(['x']));
    await expect(store.put(`${base}/a`, Readable.from(['y']))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(store.put(`${base}/a/b/c`, Readable.from(['z']))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(await store.head(`${base}/a`)).toBeUndefined();
    await expect(store.get(`${base}/a`)).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
    await expect(store.delete(`${base}/a`)).resolves.toBeUndefined();
    expect((await readAll(await store.get(`${base}/a/b`))).toString()).toBe('x');
    expect(await tempFiles()).toEqual([]);
  });

  it('sweepTemp removes abandoned temp files and keeps fresh ones', async () => {
    const sweepRoot = await mkdtemp(join(tmpdir(), 'disk-blobs-sweep-'));
    const sweeper = createDiskBlobStore({ root: sweepRoot });
    expect(await sweeper.sweepTemp(0)).toBe(0);
    await sweeper.check();
    const tmp = join(sweepRoot, '.tmp');
    await writeFile(join(tmp, 'old.part'), 'abandoned');
    await writeFile(join(tmp, 'old.meta'), '{}');
    await writeFile(join(tmp, 'fresh.part'), 'in progress');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(tmp, 'old.part'), twoHoursAgo, twoHoursAgo);
    await utimes(join(tmp, 'old.meta'), twoHoursAgo, twoHoursAgo);

    expect(await sweeper.sweepTemp(3600_000)).toBe(2);
    expect(await readdir(tmp)).toEqual(['fresh.part']);
    expect(await sweeper.sweepTemp(3600_000)).toBe(0);
    await rm(sweepRoot, { recursive: true, force: true });
  });

  it('a write killed mid-upload never appears under its key, and its temp file is swept', async () => {
    const crashRoot = await mkdtemp(join(tmpdir(), 'disk-blobs-crash-'));
    const key = `crash/${newId()}/original`;
    const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', writer, crashRoot, key], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('stalled')) resolve();
      });
      child.once('exit', () => reject(new Error(`writer exited early: ${output}`)));
    });
    // The bytes have reached the temp file before the process dies (writes go out in 1 MiB batches,
    // so on a busy machine this can take a few seconds).
    const tmp = join(crashRoot, '.tmp');
    for (let i = 0; i < 500; i++) {
      const sizes = await Promise.all(
        (await readdir(tmp)).map(async (name) => (await stat(join(tmp, name))).size),
      );
      if (sizes.some((size) => size > 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(output).not.toContain('completed');

    const store = createDiskBlobStore({ root: crashRoot });
    const left = await readdir(tmp);
    expect(left).toHaveLength(1);
    expect((await stat(join(tmp, left[0]!))).size).toBeGreaterThan(0);
    expect(await store.head(key)).toBeUndefined();
    await expect(store.get(key)).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
    expect((await store.list('')).keys).toEqual([]);

    expect(await store.sweepTemp(0)).toBe(1);
    expect(await readdir(tmp)).toEqual([]);
    await rm(crashRoot, { recursive: true, force: true });
  });

  it('check() fails with DEPENDENCY_UNAVAILABLE when root cannot be used, and so do writes', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'disk-blobs-broken-'));
    await writeFile(join(parent, 'not-a-folder'), 'x');
    const broken = createDiskBlobStore({ root: join(parent, 'not-a-folder', 'root') });
    await expect(broken.check()).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    const error = (await broken.put('a/b', Readable.from(['x'])).catch((err: unknown) => err)) as AppError;
    expect(error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(error.message).not.toContain(parent);
    expect(String((error.cause as Error).message)).toContain(parent);
    await mkdir(join(parent, 'ok'));
    await expect(
      createDiskBlobStore({ root: join(parent, 'ok') }).check(AbortSignal.abort()),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
    await rm(parent, { recursive: true, force: true });
  });
});
