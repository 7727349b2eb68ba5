import { describe, expect, it, onTestFinished } from 'vitest';
import type {
  JobContext,
  JobName,
  JobQueue,
  QueuePolicy,
  QueueStats,
} from '../../src/lib/job-queue/job-queue.js';

/**
 * The job queue port's contract, run against every adapter (pg-boss on PGlite and PostgreSQL, the
 * DynamoDB queue on DynamoDB Local). Each case gets storage of its own (a pg-boss schema, a
 * DynamoDB table) and opens one or more queue instances on it, each standing for a process.
 * Timings are short through the policies and polling interval every adapter accepts.
 */
export interface QueueTuning {
  pollingIntervalSeconds: number;
  policies: Partial<Record<JobName, QueuePolicy>>;
}

export interface QueueStorage {
  /** A new queue instance on this storage: another process sharing the same jobs. */
  open(tuning: QueueTuning): JobQueue;
  /** Drops the storage; every queue opened on it is stopped by then. */
  dispose(): Promise<void>;
}

export interface JobQueueBackend {
  readonly name: string;
  /** Fresh, isolated storage for one case. */
  storage(): Promise<QueueStorage>;
}

const TUNING: QueueTuning = {
  // pg-boss's smallest polling interval.
  pollingIntervalSeconds: 0.5,
  policies: {
    'document.process': { retryLimit: 1, retryDelaySeconds: 1, expireInSeconds: 60 },
    'document.kb-sync': { retryLimit: 1, retryDelaySeconds: 1, expireInSeconds: 60 },
    // A short lease: the case of a worker that stops answering.
    'extraction.run': { retryLimit: 2, retryDelaySeconds: 1, expireInSeconds: 1 },
    // No retries and a short lease: a final attempt whose worker stops answering.
    'maintenance.sweep': { retryLimit: 0, retryDelaySeconds: 1, expireInSeconds: 1 },
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

interface Delivery {
  id: string;
  name: JobName;
  data: Record<string, unknown>;
  retryCount: number;
  isFinalAttempt: boolean;
  at: number;
  by: string;
}

const record = (job: JobContext, by = 'q'): Delivery => ({
  id: job.id,
  name: job.name,
  data: job.data,
  retryCount: job.retryCount,
  isFinalAttempt: job.isFinalAttempt,
  at: Date.now(),
  by,
});

const idle: QueueStats = { queued: 0, active: 0, failed: 0 };

export function jobQueueContract(backend: JobQueueBackend): void {
  /** Storage for this case; its queues are stopped and the storage dropped when the case ends. */
  async function setup() {
    const storage = await backend.storage();
    const queues: JobQueue[] = [];
    const gates: (() => void)[] = [];
    onTestFinished(async () => {
      for (const open of gates) open();
      for (const q of queues) await q.stop({ graceful: true, timeoutMs: 3000 });
      await storage.dispose();
    });
    return {
      async open(): Promise<JobQueue> {
        const q = storage.open(TUNING);
        queues.push(q);
        await q.start();
        return q;
      },
      /** A gate opened at the latest when the case ends, so no handler outlives it. */
      gate() {
        const g = gate();
        gates.push(g.open);
        return g;
      },
    };
  }

  describe(`job queue contract: ${backend.name}`, () => {
    it('delivers a sent job once with its id, name and data, and counts it until it completes', async () => {
      const s = await setup();
      const q = await s.open();
      await expect(q.check()).resolves.toBeUndefined();
      const data = { tenantId: 't-1', documentId: 'd-1', nested: { list: [1, 2] } };
      const id = await q.send('document.process', data);
      expect(typeof id).toBe('string');
      expect((await q.stats())['document.process']).toEqual({ queued: 1, active: 0, failed: 0 });

      const deliveries: Delivery[] = [];
      const signals: AbortSignal[] = [];
      await q.work(
        'document.process',
        async (job) => {
          deliveries.push(record(job));
          signals.push(job.signal);
        },
        { concurrency: 1 },
      );
      await waitFor('the delivery', () => deliveries.length === 1);
      expect(deliveries[0]).toMatchObject({
        id,
        name: 'document.process',
        data,
        retryCount: 0,
        isFinalAttempt: false,
      });
      expect(signals[0]!.aborted).toBe(false);
      await waitFor('the completion to be counted', async () => {
        const stats = await q.stats();
        return stats['document.process'].queued === 0 && stats['document.process'].active === 0;
      });
      expect(await q.stats()).toEqual({
        'document.process': idle,
        'document.kb-sync': idle,
        'extraction.run': idle,
        'maintenance.sweep': idle,
      });
      // Several polls later it has not come back.
      await sleep(1200);
      expect(deliveries).toHaveLength(1);
    });

    it('retries a failing job after a delay with a growing retryCount, flags the final attempt, and counts a final failure', async () => {
      const s = await setup();
      const q = await s.open();
      const attempts: Delivery[] = [];
      await q.work(
        'document.process',
        async (job) => {
          attempts.push(record(job));
          // "flaky" succeeds on its second attempt; "broken" never does.
          if (job.data.kind === 'broken' || job.retryCount === 0)
            throw new Error(`attempt ${job.retryCount} failed`);
        },
        { concurrency: 2 },
      );
      const broken = await q.send('document.process', { kind: 'broken' });
      const flaky = await q.send('document.process', { kind: 'flaky' });
      await waitFor(
        'two attempts of each job and the final failure counted',
        async () => attempts.length >= 4 && (await q.stats())['document.process'].failed === 1,
        15_000,
      );
      const of = (id: string | null) => attempts.filter((a) => a.id === id);
      for (const id of [broken, flaky]) {
        const [first, second] = of(id);
        expect([first?.retryCount, first?.isFinalAttempt]).toEqual([0, false]);
        expect([second?.retryCount, second?.isFinalAttempt]).toEqual([1, true]);
        // retryDelaySeconds (1 s) at least, with back-off and jitter on top.
        expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
      }
      await waitFor('nothing left queued or running', async () => {
        const st = (await q.stats())['document.process'];
        return st.queued === 0 && st.active === 0;
      });
      expect((await q.stats())['document.process']).toEqual({ queued: 0, active: 0, failed: 1 });
      // Failed for good: no third attempt.
      await sleep(1500);
      expect(of(broken)).toHaveLength(2);
      expect(of(flaky)).toHaveLength(2);
    });

    it('keeps at most one waiting job per singleton key and queue; a running job does not hold its key', async () => {
      const s = await setup();
      const q = await s.open();
      const first = await q.send('document.process', { n: 1 }, { singletonKey: 'key-1' });
      expect(first).toEqual(expect.any(String));
      expect(await q.send('document.process', { n: 2 }, { singletonKey: 'key-1' })).toBeNull();
      const other = await q.send('document.process', { n: 3 }, { singletonKey: 'key-2' });
      expect(other).toEqual(expect.any(String));
      // Keys are per queue.
      expect(await q.send('document.kb-sync', { n: 4 }, { singletonKey: 'key-1' })).toEqual(
        expect.any(String),
      );
      expect((await q.stats())['document.process'].queued).toBe(2);

      const release = s.gate();
      const delivered: Delivery[] = [];
      await q.work(
        'document.process',
        async (job) => {
          delivered.push(record(job));
          await release.opened;
        },
        { concurrency: 2 },
      );
      await waitFor('both waiting jobs running', () => delivered.length === 2);
      expect(delivered.map((d) => d.id).sort()).toEqual([first, other].sort());
      await waitFor(
        'the running jobs counted as active',
        async () => (await q.stats())['document.process'].active === 2,
      );

      const again = await q.send('document.process', { n: 5 }, { singletonKey: 'key-1' });
      expect(again).toEqual(expect.any(String));
      expect(again).not.toBe(first);
      expect(await q.send('document.process', { n: 6 }, { singletonKey: 'key-1' })).toBeNull();

      release.open();
      await waitFor('the new job delivered', () => delivered.length === 3);
      expect(delivered[2]!.id).toBe(again);
      expect(delivered[2]!.data).toEqual({ n: 5 });
      await waitFor('everything completed', async () => {
        const st = (await q.stats())['document.process'];
        return st.queued === 0 && st.active === 0;
      });
    });

    it('lets a job waiting for its retry keep its singleton key', async () => {
      const s = await setup();
      const q = await s.open();
      const attempts: Delivery[] = [];
      await q.work(
        'document.process',
        async (job) => {
          attempts.push(record(job));
          if (job.retryCount === 0) throw new Error('first attempt fails');
        },
        { concurrency: 1 },
      );
      const id = await q.send('document.process', { n: 1 }, { singletonKey: 'retried' });
      await waitFor('the first attempt to fail', async () => {
        const st = (await q.stats())['document.process'];
        return attempts.length === 1 && st.active === 0 && st.queued === 1;
      });
      // Waiting again (for its retry), so it holds the key as any waiting job does.
      expect(await q.send('document.process', { n: 2 }, { singletonKey: 'retried' })).toBeNull();
      await waitFor('the retry', () => attempts.length === 2, 15_000);
      expect(attempts.map((a) => [a.id, a.retryCount])).toEqual([
        [id, 0],
        [id, 1],
      ]);
      await waitFor('the retry to complete', async () => (await q.stats())['document.process'].active === 0);
      expect((await q.stats())['document.process']).toEqual(idle);
    });

    it('creates exactly one job from sends racing with one singleton key', async () => {
      const s = await setup();
      const q = await s.open();
      const ids = await Promise.all(
        Array.from({ length: 8 }, (_, i) => q.send('document.process', { i }, { singletonKey: 'raced' })),
      );
      expect(ids.filter((id) => id !== null)).toHaveLength(1);
      expect((await q.stats())['document.process'].queued).toBe(1);
      // Another key is not held back by it.
      expect(await q.send('document.process', { other: true }, { singletonKey: 'other' })).not.toBeNull();
    });

    it('does not start a delayed job before its start-after time', async () => {
      const s = await setup();
      const q = await s.open();
      const deliveries: Delivery[] = [];
      await q.work('document.process', async (job) => void deliveries.push(record(job)), { concurrency: 1 });
      const sentAt = Date.now();
      const id = await q.send('document.process', { delayed: true }, { startAfterSeconds: 2 });
      // Waiting jobs count as queued, delayed or not.
      expect((await q.stats())['document.process'].queued).toBe(1);
      await waitFor('the delayed delivery', () => deliveries.length === 1);
      expect(deliveries[0]!.id).toBe(id);
      // Timer and clock granularity aside, not earlier than asked.
      expect(deliveries[0]!.at - sentAt).toBeGreaterThanOrEqual(1900);
      await waitFor('the job completed', async () => (await q.stats())['document.process'].queued === 0);
    });

    it('runs as many jobs at once as the concurrency, never more', async () => {
      const s = await setup();
      const q = await s.open();
      const release = s.gate();
      let running = 0;
      let most = 0;
      let done = 0;
      await q.work(
        'document.process',
        async () => {
          running++;
          most = Math.max(most, running);
          try {
            await release.opened;
            await sleep(30);
          } finally {
            running--;
            done++;
          }
        },
        { concurrency: 2 },
      );
      for (let i = 0; i < 5; i++) await q.send('document.process', { i });
      await waitFor('two jobs running in parallel', () => running === 2);
      await waitFor('the running jobs counted', async () => {
        const st = (await q.stats())['document.process'];
        return st.active === 2 && st.queued === 3;
      });
      // Several polls while both slots are busy: nothing else starts.
      await sleep(1500);
      expect(running).toBe(2);
      expect(most).toBe(2);
      release.open();
      await waitFor('every job done', () => done === 5);
      expect(most).toBe(2);
    });

    it('never runs one job in two instances on the same storage at the same time', async () => {
      const s = await setup();
      const a = await s.open();
      const b = await s.open();
      const runs: { id: string; by: string; start: number; end: number }[] = [];
      const handler = (by: string) => async (job: JobContext) => {
        const start = Date.now();
        await sleep(60);
        runs.push({ id: job.id, by, start, end: Date.now() });
      };
      await a.work('document.process', handler('a'), { concurrency: 3 });
      await b.work('document.process', handler('b'), { concurrency: 3 });
      const ids: (string | null)[] = [];
      for (let i = 0; i < 16; i++) ids.push(await (i % 2 === 0 ? a : b).send('document.process', { i }));
      await waitFor('every job run', () => new Set(runs.map((r) => r.id)).size === 16, 20_000);
      // No failures and no expired leases here: every job ran exactly once, in one instance.
      expect(runs.map((r) => r.id).sort()).toEqual([...ids].sort());
      await waitFor('both instances idle', async () => {
        const st = (await a.stats())['document.process'];
        return st.queued === 0 && st.active === 0;
      });
      await sleep(1000);
      expect(runs).toHaveLength(16);
    });

    it('delivers a job again once the lease of a worker that stopped answering ends', async () => {
      const s = await setup();
      const a = await s.open();
      const b = await s.open();
      const hung = s.gate();
      const deliveries: Delivery[] = [];
      // Whoever takes the job first never answers (ignoring its signal), like a killed process.
      const handler = (by: string) => async (job: JobContext) => {
        deliveries.push(record(job, by));
        if (deliveries.length === 1) await hung.opened;
      };
      await a.work('extraction.run', handler('a'), { concurrency: 1 });
      await b.work('extraction.run', handler('b'), { concurrency: 1 });
      const id = await a.send('extraction.run', { runId: 'r-1' });
      await waitFor('the delivery after the lease ended', () => deliveries.length === 2, 15_000);
      expect(deliveries.map((d) => [d.id, d.retryCount])).toEqual([
        [id, 0],
        [id, 1],
      ]);
      // Not before the one-second lease was over.
      expect(deliveries[1]!.at - deliveries[0]!.at).toBeGreaterThanOrEqual(900);
      await waitFor('the job completed by the second delivery', async () => {
        const st = (await a.stats())['extraction.run'];
        return st.queued === 0 && st.active === 0;
      });
      // The first handler returning late changes nothing: the job is done, and not failed.
      hung.open();
      await sleep(1200);
      expect(deliveries).toHaveLength(2);
      expect((await a.stats())['extraction.run']).toEqual(idle);
    });

    it('fails for good a job whose worker stops answering on its final attempt', async () => {
      const s = await setup();
      const q = await s.open();
      const hung = s.gate();
      const deliveries: Delivery[] = [];
      await q.work(
        'maintenance.sweep',
        async (job) => {
          deliveries.push(record(job));
          await hung.opened;
        },
        { concurrency: 2 },
      );
      await q.send('maintenance.sweep', {});
      await waitFor(
        'the expired final attempt counted as failed',
        async () => (await q.stats())['maintenance.sweep'].failed === 1,
        15_000,
      );
      expect((await q.stats())['maintenance.sweep']).toEqual({ queued: 0, active: 0, failed: 1 });
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]!.isFinalAttempt).toBe(true);
      hung.open();
      await sleep(1000);
      expect(deliveries).toHaveLength(1);
      expect((await q.stats())['maintenance.sweep']).toEqual({ queued: 0, active: 0, failed: 1 });
    });

    it('waits on a graceful stop for the running handler, whose result is recorded', async () => {
      const s = await setup();
      const q = await s.open();
      let started = false;
      let finished = false;
      let signal: AbortSignal | undefined;
      await q.work(
        'document.process',
        async (job) => {
          started = true;
          signal = job.signal;
          await sleep(700);
          finished = true;
        },
        { concurrency: 1 },
      );
      await q.send('document.process', {});
      await waitFor('the handler to start', () => started);
      await q.stop({ graceful: true, timeoutMs: 10_000 });
      expect(finished).toBe(true);
      expect(signal?.aborted).toBe(false);
      // Another process sees the job completed, not waiting to run again.
      const other = await s.open();
      expect((await other.stats())['document.process']).toEqual(idle);
    });

    it('aborts the running handler on a stop that is not graceful, and the job runs again elsewhere', async () => {
      const s = await setup();
      const q = await s.open();
      const deliveries: Delivery[] = [];
      let aborted = false;
      await q.work(
        'document.process',
        async (job) => {
          deliveries.push(record(job, 'first'));
          await new Promise<void>((resolve) => {
            job.signal.addEventListener('abort', () => resolve(), { once: true });
            setTimeout(resolve, 10_000).unref();
          });
          aborted = job.signal.aborted;
          throw new Error('interrupted');
        },
        { concurrency: 1 },
      );
      const id = await q.send('document.process', {});
      await waitFor('the handler to start', () => deliveries.length === 1);
      await q.stop({ graceful: false, timeoutMs: 5000 });
      await waitFor('the abort to reach the handler', () => aborted, 5000);

      const other = await s.open();
      await other.work('document.process', async (job) => void deliveries.push(record(job, 'second')), {
        concurrency: 1,
      });
      await waitFor('the job delivered again', () => deliveries.length === 2, 15_000);
      expect(deliveries[1]).toMatchObject({ id, by: 'second' });
      await waitFor('the job completed', async () => {
        const st = (await other.stats())['document.process'];
        return st.queued === 0 && st.active === 0;
      });
    });
  });
}
