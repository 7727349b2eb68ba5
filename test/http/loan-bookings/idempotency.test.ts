import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

// Some tests here start extra app instances (an embedded database each): slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const TENANT = 'tenant-idem';
let t: TestApp;
let analyst: { authorization: string; userId: string };

beforeAll(async () => {
  t = await createTestApp();
  analyst = await t.auth('analyst', TENANT);
});
afterAll(async () => t.close());

const post = (key: string | undefined, payload: Record<string, unknown>, who = analyst) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/loan-bookings',
    headers: { authorization: who.authorization, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload,
  });

async function count(prefix: string, who = analyst): Promise<number> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings?limit=100&customer_name_prefix=${encodeURIComponent(prefix)}`, headers: { authorization: who.authorization } });
  return res.json<{ items: unknown[] }>().items.length;
}

describe('Idempotency-Key on create', () => {
  it('replays the first answer for the same key and body: same status, body, Location and ETag, no second booking', async () => {
    const key = randomUUID();
    const payload = { customer_name: 'Replay Holdings', product_id: 'term-loans', notes: 'n' };
    const first = await post(key, payload);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotency-replayed']).toBeUndefined();
    // Key order in the JSON does not make a different request.
    const again = await post(key, { notes: 'n', product_id: 'term-loans', customer_name: 'Replay Holdings' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers.etag).toBe('"v1"');
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(await count('Replay Holdings')).toBe(1);
  });

  it('refuses the same key with a different body (422)', async () => {
    const key = randomUUID();
    expect((await post(key, { customer_name: 'Mismatch One', product_id: 'term-loans' })).statusCode).toBe(201);
    const other = await post(key, { customer_name: 'Mismatch Two', product_id: 'term-loans' });
    expect(other.statusCode).toBe(422);
    expect(other.json().error_code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await count('Mismatch')).toBe(1);
  });

  it('lets only one of two concurrent requests with the same key run', async () => {
    const key = randomUUID();
    const payload = { customer_name: 'Concurrent Retry Corp', product_id: 'term-loans' };
    const results = await Promise.all([post(key, payload), post(key, payload)]);
    const statuses = results.map((r) => r.statusCode).sort();
    const replayedOrConflict = results.find((r) => r.headers['idempotency-replayed'] === 'true' || r.statusCode === 409);
    expect(replayedOrConflict, statuses.join(',')).toBeDefined();
    expect(statuses[0]).toBe(201);
    if (replayedOrConflict!.statusCode === 409) {
      expect(replayedOrConflict!.json().error_code).toBe('IDEMPOTENCY_IN_PROGRESS');
      expect(replayedOrConflict!.headers['retry-after']).toBe('1');
    } else {
      expect(replayedOrConflict!.body).toBe(results.find((r) => r !== replayedOrConflict)!.body);
    }
    expect(await count('Concurrent Retry')).toBe(1);
    // Once the first has finished, a retry replays it.
    const retry = await post(key, payload);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotency-replayed']).toBe('true');
  });

  it('answers 409 to a retry while the first request is still being handled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    // Holds the first create inside the service call, after the idempotency key was claimed;
    // the real service then runs.
    const service = t.app.services.loanBookings;
    const realCreate = service.create.bind(service);
    service.create = async (input, meta) => {
      if (input.customer_name === 'Held Request Ltd') {
        entered();
        await gate;
      }
      return realCreate(input, meta);
    };
    try {
      const key = randomUUID();
      const payload = { customer_name: 'Held Request Ltd', product_id: 'term-loans' };
      const first = post(key, payload);
      await inHandler;
      const second = await post(key, payload);
      expect(second.statusCode).toBe(409);
      expect(second.json().error_code).toBe('IDEMPOTENCY_IN_PROGRESS');
      expect(second.headers['retry-after']).toBe('1');
      release();
      expect((await first).statusCode).toBe(201);
      expect(await count('Held Request')).toBe(1);
      const after = await post(key, payload);
      expect(after.headers['idempotency-replayed']).toBe('true');
    } finally {
      release();
      service.create = realCreate;
    }
  });

  it('scopes keys to the caller: another user with the same key gets their own booking', async () => {
    const key = randomUUID();
    const payload = { customer_name: 'Scoped Key Ltd', product_id: 'term-loans' };
    const mine = await post(key, payload);
    const colleague = await t.auth('analyst', TENANT);
    const theirs = await post(key, payload, colleague);
    expect(theirs.statusCode).toBe(201);
    expect(theirs.headers['idempotency-replayed']).toBeUndefined();
    expect(theirs.json().id).not.toBe(mine.json().id);
    expect(theirs.json().created_by).toBe(colleague.userId);
    expect(await count('Scoped Key')).toBe(2);
  });

  it('replays a refusal decided by the handler, but keeps nothing for a request refused by validation', async () => {
    const key = randomUUID();
    const unknown = await post(key, { customer_name: 'Unknown Product Ltd', product_id: 'crypto-loans' });
    expect(unknown.statusCode).toBe(422);
    const replay = await post(key, { customer_name: 'Unknown Product Ltd', product_id: 'crypto-loans' });
    expect(replay.statusCode).toBe(422);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.json().error_code).toBe('UNKNOWN_PRODUCT');

    // Schema validation runs before the key is claimed: the corrected request goes through.
    const key2 = randomUUID();
    const refused = await post(key2, { customer_name: 'Fixed Name Ltd' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().field_errors).toEqual({ product_id: ['is required'] });
    const fixed = await post(key2, { customer_name: 'Fixed Name Ltd', product_id: 'term-loans' });
    expect(fixed.statusCode).toBe(201);
    expect(fixed.headers['idempotency-replayed']).toBeUndefined();
  });

  it('keeps no answer of a failed (5xx) request, so the client may retry with the same key', async () => {
    const service = t.app.services.loanBookings;
    const realCreate = service.create.bind(service);
    let failures = 1;
    service.create = async (input, meta) => {
      if (failures-- > 0) throw new Error('database connection reset');
      return realCreate(input, meta);
    };
    try {
      const key = randomUUID();
      const payload = { customer_name: 'Flaky Backend Ltd', product_id: 'term-loans' };
      const failed = await post(key, payload);
      expect(failed.statusCode).toBe(500);
      const retried = await post(key, payload);
      expect(retried.statusCode).toBe(201);
      expect(retried.headers['idempotency-replayed']).toBeUndefined();
      expect(await count('Flaky Backend')).toBe(1);
    } finally {
      service.create = realCreate;
    }
  });

  it('refuses a malformed key', async () => {
    for (const [key, code] of [
      ['x'.repeat(256), 'BAD_REQUEST'],
      ['has space', 'INVALID_HEADER'],
      ['ünïcode', 'INVALID_HEADER'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/loan-bookings',
        headers: { authorization: analyst.authorization, 'idempotency-key': Buffer.from(key, 'utf8').toString('latin1') },
        payload: { customer_name: 'Bad Key Ltd', product_id: 'term-loans' },
      });
      expect(res.statusCode, key).toBe(400);
      expect(res.json().error_code, key).toBe(code);
    }
    expect(await count('Bad Key')).toBe(0);
  });

  it('forgets a key after a day: it may then be used for a new request', async () => {
    let offsetMs = 0;
    const later = await createTestApp({ database: t.database, build: { clock: { now: () => new Date(Date.now() + offsetMs) } } });
    try {
      const key = randomUUID();
      const first = await post(key, { customer_name: 'Day Old Key Ltd', product_id: 'term-loans' });
      expect(first.statusCode).toBe(201);
      // The same user, with a token minted at the app's (moved) time.
      const send = async (payload: Record<string, unknown>) => {
        const { token } = await later.app.services.tokens.issueAccessToken({ userId: analyst.userId, tenantId: TENANT, roles: ['analyst'] });
        return later.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: `Bearer ${token}`, 'idempotency-key': key }, payload });
      };
      expect((await send({ customer_name: 'Day Old Key Two', product_id: 'term-loans' })).statusCode).toBe(422);
      offsetMs = 25 * 3600_000;
      const reused = await send({ customer_name: 'Day Old Key Two', product_id: 'term-loans' });
      expect(reused.statusCode).toBe(201);
      expect(reused.headers['idempotency-replayed']).toBeUndefined();
      expect(await count('Day Old Key')).toBe(2);
    } finally {
      await later.close();
    }
  });

  it('creates a new booking on every request without a key', async () => {
    const payload = { customer_name: 'No Key Ltd', product_id: 'term-loans' };
    await post(undefined, payload);
    await post(undefined, payload);
    expect(await count('No Key')).toBe(2);
  });
});
