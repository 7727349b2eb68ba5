import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Clock } from '../../lib/clock.js';
import { isAppError } from '../../lib/errors.js';
import { QUEUE_POLICIES, type JobHandler, type JobQueue } from '../../lib/job-queue/job-queue.js';
import type { DocumentStore } from '../documents/documents.store.js';
import type { EngineProvider } from './engine-provider.js';
import { extractionMetrics } from './extraction.metrics.js';
import type { ExtractionJobData } from './extraction.service.js';
import type { ExtractionRunStore, RunTimings } from './extraction.store.js';
import { FINISHED_RUN_STATUSES } from './extraction.store.js';

export interface ExtractionRunHandlerDeps {
  runs: ExtractionRunStore;
  documents: Pick<DocumentStore, 'pagesForBooking'>;
  engines: EngineProvider;
  clock: Clock;
  metrics: Registry;
  log: FastifyBaseLogger;
  /** Deadline of the whole run (EXTRACTION_RUN_TIMEOUT_SECONDS); defaults to most of the queue's expiry so the queue never redelivers a live run. */
  runTimeoutMs?: number;
}

/**
 * How long a worker holds a run: past its deadline (the worker is failing or releasing the run by
 * then), plus as much again up to a minute. A worker still holding a run after that has died.
 */
export function runLeaseMs(runTimeoutMs: number): number {
  return runTimeoutMs + Math.min(60_000, runTimeoutMs);
}

/**
 * Claims a run may take before it is failed instead of run again. A run is claimed once per
 * delivery (the queue retries a transient failure twice) and once more each time its worker died
 * under it (killed, out of memory) and the sweep gave it to another: a run that keeps taking its
 * workers down must end, not cycle for ever.
 */
export const MAX_RUN_CLAIMS = QUEUE_POLICIES['extraction.run'].retryLimit + 3;

/** Error codes a run can end with besides the catalogue's. */
export const RUN_ERROR_CODES = {
  noText: 'NO_DOCUMENT_TEXT',
  timeout: 'EXTRACTION_TIMEOUT',
  failed: 'EXTRACTION_FAILED',
  interrupted: 'EXTRACTION_INTERRUPTED',
} as const;

/** Failures a later attempt may not see again: a dependency that is down, slow or busy. */
const TRANSIENT_CODES = new Set(['DEPENDENCY_UNAVAILABLE', 'UPSTREAM_ERROR', 'UPSTREAM_TIMEOUT', 'SERVICE_UNAVAILABLE']);

function isTransient(error: unknown): boolean {
  // An error that is not ours (a dropped database connection) is presumed transient too.
  return isAppError(error) ? TRANSIENT_CODES.has(error.code) : true;
}

/**
 * The `extraction.run` job. Delivery is at least once, so the run row decides: the handler claims
 * it under a lease (only one worker runs it), a finished run is left alone, and a transient
 * failure gives the run back to the queue until the final attempt, which fails it for good with
 * an error code. Results are stored only by the lease holder, so a slow worker that lost its
 * lease cannot overwrite the results of the one that took over.
 */
export function createExtractionRunHandler(deps: ExtractionRunHandlerDeps): JobHandler<ExtractionJobData> {
  const { runs, documents, engines, clock, log } = deps;
  const metrics = extractionMetrics(deps.metrics);
  const expiryMs = QUEUE_POLICIES['extraction.run'].expireInSeconds * 1000;
  const runTimeoutMs = deps.runTimeoutMs ?? Math.floor(expiryMs * 0.8);
  // The lease outlives the run's own deadline: while it holds, nobody else may take the run over.
  const leaseMs = runLeaseMs(runTimeoutMs);

  return async (job) => {
    const { tenantId, runId } = job.data;
    if (typeof tenantId !== 'string' || typeof runId !== 'string') {
      log.error({ job_id: job.id }, 'extraction.run job without tenantId/runId; dropped');
      return;
    }
    const claim = await runs.claimRun(tenantId, runId, clock.now(), leaseMs);
    if (!claim.claimed) {
      const current = claim.record;
      if (!current || FINISHED_RUN_STATUSES.includes(current.status)) return;
      // Another delivery holds a live lease. Try again later unless this was the last chance, in
      // which case that delivery finishes the run.
      if (job.isFinalAttempt) return;
      throw new Error(`extraction run ${runId} is held by another worker`);
    }
    const run = claim.record;
    const token = claim.token;
    if (run.attempts > MAX_RUN_CLAIMS) {
      await runs.failRun(tenantId, runId, token, {
        errorCode: RUN_ERROR_CODES.interrupted,
        errorMessage: `The run was attempted ${run.attempts - 1} times without finishing (its worker stopped each time); start a new run`,
        timings: null,
        finishedAt: clock.now(),
      });
      metrics.runs.inc({ engine: run.engine, status: 'failed' });
      log.warn({ run_id: runId, attempts: run.attempts }, 'extraction run failed: too many interrupted attempts');
      return;
    }
    const claimedAt = performance.now();
    const queuedMs = Math.max(0, clock.now().getTime() - run.createdAt.getTime());
    let loadMs = 0;
    let extractStarted: number | undefined;
    const timings = (): RunTimings => {
      const now = performance.now();
      return {
        queued_ms: queuedMs,
        load_ms: Math.round(loadMs),
        extract_ms: extractStarted === undefined ? 0 : Math.round(now - extractStarted),
        total_ms: Math.round(now - claimedAt),
      };
    };
    const deadline = AbortSignal.timeout(runTimeoutMs);
    const signal = AbortSignal.any([job.signal, deadline]);

    try {
      const pages = await documents.pagesForBooking(tenantId, run.bookingId, run.documentIds ?? undefined);
      loadMs = performance.now() - claimedAt;
      if (pages.length === 0) {
        await runs.failRun(tenantId, runId, token, {
          errorCode: RUN_ERROR_CODES.noText,
          errorMessage: 'The documents of this run have no text (deleted, or not processed)',
          timings: timings(),
          finishedAt: clock.now(),
        });
        metrics.runs.inc({ engine: run.engine, status: 'failed' });
        return;
      }
      extractStarted = performance.now();
      const { output, engineUsed } = await engines.run(
        run.engine,
        { tenantId, bookingId: run.bookingId, documentIds: run.documentIds ?? undefined },
        { schemaName: run.schemaName, pages, signal },
      );
      const t = timings();
      const done = await runs.completeRun(tenantId, runId, token, {
        engineUsed,
        fields: output.fields,
        warnings: output.warnings,
        usage: output.usage ?? null,
        timings: t,
        documentCount: new Set(pages.map((p) => p.documentId)).size,
        pageCount: pages.length,
        finishedAt: clock.now(),
      });
      if (!done) {
        log.warn({ run_id: runId }, 'extraction run lost its lease before completing; results dropped');
        return;
      }
      if (engineUsed !== run.engine) metrics.fallbacks.inc({ from: run.engine });
      metrics.runs.inc({ engine: engineUsed, status: 'succeeded' });
      metrics.runDuration.observe({ engine: engineUsed, status: 'succeeded' }, t.total_ms / 1000);
      metrics.observeFields(engineUsed, output.fields);
    } catch (error) {
      const stopping = job.signal.aborted;
      const timedOut = deadline.aborted && !stopping;
      if (stopping || (!timedOut && isTransient(error) && !job.isFinalAttempt)) {
        // The worker is shutting down or the failure may pass: the queue delivers the run again.
        await runs.releaseRun(tenantId, runId, token);
        throw error;
      }
      const code = timedOut ? RUN_ERROR_CODES.timeout : isAppError(error) ? error.code : RUN_ERROR_CODES.failed;
      // Our errors carry messages written for clients (never an AWS or driver message); anything
      // else stays in the log.
      const message = timedOut
        ? `The run did not finish within ${Math.round(runTimeoutMs / 1000)} s`
        : isAppError(error)
          ? error.message
          : 'The extraction failed unexpectedly';
      await runs.failRun(tenantId, runId, token, { errorCode: code, errorMessage: message.slice(0, 500), timings: timings(), finishedAt: clock.now() });
      const t = timings();
      metrics.runs.inc({ engine: run.engine, status: 'failed' });
      metrics.runDuration.observe({ engine: run.engine, status: 'failed' }, t.total_ms / 1000);
      log.warn({ err: error, run_id: runId, error_code: code }, 'extraction run failed');
    }
  };
}

export interface ExtractionRunSweepDeps {
  runs: Pick<ExtractionRunStore, 'listStuckRuns'>;
  queue: Pick<JobQueue, 'send'>;
  clock: Clock;
}

/** A queued run older than this has lost its job (the process died between creating and queueing it). */
const QUEUED_STUCK_AFTER_MS = 10 * 60_000;
const SWEEP_BATCH = 100;

/**
 * The maintenance step for runs: queue again the runs nobody works on, i.e. running ones whose
 * worker died (lease over: the queue itself would only redeliver after its 15 min expiry, and never
 * after a final attempt) and queued ones whose job was lost. The singleton key drops the send when
 * the run's job is already waiting; the handler's claim decides who runs it. Returns the runs queued.
 */
export function createExtractionRunSweeper(deps: ExtractionRunSweepDeps) {
  return async function sweepRuns(opts: { stuckAfterMs?: number } = {}): Promise<number> {
    const now = deps.clock.now();
    const stuck = await deps.runs.listStuckRuns(
      { queuedBefore: new Date(now.getTime() - (opts.stuckAfterMs ?? QUEUED_STUCK_AFTER_MS)), leaseExpiredBy: now },
      SWEEP_BATCH,
    );
    let requeued = 0;
    for (const run of stuck) {
      const data: ExtractionJobData = { tenantId: run.tenantId, runId: run.id };
      if (await deps.queue.send('extraction.run', data, { singletonKey: `extraction-${run.id}` })) requeued++;
    }
    return requeued;
  };
}
