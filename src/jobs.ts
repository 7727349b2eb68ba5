import type { Services } from './services.js';
import { createProcessHandler, createSweeper, type ProcessingDeps, type SweepResult } from './modules/documents/processing.js';
import { createKbSyncHandler } from './modules/documents/kb-sync.js';
import { createExtractionRunHandler, createExtractionRunSweeper } from './modules/extraction/extraction.job.js';

export type WorkersSweepResult = SweepResult & {
  /** Extraction runs queued again (worker died, or job lost). */
  runsRequeued: number;
};

export interface Workers {
  /** Runs one maintenance sweep now (also runs on a timer). */
  sweep(opts?: { stuckAfterMs?: number; orphanGraceMs?: number }): Promise<WorkersSweepResult>;
  stop(): Promise<void>;
}

/**
 * Starts consuming every queue in this process: the API process in the embedded default, or a
 * separate worker process (`npm run worker`) so API and workers scale independently.
 */
export async function startWorkers(services: Services, opts: { sweepIntervalMs?: number; kbPollSeconds?: number } = {}): Promise<Workers> {
  const { config, queue } = services;
  const deps: ProcessingDeps = {
    config,
    store: services.stores.documents,
    blob: services.blob,
    queue,
    bookings: services.loanBookings,
    idempotency: services.stores.idempotency,
    clock: services.clock,
    metrics: services.metrics,
    log: services.log,
    ocr: () => services.ocr(),
    knowledgeBaseConfigured: services.bedrock?.knowledgeBase !== undefined,
  };
  const concurrency = config.worker.concurrency;
  await queue.work('document.process', createProcessHandler(deps), { concurrency });
  await queue.work(
    'extraction.run',
    createExtractionRunHandler({
      runs: services.stores.extractionRuns,
      documents: services.stores.documents,
      engines: services.engines,
      clock: services.clock,
      metrics: services.metrics,
      log: services.log,
      runTimeoutMs: config.worker.extractionRunTimeoutSeconds * 1000,
    }),
    { concurrency },
  );
  const kb = services.bedrock?.knowledgeBase;
  if (kb) {
    await queue.work(
      'document.kb-sync',
      createKbSyncHandler({
        kb,
        blob: services.blob,
        bucket: config.blob.kind === 's3' ? config.blob.bucket : undefined,
        store: services.stores.documents,
        bookings: services.loanBookings,
        queue,
        log: services.log,
        ...(opts.kbPollSeconds ? { pollSeconds: opts.kbPollSeconds } : {}),
      }),
      { concurrency: 1 },
    );
  }
  const sweepDocuments = createSweeper(deps);
  const sweepRuns = createExtractionRunSweeper({ runs: services.stores.extractionRuns, queue, clock: services.clock });
  const sweep = async (sweepOpts: { stuckAfterMs?: number; orphanGraceMs?: number } = {}): Promise<WorkersSweepResult> => ({
    ...(await sweepDocuments(sweepOpts)),
    runsRequeued: await sweepRuns(sweepOpts.stuckAfterMs === undefined ? {} : { stuckAfterMs: sweepOpts.stuckAfterMs }),
  });
  const interval = opts.sweepIntervalMs ?? config.worker.sweepIntervalMs;
  const timer = setInterval(() => {
    sweep().catch((err: unknown) => services.log.warn({ err }, 'maintenance sweep failed'));
  }, interval);
  timer.unref();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await queue.stop({ graceful: true, timeoutMs: config.server.shutdownTimeoutMs });
    },
  };
}
