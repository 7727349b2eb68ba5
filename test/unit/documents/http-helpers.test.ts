import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { matchesIfNoneMatch, parseRange } from '../../../src/modules/documents/documents.routes.js';
import { AppError } from '../../../src/lib/errors.js';

function unsatisfiable(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected RANGE_NOT_SATISFIABLE');
}

describe('parseRange (one byte range, RFC 9110)', () => {
  it('reads first-last, open-ended and suffix ranges', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=2-5', 10)).toEqual({ start: 2, end: 5 });
    expect(parseRange('bytes=7-', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange(' bytes=1-2 ', 10)).toEqual({ start: 1, end: 2 });
  });

  it('leaves the end past the size for the caller to clamp', () => {
    expect(parseRange('bytes=4-100', 10)).toEqual({ start: 4, end: 100 });
  });

  it('ignores what it does not serve: no header, other units, several ranges, garbage, reversed', () => {
    for (const h of [undefined, '', 'items=0-1', 'bytes=0-1,3-4', 'bytes=a-b', 'bytes=-', 'bytes=5-2', 'bytes=1234567890123456-']) {
      expect(parseRange(h, 10), String(h)).toBeUndefined();
    }
  });

  it('refuses a range starting at or past the end, and an empty suffix, naming the size', () => {
    for (const h of ['bytes=10-', 'bytes=10-12', 'bytes=99-', 'bytes=-0']) {
      const err = unsatisfiable(() => parseRange(h, 10));
      expect(err.code, h).toBe('RANGE_NOT_SATISFIABLE');
      expect(err.headers).toEqual({ 'content-range': 'bytes */10' });
    }
  });

  it('any range it accepts lies within the document once the end is clamped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.option(fc.nat(20_000)), fc.option(fc.nat(20_000)), (size, a, b) => {
        if (a === null && b === null) return;
        const header = `bytes=${a ?? ''}-${b ?? ''}`;
        let r;
        try {
          r = parseRange(header, size);
        } catch (err) {
          expect((err as AppError).code).toBe('RANGE_NOT_SATISFIABLE');
          return;
        }
        if (!r) return;
        const end = Math.min(r.end, size - 1);
        expect(r.start).toBeGreaterThanOrEqual(0);
        expect(r.start).toBeLessThanOrEqual(end);
        expect(end).toBeLessThan(size);
      }),
    );
  });
});

describe('matchesIfNoneMatch', () => {
  const etag = '"abc"';
  it('matches the tag, a list holding it, a weak form of it, and *', () => {
    expect(matchesIfNoneMatch('"abc"', etag)).toBe(true);
    expect(matchesIfNoneMatch('"x", "abc"', etag)).toBe(true);
    expect(matchesIfNoneMatch('W/"abc"', etag)).toBe(true);
    expect(matchesIfNoneMatch(' * ', etag)).toBe(true);
  });
  it('does not match other tags, an unquoted tag, or nothing', () => {
    expect(matchesIfNoneMatch(undefined, etag)).toBe(false);
    expect(matchesIfNoneMatch('', etag)).toBe(false);
    expect(matchesIfNoneMatch('"abcd"', etag)).toBe(false);
    expect(matchesIfNoneMatch('abc', etag)).toBe(false);
    expect(matchesIfNoneMatch('"x", "y"', etag)).toBe(false);
  });
});
