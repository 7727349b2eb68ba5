import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { pipeline, Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  S3Client,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError } from '../errors.js';
import type {
  BlobHead,
  BlobStore,
  ByteRange,
  ListedBlob,
  ListOptions,
  ListPage,
  PresignGetOptions,
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
  isValidBlobKey,
  resolveListLimit,
} from './blob-keys.js';
import { contentDisposition } from './content-disposition.js';
import { abortError, assertMaxBytes, meterBody } from './metered-body.js';

/**
 * Blobs as S3 objects. Uploads go through lib-storage's `Upload`: bodies up to one part are a single
 * PutObject, which lands whole or not at all; larger ones are a multipart upload, whose object only exists
 * once CompleteMultipartUpload succeeds. That is our "rename into place": a write that fails, hits the limit
 * or is aborted stops feeding the upload, lib-storage never completes it and aborts the multipart upload,
 * so nothing appears under the key. (Parts of an upload whose abort also failed are invisible and billed:
 * give the bucket an AbortIncompleteMultipartUpload lifecycle rule.)
 *
 * We stop an upload by failing its body stream rather than calling `upload.abort()`: `abort()` makes
 * `done()` reject at once while requests already sent carry on, so a CompleteMultipartUpload in flight
 * could still land after we reported failure. A failed body makes `done()` settle only when every
 * request has.
 */

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** For S3-compatible servers and emulators. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Omitted: the SDK's default provider chain (environment, instance role...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  serverSideEncryption?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  /** Multipart part size; memory per upload is about partSize × (queueSize + 1). Default 8 MiB, min 5 MiB. */
  partSizeBytes?: number;
  /** Parts in flight per upload. Default 4. */
  queueSize?: number;
  /** Attempts per request, first one included. Default 3. */
  maxAttempts?: number;
  /** Time allowed for one request until its response starts (a part upload included). Default 30 s. */
  requestTimeoutMs?: number;
  /** Time allowed to open a connection. Default 5 s (capped by requestTimeoutMs). */
  connectionTimeoutMs?: number;
  /** Pooled keep-alive connections. Default 50. */
  maxSockets?: number;
  /** Told of every S3 request once it settled, retries included (for metrics). */
  onRequest?: (event: S3RequestEvent) => void;
}

export interface S3RequestEvent {
  /** The S3 operation, e.g. "PutObject". */
  operation: string;
  ok: boolean;
  /** Attempts made, the first included: 1 + the retries. */
  attempts: number;
}

export interface S3BlobStore extends BlobStore {
  readonly kind: 's3';
  presignGet(key: string, opts: PresignGetOptions): Promise<string>;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const CONTENT_TYPE_RE = /^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=("[^"\r\n]*"|[\w.+-]+))*$/;

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function asSdkError(err: unknown): SdkError {
  return typeof err === 'object' && err !== null ? err : {};
}

function statusOf(err: unknown): number | undefined {
  return asSdkError(err).$metadata?.httpStatusCode;
}

/** What the SDK's retry middleware recorded: attempts made, the first included. */
function attemptsOf(outputOrError: unknown): number {
  const metadata = (asSdkError(outputOrError) as { $metadata?: { attempts?: number } }).$metadata;
  return metadata?.attempts ?? 1;
}

/** An outage is worth retrying a little later (the SDK already retried within the request). */
const RETRY_LATER = { 'retry-after': '5' };

function isNotFound(err: unknown): boolean {
  const { name } = asSdkError(err);
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404;
}

function decodeMetadataValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function positiveInt(value: number | undefined, fallback: number, name: string, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min)
    throw new Error(`S3 blob store: ${name} must be an integer >= ${min}`);
  return value;
}

/**
 * HTTP lets a server ignore or widen a Range request (s3rver, for one, reads `bytes=0-0` as "from 0 on"),
 * so the served range is checked against the requested one and trimmed: a caller never gets bytes it did
 * not ask for.
 */
function fitToRange(
  body: Readable,
  range: ByteRange,
  contentRange?: string,
  contentLength?: number,
): Readable {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange ?? '');
  const servedStart = match ? Number(match[1]) : 0;
  const servedEnd = match ? Number(match[2]) : (contentLength ?? 0) - 1;
  const total = match ? (match[3] === '*' ? undefined : Number(match[3])) : contentLength;
  if ((total !== undefined && range.start >= total) || servedStart > range.start) {
    body.destroy();
    throw new AppError('RANGE_NOT_SATISFIABLE');
  }
  const end = Math.min(range.end, servedEnd);
  if (servedStart === range.start && servedEnd === end) return body;
  return Readable.from(slice(body, range.start - servedStart, end - range.start + 1));
}

async function* slice(body: Readable, skip: number, length: number): AsyncGenerator<Buffer> {
  let toSkip = skip;
  let remaining = length;
  for await (const chunk of body) {
    let buf = chunk as Buffer;
    if (toSkip > 0) {
      const dropped = Math.min(toSkip, buf.length);
      buf = buf.subarray(dropped);
      toSkip -= dropped;
    }
    if (buf.length === 0) continue;
    const taken = buf.subarray(0, remaining);
    remaining -= taken.length;
    yield taken;
    if (remaining === 0) return;
  }
}

export function createS3BlobStore(options: S3BlobStoreOptions): S3BlobStore {
  const { bucket } = options;
  const partSize = positiveInt(options.partSizeBytes, 8 * 1024 * 1024, 'partSizeBytes', MIN_PART_SIZE);
  const queueSize = positiveInt(options.queueSize, 4, 'queueSize');
  const requestTimeout = positiveInt(options.requestTimeoutMs, 30_000, 'requestTimeoutMs');
  const connectionTimeout = Math.min(
    positiveInt(options.connectionTimeoutMs, 5_000, 'connectionTimeoutMs'),
    requestTimeout,
  );
  const agentOptions = { keepAlive: true, maxSockets: positiveInt(options.maxSockets, 50, 'maxSockets') };

  const client = new S3Client({
    region: options.region,
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials !== undefined && { credentials: options.credentials }),
    maxAttempts: positiveInt(options.maxAttempts, 3, 'maxAttempts'),
    retryMode: 'adaptive',
    // Checksums only where S3 demands them: the default streaming checksum framing is not understood by
    // every S3-compatible server (s3rver stores the framing inside the object), and we hash ourselves.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout,
      requestTimeout,
      throwOnRequestTimeout: true,
    },
  });

  const onRequest = options.onRequest;
  if (onRequest) {
    // Around the retry middleware: runs once per command, when its last attempt has settled.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        try {
          const result = await next(args);
          onRequest({ operation, ok: true, attempts: attemptsOf(result.output) });
          return result;
        } catch (err) {
          onRequest({ operation, ok: false, attempts: attemptsOf(err) });
          throw err;
        }
      },
      { step: 'initialize', name: 'blobStoreRequestEvents' },
    );
  }

  function failure(operation: string, err: unknown, key?: string): AppError {
    const where = key === undefined ? `s3://${bucket}` : `s3://${bucket}/${key}`;
    const cause = Object.assign(new Error(`S3 ${operation} failed for ${where}`, { cause: err }), {
      operation,
      bucket,
      key,
    });
    const status = statusOf(err);
    // Anything the service refused for a reason that retrying will not fix (access denied, no such
    // bucket...) is a misconfiguration upstream; the rest (network, timeouts, 5xx, throttling) is an outage.
    if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
      return new AppError('UPSTREAM_ERROR', 'Blob storage refused the request', { cause });
    }
    return new AppError('DEPENDENCY_UNAVAILABLE', 'Blob storage is unavailable', { cause, headers: RETRY_LATER });
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
    const metered = meterBody(body, opts);
    // The body is watched by `meterBody`; any error here already reached the upload through the meter.
    pipeline(metered.source, metered.meter, () => undefined);

    const params: PutObjectCommandInput = {
      Bucket: bucket,
      Key: key,
      Body: metered.meter,
      ContentType: opts.contentType ?? 'application/octet-stream',
    };
    if (opts.metadata) {
      // S3 metadata travels as HTTP headers, which only carry ASCII: store values percent-encoded.
      params.Metadata = Object.fromEntries(
        Object.entries(opts.metadata).map(([k, v]) => [k, encodeURIComponent(v)]),
      );
    }
    if (options.serverSideEncryption) params.ServerSideEncryption = options.serverSideEncryption;
    if (options.serverSideEncryption === 'aws:kms' && options.kmsKeyId) params.SSEKMSKeyId = options.kmsKeyId;

    let etag: string | undefined;
    try {
      const output = await new Upload({
        client,
        params,
        partSize,
        queueSize,
        leavePartsOnError: false,
      }).done();
      etag = output.ETag;
    } catch (err) {
      throw metered.failure() ?? failure('put', err, key);
    } finally {
      metered.dispose();
    }
    // The signal fired after the last byte was sent but while the object was being committed: the caller
    // has been told "aborted", so the object must not stay.
    if (opts.signal?.aborted) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
      throw abortError(opts.signal);
    }
    const result: PutResult = { key, size: metered.meter.bytes, sha256: metered.meter.digest() };
    if (etag !== undefined) result.etag = etag;
    return result;
  }

  async function get(key: string, range?: ByteRange): Promise<Readable> {
    assertBlobKey(key);
    assertRange(range);
    try {
      const output = await client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(range !== undefined && { Range: `bytes=${range.start}-${range.end}` }),
        }),
      );
      const body = output.Body as Readable;
      return range === undefined ? body : fitToRange(body, range, output.ContentRange, output.ContentLength);
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (isNotFound(err)) throw new AppError('BLOB_NOT_FOUND');
      if (statusOf(err) === 416) throw new AppError('RANGE_NOT_SATISFIABLE');
      throw failure('get', err, key);
    }
  }

  async function head(key: string): Promise<BlobHead | undefined> {
    assertBlobKey(key);
    try {
      const output = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const result: BlobHead = { key, size: output.ContentLength ?? 0 };
      if (output.ContentType !== undefined) result.contentType = output.ContentType;
      if (output.LastModified !== undefined) result.lastModified = output.LastModified;
      if (output.Metadata && Object.keys(output.Metadata).length > 0) {
        result.metadata = Object.fromEntries(
          Object.entries(output.Metadata).map(([k, v]) => [k, decodeMetadataValue(v)]),
        );
      }
      return result;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw failure('head', err, key);
    }
  }

  async function remove(key: string): Promise<void> {
    assertBlobKey(key);
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw failure('delete', err, key);
    }
  }

  async function list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    assertBlobPrefix(prefix);
    const limit = resolveListLimit(opts.limit);
    const after = opts.cursor === undefined ? undefined : decodeListCursor(opts.cursor, prefix);
    let output;
    try {
      // ListObjects (v1) with Marker rather than v2: our cursor is the last key anyway, and v2's
      // continuation tokens are what some S3-compatible servers get wrong (s3rver cannot make them on
      // OpenSSL 3).
      output = await client.send(
        new ListObjectsCommand({
          Bucket: bucket,
          Prefix: prefix,
          MaxKeys: limit,
          ...(after !== undefined && { Marker: after }),
        }),
      );
    } catch (err) {
      throw failure('list', err, prefix);
    }
    const contents = output.Contents ?? [];
    // Objects written behind our back with keys outside our grammar are not ours to show.
    const keys: ListedBlob[] = contents
      .filter((object) => isValidBlobKey(object.Key))
      .map((object) => ({
        key: object.Key as string,
        size: object.Size ?? 0,
        lastModified: object.LastModified ?? new Date(0),
      }));
    const lastRaw = contents[contents.length - 1]?.Key;
    return output.IsTruncated && lastRaw !== undefined
      ? { keys, cursor: encodeListCursor(lastRaw) }
      : { keys };
  }

  async function presignGet(key: string, opts: PresignGetOptions): Promise<string> {
    assertBlobKey(key);
    if (
      !Number.isSafeInteger(opts.expiresInSeconds) ||
      opts.expiresInSeconds < 1 ||
      opts.expiresInSeconds > MAX_PRESIGN_SECONDS
    ) {
      throw new AppError(
        'BAD_REQUEST',
        `expiresInSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS}`,
      );
    }
    if (!CONTENT_TYPE_RE.test(opts.contentType)) {
      throw new AppError('BAD_REQUEST', 'Invalid content type for a download link');
    }
    const command = new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      ResponseContentDisposition: contentDisposition(opts.filename),
      ResponseContentType: opts.contentType,
    });
    return getSignedUrl(client, command, { expiresIn: opts.expiresInSeconds });
  }

  async function check(signal?: AbortSignal): Promise<void> {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }), signal ? { abortSignal: signal } : {});
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      const mapped = failure('check', err);
      // A missing bucket is an outage for readiness purposes, not a client-facing refusal.
      throw mapped.code === 'DEPENDENCY_UNAVAILABLE'
        ? mapped
        : new AppError('DEPENDENCY_UNAVAILABLE', 'Blob storage is unavailable', { cause: mapped.cause, headers: RETRY_LATER });
    }
  }

  return {
    kind: 's3',
    put,
    get,
    head,
    delete: remove,
    list,
    presignGet,
    check,
    close() {
      client.destroy();
      return Promise.resolve();
    },
  };
}
