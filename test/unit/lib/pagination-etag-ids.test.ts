import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { AppError } from '../../../src/lib/errors.js';
import { contentEtag, notModified, optionalIfMatch, requireIfMatch, versionEtag } from '../../../src/lib/etag.js';
import { ID_PATTERN, isId, newId } from '../../../src/lib/ids.js';
import { decodeCursor, encodeCursor, toPage } from '../../../src/lib/pagination.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as FastifyRequest;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as AppError).code;
  }
  return undefined;
};

describe('cursors', () => {
  it('round-trip a position for the same filters, whatever their key order', () => {
    const cursor = encodeCursor({ id: 'x', n: 3 }, { a: 1, b: undefined });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, { b: undefined, a: 1 })).toEqual({ id: 'x', n: 3 });
    expect(decodeCursor(undefined, {})).toBeUndefined();
  });

  it('refuse other filters, garbage and forged shapes with INVALID_CURSOR', () => {
    const cursor = encodeCursor({ id: 'x' }, { a: 1 });
    expect(codeOf(() => decodeCursor(cursor, { a: 2 }))).toBe('INVALID_CURSOR');
    const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    for (const bad of [enc('not json{'), enc(null), enc({ p: 'x', f: 'y' }), enc({ p: { id: 'x' } }), enc({ p: { id: { $ne: 1 } }, f: JSON.parse(Buffer.from(cursor, 'base64url').toString()).f })]) {
      expect(codeOf(() => decodeCursor(bad, { a: 1 }))).toBe('INVALID_CURSOR');
    }
  });

  it('toPage uses the extra row only to tell there is more', () => {
    const rows = [{ id: 'c' }, { id: 'b' }, { id: 'a' }];
    const page = toPage(rows, 2, (r) => r.id, (r) => ({ id: r.id }), {});
    expect(page.items).toEqual(['c', 'b']);
    expect(page.has_more).toBe(true);
    expect(decodeCursor(page.next_cursor!, {})).toEqual({ id: 'b' });
    expect(toPage(rows, 3, (r) => r.id, (r) => ({ id: r.id }), {})).toEqual({ items: ['c', 'b', 'a'], next_cursor: null, has_more: false });
    expect(toPage([], 3, (r: { id: string }) => r.id, (r) => ({ id: r.id }), {})).toEqual({ items: [], next_cursor: null, has_more: false });
  });
});

describe('ETags', () => {
  it('make strong version and content tags', () => {
    expect(versionEtag(7)).toBe('"v7"');
    expect(contentEtag('abc')).toBe(contentEtag(Buffer.from('abc')));
    expect(contentEtag('abc')).not.toBe(contentEtag('abd'));
    expect(contentEtag('abc')).toMatch(/^"[\w-]{27}"$/);
  });

  it('require If-Match for updates, accept * and exact versions only', () => {
    expect(codeOf(() => requireIfMatch(req({})))).toBe('PRECONDITION_REQUIRED');
    expect(codeOf(() => requireIfMatch(req({ 'if-match': '' })))).toBe('PRECONDITION_REQUIRED');
    expect(requireIfMatch(req({ 'if-match': ' "v12" ' }))).toBe(12);
    expect(requireIfMatch(req({ 'if-match': '*' }))).toBeUndefined();
    for (const bad of ['W/"v1"', '"v1", "v2"', 'v1', '"v1234567890"', '"x1"']) expect(codeOf(() => requireIfMatch(req({ 'if-match': bad })))).toBe('VERSION_MISMATCH');
    expect(optionalIfMatch(req({}))).toBeUndefined();
    expect(optionalIfMatch(req({ 'if-match': '"v3"' }))).toBe(3);
  });

  it('If-None-Match compares weakly, in lists, and with *', () => {
    expect(notModified(req({}), '"v1"')).toBe(false);
    expect(notModified(req({ 'if-none-match': 'W/"v1"' }), '"v1"')).toBe(true);
    expect(notModified(req({ 'if-none-match': '"a", "v1"' }), '"v1"')).toBe(true);
    expect(notModified(req({ 'if-none-match': '*' }), '"v1"')).toBe(true);
    expect(notModified(req({ 'if-none-match': '"v2"' }), '"v1"')).toBe(false);
  });
});

describe('ids', () => {
  it('are UUIDv7: version and variant bits, creation-time order, matching ID_PATTERN', () => {
    const a = newId(1_700_000_000_000);
    const b = newId(1_700_000_000_001);
    expect(a).toMatch(new RegExp(ID_PATTERN));
    expect(a[14]).toBe('7');
    expect('89ab').toContain(a[19]);
    expect(a < b).toBe(true);
    expect(a.slice(0, 13).replace('-', '')).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
    expect(new Set(Array.from({ length: 1000 }, () => newId())).size).toBe(1000);
    expect(isId(a)).toBe(true);
    expect(isId(a.toUpperCase())).toBe(false);
    expect(isId('not-an-id')).toBe(false);
  });
});
