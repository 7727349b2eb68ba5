import { describe, expect, it } from 'vitest';
import type { IdempotencyScope, StoredResponse } from '../../src/modules/idempotency/idempotency.store.js';
import { at, newTenant, randomSuffix, type ContractBackend } from './harness.js';

const TTL = 24 * 3600 * 1000;
const LEASE = 60 * 1000;

const scopeOf = (tenantId = newTenant()): IdempotencyScope => ({
  tenantId,
  principalId: `user-${randomSuffix()}`,
  key: `key-${randomSuffix()}`,
});
const response: StoredResponse = {
  status: 201,
  headers: { location: '/api/v1/loan-bookings/1', etag: 'W/"1"' },
  body: '{"id":"1"}',
};

export function idempotencyStoreContract(backend: ContractBackend): void {
  const store = () => backend.stores.idempotency;

  describe('IdempotencyStore', () => {
    it('claims a new key, then reports it in progress or reused with another request', async () => {
      const s = scopeOf();
      expect(await store().begin(s, 'fp-1', at(0), TTL, LEASE)).toEqual({ kind: 'started' });
      expect(await store().begin(s, 'fp-1', at(1000), TTL, LEASE)).toEqual({ kind: 'in_progress' });
      expect(await store().begin(s, 'fp-2', at(1000), TTL, LEASE)).toEqual({ kind: 'mismatch' });
    });

    it('replays the stored response once completed, and only for the same request', async () => {
      const s = scopeOf();
      await store().begin(s, 'fp-1', at(0), TTL, LEASE);
      await store().complete(s, response);
      expect(await store().begin(s, 'fp-1', at(1000), TTL, LEASE)).toEqual({ kind: 'replay', response });
      // Long after the lease, a completed key is still replayed, never taken over.
      expect(await store().begin(s, 'fp-1', at(10 * LEASE), TTL, LEASE)).toEqual({
        kind: 'replay',
        response,
      });
      expect(await store().begin(s, 'fp-other', at(1000), TTL, LEASE)).toEqual({ kind: 'mismatch' });
    });

    it('replays an empty body and no headers faithfully', async () => {
      const s = scopeOf();
      await store().begin(s, 'fp', at(0), TTL, LEASE);
      await store().complete(s, { status: 204, headers: {}, body: '' });
      expect(await store().begin(s, 'fp', at(1), TTL, LEASE)).toEqual({
        kind: 'replay',
        response: { status: 204, headers: {}, body: '' },
      });
    });

    it('scopes keys to tenant and principal', async () => {
      const s = scopeOf();
      await store().begin(s, 'fp', at(0), TTL, LEASE);
      expect(await store().begin({ ...s, tenantId: newTenant() }, 'fp', at(0), TTL, LEASE)).toEqual({
        kind: 'started',
      });
      expect(
        await store().begin({ ...s, principalId: `${s.principalId}-2` }, 'fp', at(0), TTL, LEASE),
      ).toEqual({ kind: 'started' });
      expect(await store().begin(s, 'fp', at(0), TTL, LEASE)).toEqual({ kind: 'in_progress' });
    });

    it('releases an abandoned claim so the client can retry, but never a completed one', async () => {
      const s = scopeOf();
      await store().begin(s, 'fp-1', at(0), TTL, LEASE);
      await store().abandon(s);
      expect(await store().begin(s, 'fp-2', at(1000), TTL, LEASE)).toEqual({ kind: 'started' });
      await store().complete(s, response);
      await store().abandon(s);
      expect(await store().begin(s, 'fp-2', at(2000), TTL, LEASE)).toEqual({ kind: 'replay', response });
      await store().abandon(scopeOf());
    });

    it('lets exactly one of several concurrent first requests start', async () => {
      const s = scopeOf();
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store().begin(s, 'fp', at(0), TTL, LEASE)),
      );
      expect(results.filter((r) => r.kind === 'started')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'in_progress')).toHaveLength(7);
    });

    it('hands a claim whose lease ran out to the same request, not to another one', async () => {
      const s = scopeOf();
      await store().begin(s, 'fp', at(0), TTL, LEASE);
      expect(await store().begin(s, 'fp', at(LEASE - 1), TTL, LEASE)).toEqual({ kind: 'in_progress' });
      expect(await store().begin(s, 'fp-other', at(LEASE + 1), TTL, LEASE)).toEqual({ kind: 'mismatch' });
      expect(await store().begin(s, 'fp', at(LEASE), TTL, LEASE)).toEqual({ kind: 'started' });
      // The takeover is a new claim with a new lease.
      expect(await store().begin(s, 'fp', at(LEASE + 1000), TTL, LEASE)).toEqual({ kind: 'in_progress' });
    });

    it('lets exactly one of several concurrent takeovers win', async () => {
      const s = scopeOf();
      await store().begin(s, 'fp', at(0), TTL, LEASE);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => store().begin(s, 'fp', at(2 * LEASE), TTL, LEASE)),
      );
      expect(results.filter((r) => r.kind === 'started')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'in_progress')).toHaveLength(5);
    });

    it('treats an expired key as new, whatever it held', async () => {
      const s = scopeOf();
      await store().begin(s, 'fp-1', at(0), TTL, LEASE);
      await store().complete(s, response);
      expect(await store().begin(s, 'fp-1', at(TTL - 1), TTL, LEASE)).toEqual({ kind: 'replay', response });
      expect(await store().begin(s, 'fp-2', at(TTL), TTL, LEASE)).toEqual({ kind: 'started' });
      // The new claim holds no trace of the old response.
      expect(await store().begin(s, 'fp-2', at(TTL + 1), TTL, LEASE)).toEqual({ kind: 'in_progress' });
    });

    it('purges expired keys only, and counts them', async () => {
      // A time range no other case uses, so the count is this case's alone.
      const old = Date.parse('1990-01-01T00:00:00.000Z');
      const t = newTenant();
      const expired = [scopeOf(t), scopeOf(t), scopeOf(t)];
      const live = scopeOf(t);
      for (const s of expired) await store().begin(s, 'fp', new Date(old), 1000, LEASE);
      await store().complete(expired[0]!, response);
      await store().begin(live, 'fp', new Date(old), 10_000, LEASE);
      expect(await store().purgeExpired(new Date(old + 1000))).toBe(3);
      expect(await store().purgeExpired(new Date(old + 1000))).toBe(0);
      expect(await store().begin(live, 'fp', new Date(old + 2000), 10_000, LEASE)).toEqual({
        kind: 'in_progress',
      });
      // A purged key starts afresh.
      expect(await store().begin(expired[0]!, 'fp-new', new Date(old + 500), 1000, LEASE)).toEqual({
        kind: 'started',
      });
    });
  });
}
