import type { FieldResult } from './engine.js';

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed'];

export interface RunUsage {
  input_tokens: number;
  output_tokens: number;
}

/** Milliseconds spent in each phase of a run, measured by the worker. */
export interface RunTimings {
  /** From the run's creation to the worker claiming it. */
  queued_ms: number;
  /** Loading the page texts. */
  load_ms: number;
  /** Inside the engine. */
  extract_ms: number;
  /** Claim to completion. */
  total_ms: number;
}

export interface ExtractionRunRecord {
  id: string;
  tenantId: string;
  bookingId: string;
  schemaName: string;
  schemaVersion: string;
  /** The engine asked for. */
  engine: string;
  /** The engine whose results were stored (the fallback's name when the first one failed). */
  engineUsed: string | null;
  /** The documents to read; null means every processed document of the booking. */
  documentIds: string[] | null;
  status: RunStatus;
  /** Claims so far (a redelivered or retried job claims again). */
  attempts: number;
  leaseToken: string | null;
  leaseExpiresAt: Date | null;
  fields: Record<string, FieldResult> | null;
  warnings: string[];
  usage: RunUsage | null;
  timings: RunTimings | null;
  documentCount: number | null;
  pageCount: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface RunCompletion {
  engineUsed: string;
  fields: Record<string, FieldResult>;
  warnings: string[];
  usage: RunUsage | null;
  timings: RunTimings;
  documentCount: number;
  pageCount: number;
  finishedAt: Date;
}

export interface RunFailure {
  errorCode: string;
  errorMessage: string;
  /** How long it ran before failing, when it got as far as the engine. */
  timings: RunTimings | null;
  finishedAt: Date;
}

export type RunClaim =
  | { claimed: true; record: ExtractionRunRecord; token: string }
  | { claimed: false; record: ExtractionRunRecord | undefined };

/**
 * Extraction runs: queued by the API, claimed and finished by a worker. A finished run never
 * changes again (complete, fail and release only act on a running run whose lease the caller
 * holds). Every method is scoped to one tenant; lists are newest first by id (time-ordered ids).
 */
export interface ExtractionRunStore {
  createRun(record: ExtractionRunRecord): Promise<ExtractionRunRecord>;
  findRun(tenantId: string, id: string): Promise<ExtractionRunRecord | undefined>;
  listRuns(
    tenantId: string,
    bookingId: string,
    page: { limit: number; beforeId?: string | undefined },
  ): Promise<ExtractionRunRecord[]>;
  /** The newest succeeded run of a booking (of one schema when given). */
  latestSucceededRun(
    tenantId: string,
    bookingId: string,
    schemaName?: string,
  ): Promise<ExtractionRunRecord | undefined>;
  /** Moves a queued run (or a running one whose lease expired) to running under a new lease. */
  claimRun(tenantId: string, id: string, now: Date, leaseMs: number): Promise<RunClaim>;
  /** Stores the results and marks succeeded, only while `token` holds the lease. */
  completeRun(
    tenantId: string,
    id: string,
    token: string,
    result: RunCompletion,
  ): Promise<ExtractionRunRecord | undefined>;
  /** Marks failed for good, only while `token` holds the lease. */
  failRun(
    tenantId: string,
    id: string,
    token: string,
    failure: RunFailure,
  ): Promise<ExtractionRunRecord | undefined>;
  /** Gives the run back to the queue (a transient failure that will be retried). */
  releaseRun(tenantId: string, id: string, token: string): Promise<boolean>;
  /**
   * Maintenance, across tenants, oldest first: runs queued since before `queuedBefore` (their job
   * may be lost) and running runs whose lease ended before `leaseExpiredBy` (their worker died).
   */
  listStuckRuns(since: { queuedBefore: Date; leaseExpiredBy: Date }, limit: number): Promise<ExtractionRunRecord[]>;
}
