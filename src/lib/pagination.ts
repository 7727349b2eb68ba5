import { createHash } from 'node:crypto';
import { AppError } from './errors.js';

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  has_more: boolean;
}

/** Filters a cursor was issued for; a cursor replayed with other filters is refused. */
function filtersDigest(filters: Record<string, unknown>): string {
  const canonical = JSON.stringify(Object.keys(filters).sort().map((k) => [k, filters[k] ?? null]));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

export function encodeCursor(position: Record<string, string | number>, filters: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ p: position, f: filtersDigest(filters) })).toString('base64url');
}

export function decodeCursor<T extends Record<string, string | number>>(
  cursor: string | undefined,
  filters: Record<string, unknown>,
): T | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('INVALID_CURSOR', 'The cursor is not valid');
  }
  const obj = parsed as { p?: unknown; f?: unknown };
  if (!obj || typeof obj !== 'object' || typeof obj.p !== 'object' || obj.p === null || typeof obj.f !== 'string') {
    throw new AppError('INVALID_CURSOR', 'The cursor is not valid');
  }
  if (obj.f !== filtersDigest(filters)) {
    throw new AppError('INVALID_CURSOR', 'The cursor was issued for different filters');
  }
  for (const v of Object.values(obj.p as Record<string, unknown>)) {
    if (typeof v !== 'string' && typeof v !== 'number') throw new AppError('INVALID_CURSOR', 'The cursor is not valid');
  }
  return obj.p as T;
}

/** Builds a page from `limit + 1` fetched rows: the extra row only tells whether there is more. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  position: (row: R) => Record<string, string | number>,
  filters: Record<string, unknown>,
): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(map),
    next_cursor: hasMore && last !== undefined ? encodeCursor(position(last), filters) : null,
    has_more: hasMore,
  };
}
