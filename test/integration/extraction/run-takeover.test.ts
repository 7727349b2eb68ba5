import { Registry } from 'prom-client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../../src/jobs.js';
import { newId } from '../../../src/lib/ids.js';
import { MAX_RUN_CLAIMS, createExtractionRunHandler, createExtractionRunSweeper, runLeaseMs } from '../../../src/modules/extraction/extraction.job.js';
import type { ExtractionJobData } from '../../../src/modules/extraction/extraction.service.js';
import type { ExtractionRunRecord } from '../../../src/modules/extraction/extraction.store.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { runRecord } from '../../contract/extraction-runs.contract.js';
import { createBooking, seedDocument, type Caller } from '../../http/extraction/helpers.js';
import { AGREEMENT_PAGES } from './agreement-fixture.js';

/**
 * Runs nobody works on any more: the worker holding one died (its lease ends and the maintenance
 * sweep queues it again), or the process died between creating a run and queueing its job. Also the
 * bound on claims, so that a run that keeps killing its workers ends instead of cycling. The whole
 * process-level story (kill -9, restart, takeover) is test/process/crash/extraction-crash.test.ts.
 */
describe('extraction runs whose worker died or whose job was lost', () => {
  let t: TestApp;
  let analyst: Caller;
  let bookingId: string;

  beforeAll(async () => {
    t = await createTestApp();
    analyst = await t.auth('analyst');
    bookingId = await createBooking(t, analyst);
    await seedDocument(t, analyst.tenantId, bookingId, AGREEMENT_PAGES, { fileName: 'credit-agreement.pdf' });
  });
  afterAll(async () => {
    await t.close();
  });

  const runs = () => t.app.services.stores.extractionRuns;
  const create = (overrides: Parameters<typeof runRecord>[2] = {}) => runs().createRun(runRecord(analyst.tenantId, bookingId, overrides));

  it('leases a run for its deadline plus as much again, a minute more at most', () => {
    expect(runLeaseMs(5_000)).toBe(10_000);
    expect(runLeaseMs(720_000)).toBe(780_000);
  });

  it('queues again, once, a run whose worker died and a run whose job was lost; the workers then finish both', async () => {
    const now = Date.now();
    const dead = await create({ createdAt: new Date(now - 60_000) });
    const claim = await runs().claimRun(analyst.tenantId, dead.id, new Date(now - 30_000), 1_000);
    expect(claim.claimed).toBe(true);
    const lost = await create({ createdAt: new Date(now - 20 * 60_000) });
    // Left alone: a queued run whose job is simply not picked up yet, and a run under a live lease.
    const fresh = await create({ createdAt: new Date(now) });
    const live = await create({ createdAt: new Date(now - 60_000) });
    expect((await runs().claimRun(analyst.tenantId, live.id, new Date(now), 600_000)).claimed).toBe(true);

    const { queue, clock } = t.app.services;
    const before = (await queue.stats())['extraction.run'].queued;
    const sweep = createExtractionRunSweeper({ runs: runs(), queue, clock });
    expect(await sweep()).toBe(2);
    // Their jobs are waiting now: a second sweep queues nothing more.
    expect(await sweep()).toBe(0);
    expect((await queue.stats())['extraction.run'].queued).toBe(before + 2);

    const workers = await startWorkers(t.app.services);
    try {
      const deadline = Date.now() + 60_000;
      let finished: (ExtractionRunRecord | undefined)[] = [];
      while (Date.now() < deadline) {
        finished = await Promise.all([dead, lost].map((r) => runs().findRun(analyst.tenantId, r.id)));
        if (finished.every((r) => r?.status === 'succeeded' || r?.status === 'failed')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(finished.map((r) => [r?.status, r?.attempts])).toEqual([
        ['succeeded', 2],
        ['succeeded', 1],
      ]);
      expect((await runs().findRun(analyst.tenantId, fresh.id))?.status).toBe('queued');
      expect((await runs().findRun(analyst.tenantId, live.id))?.status).toBe('running');
      // The workers' own sweep reports the runs it queues.
      expect(await workers.sweep({ stuckAfterMs: 0 })).toMatchObject({ runsRequeued: 1 });
    } finally {
      await workers.stop();
    }
  });

  it('fails a run claimed too often without finishing instead of running it again; one claim fewer still runs', async () => {
    const { engines, clock, stores } = t.app.services;
    const handler = createExtractionRunHandler({
      runs: runs(),
      documents: stores.documents,
      engines,
      clock,
      metrics: new Registry(),
      log: pino({ level: 'silent' }),
    });
    const job = (runId: string) => ({
      id: newId(),
      name: 'extraction.run' as const,
      data: { tenantId: analyst.tenantId, runId } satisfies ExtractionJobData,
      retryCount: 0,
      isFinalAttempt: false,
      signal: new AbortController().signal,
    });
    const worn = await create({ attempts: MAX_RUN_CLAIMS });
    await handler(job(worn.id));
    expect(await runs().findRun(analyst.tenantId, worn.id)).toMatchObject({ status: 'failed', errorCode: 'EXTRACTION_INTERRUPTED', attempts: MAX_RUN_CLAIMS + 1, fields: null });

    const lastChance = await create({ attempts: MAX_RUN_CLAIMS - 1 });
    await handler(job(lastChance.id));
    expect(await runs().findRun(analyst.tenantId, lastChance.id)).toMatchObject({ status: 'succeeded', attempts: MAX_RUN_CLAIMS });
  });
});
