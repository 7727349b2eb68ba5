import { AppError } from '../errors.js';
import { isId } from '../ids.js';
import { MAX_LIST_LIMIT, type ByteRange } from './blob-store.js';

/**
 * Blob keys are derived from ids only, never from anything a client named, so that no upload can choose
 * where it lands. Every adapter checks every key against the same narrow grammar before touching storage:
 * segments of `[A-Za-z0-9._-]`, separated by single slashes, none starting with a dot. That rules out
 * `.`/`..`, absolute paths, backslashes, NUL and other control characters, and it reserves dot-names for
 * the stores' own bookkeeping (the disk store's `.tmp/` folder and metadata sidecars).
 */

export interface DocumentBlobIds {
  tenantId: string;
  bookingId: string;
  documentId: string;
}

const MAX_KEY_LENGTH = 1024;
// Leaves room under the usual 255-byte file name limit for the disk store's sidecar names.
const MAX_SEGMENT_LENGTH = 200;
const SEGMENT_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const METADATA_NAME_RE = /^[a-z0-9][a-z0-9-]*$/;
const MAX_METADATA_BYTES = 2048;

function invalidKey(what: string, value: unknown): AppError {
  return new AppError('BAD_REQUEST', `Invalid storage ${what}`, {
    cause: new Error(`rejected blob ${what}: ${JSON.stringify(value)}`),
  });
}

export function isValidKeySegment(segment: string): boolean {
  return segment.length <= MAX_SEGMENT_LENGTH && SEGMENT_RE.test(segment);
}

export function isValidBlobKey(key: unknown): key is string {
  return (
    typeof key === 'string' &&
    key.length > 0 &&
    key.length <= MAX_KEY_LENGTH &&
    key.split('/').every(isValidKeySegment)
  );
}

export function assertBlobKey(key: unknown): asserts key is string {
  if (!isValidBlobKey(key)) throw invalidKey('key', key);
}

/** A listing prefix: '' or the start of a valid key, possibly ending with '/'. */
export function assertBlobPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix.length > MAX_KEY_LENGTH) throw invalidKey('prefix', prefix);
  if (prefix === '') return;
  const segments = prefix.split('/');
  if (prefix.endsWith('/')) segments.pop();
  if (!segments.every(isValidKeySegment)) throw invalidKey('prefix', prefix);
}

// Tenant ids are slugs (`default`, `acme-bank`); booking and document ids are UUIDs.
const TENANT_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

function assertIds(ids: DocumentBlobIds): void {
  for (const [name, value] of Object.entries(ids)) {
    const ok = typeof value === 'string' && (name === 'tenantId' ? TENANT_RE.test(value) : isId(value));
    if (!ok) {
      throw new AppError('BAD_REQUEST', 'Invalid identifier for a storage key', {
        cause: new Error(`${name} is not an id: ${JSON.stringify(value)}`),
      });
    }
  }
}

/** Everything stored for one document lives under this prefix (ends with '/'). */
export function documentPrefix(ids: DocumentBlobIds): string {
  assertIds(ids);
  return `tenants/${ids.tenantId}/loan-bookings/${ids.bookingId}/documents/${ids.documentId}/`;
}

/** The uploaded file, byte for byte. */
export function blobKey(ids: DocumentBlobIds): string {
  return `${documentPrefix(ids)}original`;
}

/** Text extracted from the original (a derived artefact, rebuilt from the original when lost). */
export function textKey(ids: DocumentBlobIds): string {
  return `${documentPrefix(ids)}text`;
}

export function encodeListCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

/** The key after which the next page starts; INVALID_CURSOR for anything this module did not issue. */
export function decodeListCursor(cursor: string, prefix: string): string {
  const key = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (
    key === '' ||
    key.length > MAX_KEY_LENGTH ||
    !key.startsWith(prefix) ||
    encodeListCursor(key) !== cursor
  ) {
    throw new AppError('INVALID_CURSOR');
  }
  return key;
}

export function resolveListLimit(limit: number | undefined): number {
  if (limit === undefined) return MAX_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new AppError('BAD_REQUEST', 'List limit must be a positive integer');
  }
  return Math.min(limit, MAX_LIST_LIMIT);
}

export function assertMetadata(metadata: Record<string, string> | undefined): void {
  if (metadata === undefined) return;
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_NAME_RE.test(name) || typeof value !== 'string') {
      throw new AppError('BAD_REQUEST', 'Invalid storage metadata', {
        cause: new Error(`rejected metadata entry ${JSON.stringify(name)}`),
      });
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(encodeURIComponent(value));
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new AppError('BAD_REQUEST', 'Storage metadata too large', {
      details: { limit_bytes: MAX_METADATA_BYTES },
    });
  }
}

/** Checks the shape of a requested range; whether it fits the blob is the adapter's call. */
export function assertRange(range: ByteRange | undefined): void {
  if (range === undefined) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new AppError('RANGE_NOT_SATISFIABLE', 'The requested range is not valid');
  }
}
