import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import type { AuditEvent, AuditFilters, AuditOutcome } from '../../src/modules/audit/audit.store.js';
import { at, newTenant, type ContractBackend } from './harness.js';

const ACTIONS = ['auth.login', 'auth.refresh', 'user.update'] as const;
const ACTORS = ['actor-a', 'actor-b', null] as const;
const OUTCOMES: AuditOutcome[] = ['success', 'failure', 'denied'];

/** 30 events over three actions, actors and outcomes, one second apart, ids in time order. */
function trail(tenantId: string, count = 30): AuditEvent[] {
  const start = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    id: newId(start + i),
    tenantId,
    occurredAt: at(i * 1000),
    actorId: ACTORS[i % 3]!,
    action: ACTIONS[Math.floor(i / 3) % 3]!,
    outcome: OUTCOMES[(i * 7) % 3]!,
    targetType: i % 2 === 0 ? 'user' : null,
    targetId: i % 2 === 0 ? `user-${i}` : null,
    ip: i % 4 === 0 ? null : '203.0.113.7',
    requestId: `req-${i}`,
    details: { i, nested: { ok: i % 2 === 0, list: [1, 'two'] } },
  }));
}

function expected(events: AuditEvent[], f: AuditFilters): string[] {
  return events
    .filter(
      (e) =>
        (!f.action || e.action === f.action) &&
        (!f.actorId || e.actorId === f.actorId) &&
        (!f.outcome || e.outcome === f.outcome) &&
        (!f.from || e.occurredAt >= f.from) &&
        (!f.to || e.occurredAt < f.to),
    )
    .map((e) => e.id)
    .reverse();
}

export function auditStoreContract(backend: ContractBackend): void {
  const store = () => backend.stores.audit;

  async function seed(tenantId: string): Promise<AuditEvent[]> {
    const events = trail(tenantId);
    // Appended out of order: the list order comes from the ids, not from insertion.
    for (const e of [...events].reverse()) await store().append(e);
    return events;
  }

  async function pageThrough(tenantId: string, f: AuditFilters, limit: number): Promise<string[]> {
    const seen: string[] = [];
    let beforeId: string | undefined;
    for (let guard = 0; guard < 100; guard++) {
      const page = await store().list(tenantId, f, { limit, beforeId });
      seen.push(...page.map((e) => e.id));
      if (page.length < limit) return seen;
      beforeId = page[page.length - 1]!.id;
    }
    throw new Error('pagination did not end');
  }

  describe('AuditStore', () => {
    it('returns events newest first with every field intact', async () => {
      const t = newTenant();
      const events = await seed(t);
      const listed = await store().list(t, {}, { limit: 100 });
      expect(listed.map((e) => e.id)).toEqual(expected(events, {}));
      expect(listed).toEqual([...events].reverse());
    });

    it('keeps each tenant to its own trail', async () => {
      const a = newTenant();
      const b = newTenant();
      await seed(a);
      expect(await store().list(b, {}, { limit: 100 })).toEqual([]);
      expect(await store().list(b, { action: 'auth.login' }, { limit: 100 })).toEqual([]);
      expect(await store().list(b, { actorId: 'actor-a' }, { limit: 100 })).toEqual([]);
    });

    it('pages without gaps or duplicates, for every filter', async () => {
      const t = newTenant();
      const events = await seed(t);
      const filters: AuditFilters[] = [
        {},
        { action: 'auth.refresh' },
        { actorId: 'actor-b' },
        { outcome: 'denied' },
        { from: at(5000) },
        { to: at(20_000) },
        { from: at(5000), to: at(20_000) },
        { action: 'auth.login', actorId: 'actor-a' },
        { actorId: 'actor-a', outcome: 'success' },
        { action: 'user.update', outcome: 'failure', from: at(3000), to: at(29_000) },
        { action: 'no.such.action' },
      ];
      for (const f of filters) {
        const want = expected(events, f);
        if (Object.keys(f).length > 0) expect(want.length, JSON.stringify(f)).toBeLessThan(events.length);
        expect(
          (await store().list(t, f, { limit: 100 })).map((e) => e.id),
          JSON.stringify(f),
        ).toEqual(want);
        expect(await pageThrough(t, f, 4), JSON.stringify(f)).toEqual(want);
      }
    });

    it('treats from as inclusive and to as exclusive', async () => {
      const t = newTenant();
      const events = await seed(t);
      const listed = await store().list(t, { from: at(10_000), to: at(12_000) }, { limit: 100 });
      expect(listed.map((e) => e.occurredAt)).toEqual([at(11_000), at(10_000)]);
      expect(listed.map((e) => e.id)).toEqual([events[11]!.id, events[10]!.id]);
    });

    it('starts a page below the given id', async () => {
      const t = newTenant();
      const events = await seed(t);
      const page = await store().list(t, {}, { limit: 5, beforeId: events[10]!.id });
      expect(page.map((e) => e.id)).toEqual(
        events
          .slice(5, 10)
          .map((e) => e.id)
          .reverse(),
      );
    });
  });
}
