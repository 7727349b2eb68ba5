import type { Readable } from 'node:stream';

/**
 * The blob store port: opaque byte streams under slash-separated keys (see `blob-keys.ts` for how
 * keys are derived and which keys are accepted). Two adapters: local disk and S3.
 *
 * Error contract shared by every adapter:
 * - a key or prefix that is not well formed: AppError BAD_REQUEST (nothing is read or written);
 * - a missing blob on `get`: AppError BLOB_NOT_FOUND; a range that starts past the end: RANGE_NOT_SATISFIABLE;
 * - `put` over `maxBytes`: AppError PAYLOAD_TOO_LARGE with `details.limit_bytes`;
 * - `put` whose `signal` fired: an Error named `AbortError` (its `cause` is the signal's reason);
 * - `put` whose body stream failed: that same stream error, untouched, so the caller recognises its own failure;
 * - storage unreachable or failing: AppError DEPENDENCY_UNAVAILABLE (or UPSTREAM_ERROR for a refusal such as
 *   access denied), whose message never names a bucket, path or key: those are in `cause`, for the log.
 */

export interface PutResult {
  key: string;
  size: number;
  /** Lower-case hex SHA-256 of the bytes as stored. */
  sha256: string;
  etag?: string;
}

export interface BlobHead {
  key: string;
  size: number;
  contentType?: string;
  lastModified?: Date;
  /** The `metadata` given to `put`, as given. */
  metadata?: Record<string, string>;
}

export interface PutOptions {
  contentType?: string;
  /** The write fails with PAYLOAD_TOO_LARGE as soon as more than this many bytes arrive. */
  maxBytes?: number;
  signal?: AbortSignal;
  /**
   * Small descriptive values (for example the sanitised original file name). Names: lower-case letters,
   * digits and `-`; names and values together at most 2 KiB (the S3 limit on user metadata).
   */
  metadata?: Record<string, string>;
}

/** Inclusive byte offsets, as in an HTTP `Range: bytes=start-end` header; `end` past the blob is clamped. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ListedBlob {
  key: string;
  lastModified: Date;
  size: number;
}

export interface ListOptions {
  /** Opaque, from the previous page. */
  cursor?: string;
  /** Page size, 1..1000 (default 1000). */
  limit?: number;
}

export interface ListPage {
  /** Keys in byte-wise lexicographic order. */
  keys: ListedBlob[];
  /** Present only when there may be more keys after this page. */
  cursor?: string;
}

export interface PresignGetOptions {
  expiresInSeconds: number;
  /** Offered to the browser as the download name (sanitised here). */
  filename: string;
  contentType: string;
}

export interface BlobStore {
  readonly kind: 'disk' | 's3';
  /**
   * Streams `body` to `key`, computing size and SHA-256 as it goes. The blob becomes visible under `key`
   * only when complete: on error, abort or limit nothing new is left at `key` (a blob already there stays
   * as it was) and temporary data is removed. `put` takes ownership of `body`: on failure it is destroyed,
   * so a caller that must still answer an HTTP request should pass a PassThrough fed from the request
   * rather than the request itself.
   */
  put(key: string, body: Readable, opts?: PutOptions): Promise<PutResult>;
  /** The blob's bytes (or the requested range) as a stream. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  head(key: string): Promise<BlobHead | undefined>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix` (a plain string prefix, as in S3; '' lists everything). */
  list(prefix: string, opts?: ListOptions): Promise<ListPage>;
  /** A time-limited URL from which a browser downloads the blob directly; present only where supported. */
  presignGet?(key: string, opts: PresignGetOptions): Promise<string>;
  /** Readiness probe: resolves when the storage is reachable and usable, throws otherwise. */
  check(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export const MAX_LIST_LIMIT = 1000;
