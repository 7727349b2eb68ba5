import { describe, expect, it } from 'vitest';
import { mergePatch } from '../../../src/modules/booking-sheets/merge-patch.js';

describe('mergePatch (RFC 7396, with null kept as an explicit null)', () => {
  it('merges objects member by member and leaves the target untouched', () => {
    const target = { base_rate_options: ['Term SOFR'], rate_floor: '0%', default_rate: null };
    const out = mergePatch(target, { rate_floor: '0.50%', default_rate: '2% above' });
    expect(out).toEqual({ base_rate_options: ['Term SOFR'], rate_floor: '0.50%', default_rate: '2% above' });
    expect(target.rate_floor).toBe('0%');
  });

  it('merges nested objects recursively', () => {
    const out = mergePatch({ a: { b: { c: 1, d: 2 }, e: 3 } }, { a: { b: { d: 20 } } });
    expect(out).toEqual({ a: { b: { c: 1, d: 20 }, e: 3 } });
  });

  it('replaces arrays whole, never merging them by index', () => {
    expect(mergePatch({ list: [1, 2, 3] }, { list: [9] })).toEqual({ list: [9] });
    expect(mergePatch({ list: [{ a: 1 }] }, { list: [{ b: 2 }] })).toEqual({ list: [{ b: 2 }] });
  });

  it('turns null into an explicit null instead of removing the member', () => {
    expect(mergePatch({ rate_floor: '0%', x: 1 }, { rate_floor: null })).toEqual({ rate_floor: null, x: 1 });
  });

  it('replaces the target when the patch is not an object (RFC 7396 section 2)', () => {
    expect(mergePatch({ a: 1 }, 'text')).toBe('text');
    expect(mergePatch({ a: 1 }, [1])).toEqual([1]);
    expect(mergePatch(null, 5)).toBe(5);
  });

  it('starts from an empty object when the target is not one', () => {
    expect(mergePatch(null, { amount: '1.00' })).toEqual({ amount: '1.00' });
    expect(mergePatch('old', { a: { b: 1 } })).toEqual({ a: { b: 1 } });
  });

  it('treats __proto__ as a plain member and never touches the prototype', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const out = mergePatch({}, patch) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
    expect(out.a).toBe(1);
  });
});
