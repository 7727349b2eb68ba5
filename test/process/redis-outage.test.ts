import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllServerProcesses } from '../helpers/server-process.js';
import { DRILL_LOGIN_LIMIT, runRedisOutage, type LimitProbe, type OutagePhase, type RedisOutageRecord } from '../helpers/redis-outage-scenario.js';
import { summarize } from '../helpers/timed-http.js';

/**
 * Redis dies and hangs under two running service processes (real processes, one PostgreSQL database,
 * a private redis-server): the limits shared through Redis hold while it is up; killed, and later
 * frozen, the services keep serving (limits open, the catalogue read from the database), readiness
 * says degraded; restarted or thawed, they reconnect by themselves and enforce the limits again. The
 * sequence is in the helper, shared with the drill (bench/drills/redis-outage.ts).
 */

const workDir = mkdtempSync(path.join(tmpdir(), 'cls-redis-outage-'));
// Past this a request counts as hung. A hung Redis costs each command 500 ms at most.
const CLIENT_TIMEOUT_MS = 10_000;

let r: RedisOutageRecord;

beforeAll(async () => {
  r = await runRedisOutage({ workDir, clientTimeoutMs: CLIENT_TIMEOUT_MS });
}, 400_000);

afterAll(() => {
  killAllServerProcesses();
  rmSync(workDir, { recursive: true, force: true });
});

/** The limit is shared: attempts alternate between the instances, and the one past the limit is refused wherever it lands. */
function expectEnforcedAcrossInstances(p: LimitProbe): void {
  const statuses = p.answers.map((a) => a.status);
  expect(statuses, p.answers.map(summarize).join('; ')).toEqual([...Array<number>(DRILL_LOGIN_LIMIT).fill(401), 429, 429]);
  for (const refused of p.answers.slice(DRILL_LOGIN_LIMIT)) {
    expect(refused.errorCode).toBe('RATE_LIMITED');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
  }
}

function expectServedDegraded(phase: OutagePhase): void {
  for (const a of phase.answers) {
    expect(a.status, summarize(a)).not.toBe(0);
    expect(a.status, summarize(a)).toBeLessThan(500);
  }
  // Limits fail open: every sign-in attempt past the limit gets a real answer.
  expect(phase.logins.answers.map((a) => a.status)).toEqual(Array<number>(DRILL_LOGIN_LIMIT + 3).fill(401));
  // The catalogue comes from the database, on both instances, the product created meanwhile included.
  for (const p of phase.products) {
    expect(p.status, summarize(p)).toBe(200);
    expect((p.json as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(5);
  }
  expect(phase.createdProduct.status, summarize(phase.createdProduct)).toBe(201);
  expect(phase.productSeen).toEqual([true, true]);
  expect(phase.other.map((a) => a.status)).toEqual([201, 200, 200, 201, 200, 200]);
  for (const ready of phase.ready) {
    expect(ready.status, summarize(ready)).toBe(200);
    expect(ready.json).toMatchObject({ status: 'degraded', checks: { redis: { status: 'down' }, database: { status: 'up' } } });
  }
  expect(phase.live.map((a) => a.status)).toEqual([200, 200]);
}

describe('Redis outage under two running services', () => {
  it('while Redis is up: the sign-in limit is shared by both instances and kept in Redis, the catalogue is cached there', () => {
    expectEnforcedAcrossInstances(r.up.logins);
    expect(r.up.limitKeysInRedis).toBeGreaterThan(0);
    expect(r.up.cachedInRedis).toBe(true);
    for (const ready of r.up.ready) expect(ready.json).toMatchObject({ status: 'ready', checks: { redis: { status: 'up' } } });
  });

  it('Redis killed: requests keep being served without 500s or hangs, limits open, catalogue from the database, readiness degraded', () => {
    expectServedDegraded(r.killed);
  });

  it('Redis restarted on the same port: both instances reconnect by themselves, limits are shared and enforced again, the catalogue is cached again', () => {
    expect(r.restarted.msUntilReady, 'an instance never reported Redis up again').toBeDefined();
    expectEnforcedAcrossInstances(r.restarted.logins);
    expect(r.restarted.cachedInRedis).toBe(true);
  });

  it('Redis hung (SIGSTOP): requests keep being served within the client timeout, limits open, readiness degraded', () => {
    expectServedDegraded(r.hung);
  });

  it('Redis thawed: readiness says up again and limits are enforced again', () => {
    expect(r.thawed.msUntilReady, 'an instance never reported Redis up after the thaw').toBeDefined();
    expectEnforcedAcrossInstances(r.thawed.logins);
  });

  it('each instance logs the loss of Redis once and its return once, not every reconnection attempt', () => {
    expect(r.redisLogLines, r.logTail).toEqual([
      { lost: 1, back: 1 },
      { lost: 1, back: 1 },
    ]);
  });

  it('both services shut down cleanly', () => {
    expect(r.exits, r.logTail).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  });
});
