import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { sanitizeFileName } from '../../lib/file-names.js';
import { blobKey } from '../../lib/blob-store/blob-keys.js';
import type { BlobStore } from '../../lib/blob-store/blob-store.js';
import type { DiskBlobStore } from '../../lib/blob-store/disk-blob-store.js';
import {
  DETECT_HEAD_BYTES,
  detectFileType,
  inspectDocx,
  isAcceptableDeclared,
  isEncryptedOfficeFile,
  validateDocument,
  type DetectedType,
} from '../../lib/text-extraction/index.js';
import { scanWithClamav } from './clamav.js';

export interface IncomingFile {
  kind: 'file';
  fieldName: string;
  fileName: string | undefined;
  mimeType: string | undefined;
  stream: Readable;
}
export interface IncomingField {
  kind: 'field';
  fieldName: string;
  value: string;
}
export type IncomingPart = IncomingFile | IncomingField;

export interface UploadLimits {
  maxFileBytes: number;
  maxRequestBytes: number;
  maxFiles: number;
  maxParseBytes: number;
  maxDocxUncompressedBytes: number;
}

/** A file written to blob storage and checked, not yet visible as a document. */
export interface StagedFile {
  documentId: string;
  key: string;
  fileName: string;
  detected: DetectedType;
  sizeBytes: number;
  sha256: string;
  pageCount: number | null;
}

/** Reads the first `n` bytes of a stream without losing them: returns them and a stream of everything. */
export async function peekHead(stream: Readable, n: number): Promise<{ head: Buffer; body: Readable }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const buffered = Buffer.concat(chunks);
  async function* all(): AsyncGenerator<Buffer> {
    if (buffered.length > 0) yield buffered;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const body = Readable.from(all(), { objectMode: false });
  // Destroying our stream must also release the source (client gone, limit hit).
  body.once('close', () => {
    if (!stream.destroyed && !done) stream.destroy();
  });
  return { head: buffered.subarray(0, n), body };
}

export interface StagingContext {
  blob: BlobStore;
  tenantId: string;
  bookingId: string;
  limits: UploadLimits;
  tempDir: string;
  clamav: { host: string; port: number } | undefined;
  signal: AbortSignal;
  onInfected?: (fileName: string, signature: string) => Promise<void>;
}

/**
 * Streams one file part to blob storage while hashing it, after deciding its type from its first
 * bytes; then checks the stored bytes in depth (encryption, structure, zip bombs, malware). On any
 * failure the blob is removed before the error propagates.
 */
export async function stageFile(part: IncomingFile, ctx: StagingContext, bytesSoFar: number): Promise<StagedFile> {
  const fileName = sanitizeFileName(part.fileName);
  let peeked;
  try {
    peeked = await peekHead(part.stream, DETECT_HEAD_BYTES);
  } catch (err) {
    throw asClientFailure(err, part, fileName, ctx.signal);
  }
  const { head, body } = peeked;
  if (head.length === 0) {
    body.destroy();
    throw new AppError('UNPROCESSABLE_DOCUMENT', `"${fileName}" is empty`, { details: { reason: 'empty', file_name: fileName } });
  }
  const detected = detectFileType(head);
  if (!detected) {
    body.destroy();
    // Office wraps a password-protected .docx in an OLE container: say so rather than "wrong type".
    if (isEncryptedOfficeFile(head, part.fileName)) {
      throw new AppError('UNPROCESSABLE_DOCUMENT', `"${fileName}" is password-protected; remove the password and upload it again`, {
        details: { reason: 'encrypted_docx', file_name: fileName },
      });
    }
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `"${fileName}" is not an accepted type (PDF, DOCX, text, HTML, PNG, JPEG, TIFF)`, {
      details: { file_name: fileName, accepted: ['pdf', 'docx', 'text', 'html', 'png', 'jpeg', 'tiff'] },
    });
  }
  if (!isAcceptableDeclared(detected, part.mimeType, part.fileName)) {
    body.destroy();
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `"${fileName}" does not match its declared type or extension (its content is ${detected.kind})`, {
      details: { file_name: fileName, detected: detected.kind, declared: part.mimeType ?? null },
    });
  }

  const documentId = newId();
  const key = blobKey({ tenantId: ctx.tenantId, bookingId: ctx.bookingId, documentId });
  const remaining = ctx.limits.maxRequestBytes - bytesSoFar;
  const perFile = ctx.limits.maxFileBytes;
  let stored;
  try {
    stored = await ctx.blob.put(key, body, {
      contentType: detected.mime,
      maxBytes: Math.min(perFile, remaining),
      signal: ctx.signal,
      metadata: { 'document-id': documentId },
    });
  } catch (err) {
    if (err instanceof AppError && err.code === 'PAYLOAD_TOO_LARGE') {
      const perRequest = remaining < perFile;
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        perRequest
          ? `The files of this request exceed ${ctx.limits.maxRequestBytes} bytes in total`
          : `"${fileName}" exceeds the ${perFile}-byte limit per file`,
        { details: { limit: perRequest ? 'request_bytes' : 'file_bytes', limit_bytes: perRequest ? ctx.limits.maxRequestBytes : perFile, file_name: fileName } },
      );
    }
    throw asClientFailure(err, part, fileName, ctx.signal);
  }

  try {
    const verdict = await withLocalCopy(ctx, key, async (localPath) => {
      let type = detected;
      if (detected.needsInspection) {
        // A zip is only a DOCX when its entries say so; any other archive (xlsx, jar) is refused.
        if (!(await inspectDocx(localPath))) {
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', `"${fileName}" is an archive but not a Word document`, { details: { file_name: fileName } });
        }
        type = { ...detected, needsInspection: false };
      }
      const parseable = type.kind !== 'text' && type.kind !== 'html';
      const result = await validateDocument(localPath, type.kind, {
        maxBytes: parseable ? ctx.limits.maxParseBytes : ctx.limits.maxFileBytes,
        maxUncompressedBytes: ctx.limits.maxDocxUncompressedBytes,
      });
      if (ctx.clamav) {
        const scan = await scanWithClamav(localPath, ctx.clamav, ctx.signal);
        if (scan.infected) {
          await ctx.onInfected?.(fileName, scan.signature);
          throw new AppError('UNPROCESSABLE_DOCUMENT', `"${fileName}" was rejected by the malware scan`, { details: { reason: 'malware', file_name: fileName } });
        }
      }
      return result;
    });
    return {
      documentId,
      key,
      fileName,
      detected,
      sizeBytes: stored.size,
      sha256: stored.sha256,
      pageCount: 'pageCount' in verdict ? verdict.pageCount : null,
    };
  } catch (err) {
    await ctx.blob.delete(key).catch(() => undefined);
    if (err instanceof AppError && err.code === 'UNPROCESSABLE_DOCUMENT') {
      const details = { ...(err.details ?? {}), file_name: fileName };
      throw new AppError('UNPROCESSABLE_DOCUMENT', `"${fileName}": ${err.message}`, { details });
    }
    throw err;
  }
}

/**
 * A failure of the client's own stream (body cut short, connection dropped) is the client's error,
 * not a 500: the blob store hands such errors back untouched so that they can be recognised here.
 */
function asClientFailure(err: unknown, part: IncomingFile, fileName: string, signal: AbortSignal): unknown {
  if (err instanceof AppError) return err;
  if (part.stream.errored || signal.aborted) {
    return new AppError('BAD_REQUEST', `The upload of "${fileName}" ended before the file was complete`, { details: { file_name: fileName }, cause: err });
  }
  return err;
}

/** Runs `fn` on a local file holding the blob: in place on disk storage, a temporary copy for S3. */
export async function withLocalCopy<T>(
  ctx: { blob: BlobStore; tempDir: string; signal?: AbortSignal },
  key: string,
  fn: (localPath: string) => Promise<T>,
): Promise<T> {
  if (ctx.blob.kind === 'disk') {
    // Reading the file in place skips the store's get, so its missing-blob answer is asked for here.
    if (!(await ctx.blob.head(key))) throw new AppError('BLOB_NOT_FOUND');
    return fn((ctx.blob as DiskBlobStore).localPath(key));
  }
  await mkdir(ctx.tempDir, { recursive: true });
  const tmp = path.join(ctx.tempDir, `${newId()}.part`);
  try {
    await pipeline(await ctx.blob.get(key), createWriteStream(tmp, { mode: 0o600 }), ctx.signal ? { signal: ctx.signal } : {});
    return await fn(tmp);
  } finally {
    await rm(tmp, { force: true });
  }
}
