import { constants, createWriteStream } from 'node:fs';
import {
  access,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type {
  BlobHead,
  BlobStore,
  ByteRange,
  ListedBlob,
  ListOptions,
  ListPage,
  PutOptions,
  PutResult,
} from './blob-store.js';
import {
  assertBlobKey,
  assertBlobPrefix,
  assertMetadata,
  assertRange,
  decodeListCursor,
  encodeListCursor,
  isValidKeySegment,
  resolveListLimit,
} from './blob-keys.js';
import { assertMaxBytes, meterBody } from './metered-body.js';

/**
 * Blobs as plain files under `root`, one file per key (`a/b/c` is `root/a/b/c`). A write goes to a
 * uniquely named file in `root/.tmp/` (same filesystem, so the final rename is atomic), is fsynced, renamed
 * into place, and the directory is fsynced: a reader sees either the old blob, the whole new one, or
 * nothing. Content type and metadata live in a sidecar `.<name>.meta.json` next to the blob; it is put in
 * place before the blob, so a visible blob always has its metadata (on an overwrite, a reader may briefly
 * see the new sidecar with the old bytes; keys here are write-once in practice).
 *
 * Dot-names are never keys (see blob-keys.ts), so neither `.tmp/` nor sidecars can be addressed or listed.
 */

export interface DiskBlobStoreOptions {
  root: string;
}

export interface DiskBlobStore extends BlobStore {
  readonly kind: 'disk';
  readonly root: string;
  /**
   * The file that holds `key`'s blob, for tools that can only read a path (parsers, scanners). It is
   * replaced, never rewritten in place, so a reader keeps seeing whole bytes. Checks the key, not existence.
   */
  localPath(key: string): string;
  /**
   * Removes temp files not written to for `olderThanMs` (left by a process killed mid-upload). Pick an age
   * well above the longest pause an upload can have, or a live upload loses its temp file and fails.
   * Returns how many were removed.
   */
  sweepTemp(olderThanMs: number): Promise<number>;
}

interface Sidecar {
  contentType?: string;
  metadata?: Record<string, string>;
}

const TEMP_DIR = '.tmp';
const FILE_MODE = 0o600;
const RENAME_ATTEMPTS = 3;

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

const MISSING = new Set(['ENOENT', 'ENOTDIR']);

function storageError(operation: string, err: unknown, path: string): AppError {
  return new AppError('DEPENDENCY_UNAVAILABLE', 'Blob storage is unavailable', {
    cause: new Error(`disk blob store: ${operation} failed at ${path}`, { cause: err }),
  });
}

const CLASHES = new Set(['EISDIR', 'ENOTDIR', 'EEXIST', 'ENOTEMPTY']);

async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeFileDurably(path: string, data: string): Promise<void> {
  const handle = await open(path, 'wx', FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readSidecar(path: string): Promise<Sidecar> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Sidecar;
  } catch (err) {
    if (MISSING.has(errorCode(err) ?? '')) return {};
    throw err;
  }
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function createDiskBlobStore(options: DiskBlobStoreOptions): DiskBlobStore {
  const root = resolve(options.root);
  const tempDir = join(root, TEMP_DIR);

  function pathOf(key: string): string {
    const path = join(root, ...key.split('/'));
    // Defence in depth: the key grammar already excludes anything that could climb out of root.
    if (!path.startsWith(root + sep)) throw storageError('resolve', new Error('key escapes root'), path);
    return path;
  }

  const sidecarOf = (path: string): string => join(dirname(path), `.${basename(path)}.meta.json`);

  // A concurrent delete may prune the target's (empty) directory between our mkdir and rename.
  async function renameInto(from: string, to: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(dirname(to), { recursive: true });
        await rename(from, to);
        return;
      } catch (err) {
        // S3 allows both `a` and `a/b` as keys; a filesystem cannot hold a file and a folder at one path.
        if (CLASHES.has(errorCode(err) ?? '')) {
          throw new AppError('CONFLICT', 'The storage key conflicts with an existing key', {
            cause: new Error(`disk blob store: cannot place ${to}`, { cause: err }),
          });
        }
        if (errorCode(err) !== 'ENOENT' || attempt >= RENAME_ATTEMPTS) throw err;
      }
    }
  }

  async function pruneEmptyParents(path: string): Promise<void> {
    for (let dir = dirname(path); dir.startsWith(root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return;
      }
    }
  }

  async function put(key: string, body: Readable, opts: PutOptions = {}): Promise<PutResult> {
    try {
      assertBlobKey(key);
      assertMaxBytes(opts.maxBytes);
      assertMetadata(opts.metadata);
    } catch (err) {
      body.destroy();
      throw err;
    }
    const target = pathOf(key);
    const metered = meterBody(body, opts);
    const tempPath = join(tempDir, `${newId()}.part`);
    const sidecarTemp = join(tempDir, `${newId()}.meta`);
    let committed = false;
    try {
      await mkdir(tempDir, { recursive: true });
      // `flush` fsyncs the file before its descriptor closes, and the pipeline waits for that close. The
      // 1 MiB buffer overlaps disk writes with reading the upload (see ByteMeter).
      const file = createWriteStream(tempPath, { flags: 'wx', mode: FILE_MODE, flush: true, highWaterMark: 1024 * 1024 });
      await pipeline(metered.source, metered.meter, file);
      metered.throwIfAborted();

      const sidecar: Sidecar = { contentType: opts.contentType ?? 'application/octet-stream' };
      if (opts.metadata) sidecar.metadata = { ...opts.metadata };
      await writeFileDurably(sidecarTemp, JSON.stringify(sidecar));
      await renameInto(sidecarTemp, sidecarOf(target));
      await renameInto(tempPath, target);
      committed = true;
      await fsyncDir(dirname(target));
      return { key, size: metered.meter.bytes, sha256: metered.meter.digest() };
    } catch (err) {
      await rm(tempPath, { force: true }).catch(() => undefined);
      await rm(sidecarTemp, { force: true }).catch(() => undefined);
      // The promise is "visible only when complete and reported": an unconfirmed rename is undone.
      if (committed) await rm(target, { force: true }).catch(() => undefined);
      throw metered.failure() ?? (err instanceof AppError ? err : storageError('put', err, target));
    } finally {
      metered.dispose();
    }
  }

  async function get(key: string, range?: ByteRange): Promise<Readable> {
    assertBlobKey(key);
    assertRange(range);
    const path = pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (MISSING.has(errorCode(err) ?? '')) throw new AppError('BLOB_NOT_FOUND');
      throw storageError('get', err, path);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new AppError('BLOB_NOT_FOUND');
      if (range === undefined) return handle.createReadStream();
      if (range.start >= info.size) throw new AppError('RANGE_NOT_SATISFIABLE');
      return handle.createReadStream({ start: range.start, end: Math.min(range.end, info.size - 1) });
    } catch (err) {
      await handle.close().catch(() => undefined);
      if (err instanceof AppError) throw err;
      throw storageError('get', err, path);
    }
  }

  async function head(key: string): Promise<BlobHead | undefined> {
    assertBlobKey(key);
    const path = pathOf(key);
    try {
      const info = await stat(path);
      if (!info.isFile()) return undefined;
      const sidecar = await readSidecar(sidecarOf(path));
      const result: BlobHead = { key, size: info.size, lastModified: info.mtime };
      if (sidecar.contentType !== undefined) result.contentType = sidecar.contentType;
      if (sidecar.metadata !== undefined) result.metadata = sidecar.metadata;
      return result;
    } catch (err) {
      if (MISSING.has(errorCode(err) ?? '')) return undefined;
      throw storageError('head', err, path);
    }
  }

  async function remove(key: string): Promise<void> {
    assertBlobKey(key);
    const path = pathOf(key);
    for (const file of [path, sidecarOf(path)]) {
      try {
        await unlink(file);
      } catch (err) {
        const code = errorCode(err) ?? '';
        // A directory at this path is a "folder" of other keys, not a blob: nothing to delete.
        if (!MISSING.has(code) && code !== 'EISDIR') throw storageError('delete', err, file);
      }
    }
    await pruneEmptyParents(path);
  }

  async function list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    assertBlobPrefix(prefix);
    const limit = resolveListLimit(opts.limit);
    const after = opts.cursor === undefined ? undefined : decodeListCursor(opts.cursor, prefix);
    const found: ListedBlob[] = [];

    // Depth-first, each directory's entries sorted with a '/' appended to folder names: that visits
    // keys in exactly the byte order of their full paths ('a-c' < 'a/b' because '-' < '/').
    async function walk(dirPath: string, dirKey: string): Promise<boolean> {
      let entries;
      try {
        entries = await readdir(dirPath, { withFileTypes: true });
      } catch (err) {
        if (MISSING.has(errorCode(err) ?? '')) return false;
        throw storageError('list', err, dirPath);
      }
      const sorted = entries
        .filter((entry) => isValidKeySegment(entry.name) && (entry.isDirectory() || entry.isFile()))
        .map((entry) => ({ entry, order: entry.isDirectory() ? `${entry.name}/` : entry.name }))
        .sort((a, b) => byCodeUnits(a.order, b.order));
      for (const { entry } of sorted) {
        const key = dirKey + entry.name;
        const path = join(dirPath, entry.name);
        if (entry.isDirectory()) {
          const folder = `${key}/`;
          if (!folder.startsWith(prefix) && !prefix.startsWith(folder)) continue;
          // Every key in this folder sorts before the cursor: skip the whole subtree.
          if (after !== undefined && after > folder && !after.startsWith(folder)) continue;
          if (await walk(path, folder)) return true;
          continue;
        }
        if (!key.startsWith(prefix) || (after !== undefined && key <= after)) continue;
        let info;
        try {
          info = await stat(path);
        } catch (err) {
          if (MISSING.has(errorCode(err) ?? '')) continue;
          throw storageError('list', err, path);
        }
        found.push({ key, size: info.size, lastModified: info.mtime });
        // One more than a page tells whether a next page exists.
        if (found.length > limit) return true;
      }
      return false;
    }

    const startKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    await walk(startKey === '' ? root : pathOf(startKey.slice(0, -1)), startKey);
    const keys = found.slice(0, limit);
    const last = keys[keys.length - 1];
    return found.length > limit && last ? { keys, cursor: encodeListCursor(last.key) } : { keys };
  }

  async function check(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    try {
      await mkdir(tempDir, { recursive: true });
      await access(root, constants.R_OK | constants.W_OK);
      await access(tempDir, constants.R_OK | constants.W_OK);
    } catch (err) {
      throw storageError('check', err, root);
    }
  }

  async function sweepTemp(olderThanMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(tempDir);
    } catch (err) {
      if (MISSING.has(errorCode(err) ?? '')) return 0;
      throw storageError('sweep', err, tempDir);
    }
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names) {
      const path = join(tempDir, name);
      try {
        const info = await stat(path);
        if (!info.isFile() || info.mtimeMs > cutoff) continue;
        await unlink(path);
        removed++;
      } catch (err) {
        if (!MISSING.has(errorCode(err) ?? '')) throw storageError('sweep', err, path);
      }
    }
    return removed;
  }

  return {
    kind: 'disk',
    root,
    localPath(key: string): string {
      assertBlobKey(key);
      return pathOf(key);
    },
    put,
    get,
    head,
    delete: remove,
    list,
    check,
    sweepTemp,
    close: () => Promise.resolve(),
  };
}
