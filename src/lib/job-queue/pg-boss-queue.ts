import PgBoss from 'pg-boss';
import { CompiledQuery } from 'kysely';
import type { Database } from '../../db/database.js';
import { JOB_NAMES, QUEUE_POLICIES, type JobQueue, type JobName, type QueuePolicy, type QueueStats } from './job-queue.js';

/**
 * pg-boss over our own Database: its SQL goes through the same Kysely instance (and, on PGlite,
 * the same connection lock) as the rest of the service, so one embedded database serves both.
 */
export interface PgBossQueueOptions {
  schema?: string;
  pollingIntervalSeconds?: number;
  /** Replaces the policies of some queues (tests use short delays and leases). */
  policies?: Partial<Record<JobName, QueuePolicy>>;
  /** How often expired jobs are found and given their next attempt. Default 120. */
  maintenanceIntervalSeconds?: number;
}

export function createPgBossQueue(database: Database, opts: PgBossQueueOptions = {}): JobQueue {
  const schema = opts.schema ?? 'pgboss';
  const boss = new PgBoss({
    db: { executeSql: (text: string, values: unknown[]) => database.executeSql(text, values) },
    schema,
    supervise: true,
    schedule: false,
    monitorStateIntervalSeconds: 30,
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 120,
  });
  // pg-boss reports background errors (maintenance queries while the database is down) as events;
  // without a listener Node would crash the process.
  boss.on('error', () => undefined);
  const controllers = new Set<AbortController>();
  const loops: Promise<void>[] = [];
  let stopping = false;
  const sleepers = new Set<() => void>();
  let started: Promise<void> | undefined;

  /** Waits for the next poll, or less when the queue is stopping. */
  function idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });
  }

  async function doStart(): Promise<void> {
    await boss.start();
    for (const name of JOB_NAMES) {
      const p = opts.policies?.[name] ?? QUEUE_POLICIES[name];
      const existing = await boss.getQueue(name);
      const options = {
        name,
        policy: 'standard' as const,
        retryLimit: p.retryLimit,
        retryDelay: p.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: p.expireInSeconds,
        retentionDays: 7,
      };
      if (existing) await boss.updateQueue(name, options);
      else await boss.createQueue(name, options).catch(async (err: unknown) => {
        // Another process created it between our check and create.
        if (!(await boss.getQueue(name))) throw err;
      });
    }
  }

  return {
    kind: 'pg-boss',
    start() {
      started ??= doStart();
      return started;
    },
    async send(name, data, sendOpts = {}) {
      const options = sendOpts.startAfterSeconds ? { startAfter: sendOpts.startAfterSeconds } : {};
      const singletonKey = sendOpts.singletonKey;
      if (!singletonKey) return (await boss.send(name, data, options)) ?? null;
      // pg-boss's singletonKey only deduplicates under the short/singleton/stately policies, not the
      // standard one these queues use. So: one transaction that takes an advisory lock on the key,
      // looks for a waiting job with it, and inserts through the same transaction. Racing sends
      // serialise on the lock, and exactly one job is created.
      return database.db.transaction().execute(async (trx) => {
        const executeSql = async (text: string, values: unknown[] = []) =>
          (await trx.executeQuery(CompiledQuery.raw(text, values))) as { rows: Record<string, unknown>[] };
        await executeSql('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`${schema}:${name}:${singletonKey}`]);
        const waiting = await executeSql(
          `select 1 from ${schema}.job where name = $1 and singleton_key = $2 and state in ('created', 'retry') limit 1`,
          [name, singletonKey],
        );
        if (waiting.rows.length > 0) return null;
        return (await boss.send(name, data, { ...options, singletonKey, db: { executeSql } })) ?? null;
      });
    },
    async work(name, handler, workOpts) {
      const policy = opts.policies?.[name] ?? QUEUE_POLICIES[name];
      const pollMs = (opts.pollingIntervalSeconds ?? 2) * 1000;
      // Our own fetch/complete loop rather than boss.work: pg-boss 10 records a completion without
      // awaiting it, so a database failure at that moment became an unhandled rejection. Here every
      // call is awaited, and a failed completion only means the job is delivered again (handlers are
      // idempotent).
      const loop = async (): Promise<void> => {
        while (!stopping) {
          let job: PgBoss.JobWithMetadata<Record<string, unknown>> | undefined;
          try {
            [job] = await boss.fetch<Record<string, unknown>>(name, { batchSize: 1, includeMetadata: true });
          } catch {
            job = undefined;
          }
          if (!job) {
            await idle(pollMs);
            continue;
          }
          const controller = new AbortController();
          controllers.add(controller);
          try {
            await handler({
              id: job.id,
              name,
              data: job.data as never,
              retryCount: job.retryCount,
              isFinalAttempt: job.retryCount >= policy.retryLimit,
              signal: controller.signal,
            });
            await boss.complete(name, job.id).catch(() => undefined);
          } catch (err) {
            const message = err instanceof Error ? err.message : 'failed';
            await boss.fail(name, job.id, { message: message.slice(0, 500) }).catch(() => undefined);
          } finally {
            controllers.delete(controller);
          }
        }
      };
      for (let i = 0; i < workOpts.concurrency; i++) loops.push(loop());
    },
    async stats() {
      const out = {} as Record<JobName, QueueStats>;
      const rows = await database.executeSql(
        `select name, state, count(*)::int as n from ${schema}.job where state in ('created','retry','active','failed') group by name, state`,
        [],
      );
      for (const name of JOB_NAMES) out[name] = { queued: 0, active: 0, failed: 0 };
      for (const r of rows.rows as { name: string; state: string; n: number }[]) {
        const s = out[r.name as JobName];
        if (!s) continue;
        if (r.state === 'active') s.active += r.n;
        else if (r.state === 'failed') s.failed += r.n;
        else s.queued += r.n;
      }
      return out;
    },
    async check() {
      await database.executeSql(`select 1 from ${schema}.version limit 1`, []);
    },
    async stop({ graceful, timeoutMs }) {
      if (!started) return;
      stopping = true;
      for (const wakeUp of [...sleepers]) wakeUp();
      if (!graceful) for (const c of controllers) c.abort();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          // Past the deadline running handlers are told to give up; their jobs are delivered again later.
          for (const c of controllers) c.abort();
          resolve();
        }, timeoutMs);
      });
      await Promise.race([Promise.allSettled(loops), deadline]);
      clearTimeout(timer);
      await boss.stop({ graceful: false, close: false, wait: true }).catch(() => undefined);
    },
  };
}
