import { DRILL_LOGIN_LIMIT, runRedisOutage, type LimitProbe, type OutagePhase } from '../../test/helpers/redis-outage-scenario.js';
import { summarize } from '../../test/helpers/timed-http.js';
import type { Drill, DrillCheck } from './types.js';

/**
 * Redis killed, restarted, then hung and thawed under two running services sharing it: the sequence
 * of test/process/redis-outage.test.ts (shared helper), as checks and figures.
 */

const check = (name: string, ok: boolean, detail?: string): DrillCheck => ({ name, ok, ...(detail ? { detail } : {}) });
const figure = (figures: Record<string, number>, name: string, value: number | undefined) => {
  if (value !== undefined && Number.isFinite(value)) figures[name] = value;
};

function enforced(p: LimitProbe): boolean {
  const s = p.answers.map((a) => a.status);
  return s.slice(0, DRILL_LOGIN_LIMIT).every((x) => x === 401) && s.slice(DRILL_LOGIN_LIMIT).every((x) => x === 429);
}

function phaseChecks(label: string, phase: OutagePhase): DrillCheck[] {
  const bad = phase.answers.filter((a) => a.status === 0 || a.status >= 500);
  return [
    check(`${label}: no 5xx and no hang`, bad.length === 0, bad.map(summarize).join('; ')),
    check(`${label}: rate limits let requests through`, phase.logins.answers.every((a) => a.status === 401), phase.logins.answers.map((a) => a.status).join(' ')),
    check(
      `${label}: the catalogue is read from the database on both instances, a product created meanwhile included`,
      phase.products.every((a) => a.status === 200) && phase.createdProduct.status === 201 && phase.productSeen.every(Boolean),
    ),
    check(
      `${label}: readiness is 200 degraded with redis down`,
      phase.ready.every((a) => a.status === 200 && (a.json as { status?: string } | undefined)?.status === 'degraded'),
      phase.ready.map(summarize).join('; '),
    ),
  ];
}

const served = (phase: OutagePhase) => phase.answers.filter((a) => a.status > 0 && a.status < 500).length;
const slowest = (phase: OutagePhase) => phase.answers.reduce((m, a) => Math.max(m, a.ms), 0);

export const drill: Drill = {
  id: 'redis-outage',
  title: 'Redis killed and restarted, then hung (SIGSTOP) and thawed, under two running services that share it',
  async run(ctx) {
    const r = await runRedisOutage({ workDir: ctx.workDir, log: (m) => ctx.log(m), clientTimeoutMs: 10_000 });
    const checks: DrillCheck[] = [
      check('while up, the sign-in limit is shared by both instances', enforced(r.up.logins), r.up.logins.answers.map((a) => a.status).join(' ')),
      check('while up, limits and the catalogue cache live in Redis', r.up.limitKeysInRedis > 0 && r.up.cachedInRedis),
      ...phaseChecks('killed', r.killed),
      check('after the restart both instances report Redis up by themselves', r.restarted.msUntilReady !== undefined),
      check('after the restart limits are shared and enforced again', enforced(r.restarted.logins), r.restarted.logins.answers.map((a) => a.status).join(' ')),
      check('after the restart the catalogue is cached in Redis again', r.restarted.cachedInRedis),
      ...phaseChecks('hung', r.hung),
      check('after the thaw limits are enforced again', r.thawed.msUntilReady !== undefined && enforced(r.thawed.logins), r.thawed.logins.answers.map((a) => a.status).join(' ')),
      check(
        'each instance logged the loss of Redis once and its return once',
        r.redisLogLines.every((l) => l.lost === 1 && l.back === 1),
        JSON.stringify(r.redisLogLines),
      ),
      check('both services shut down cleanly', r.exits.every((e) => e?.code === 0), JSON.stringify(r.exits)),
    ];
    const figures: Record<string, number> = {};
    figure(figures, 'requests served while Redis was down', served(r.killed));
    figure(figures, 'ms of the slowest request while Redis was down', slowest(r.killed));
    figure(figures, 'ms until both instances saw Redis again', r.restarted.msUntilReady);
    figure(figures, 'requests served while Redis hung', served(r.hung));
    figure(figures, 'ms of the slowest request while Redis hung', slowest(r.hung));
    figure(figures, 'ms until both instances saw Redis after the thaw', r.thawed.msUntilReady);
    return { checks, figures };
  },
};
