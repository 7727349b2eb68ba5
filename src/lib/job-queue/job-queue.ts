/**
 * The durable job queue port. Two adapters: pg-boss (PostgreSQL and PGlite) and a DynamoDB lease
 * table (the AWS-native deployment). Delivery is at least once: handlers must be idempotent, and the
 * domain records (document status, extraction run status) are the source of truth, not the queue.
 */
export type JobName = 'document.process' | 'document.kb-sync' | 'extraction.run' | 'maintenance.sweep';

export const JOB_NAMES: readonly JobName[] = ['document.process', 'document.kb-sync', 'extraction.run', 'maintenance.sweep'];

export interface JobContext<T = Record<string, unknown>> {
  id: string;
  name: JobName;
  data: T;
  /** 0 on the first delivery. */
  retryCount: number;
  /** The handler's last chance: failing now fails the job for good. */
  isFinalAttempt: boolean;
  signal: AbortSignal;
}

export type JobHandler<T = Record<string, unknown>> = (job: JobContext<T>) => Promise<void>;

export interface QueuePolicy {
  retryLimit: number;
  retryDelaySeconds: number;
  /** A job running longer than this is presumed dead (worker killed) and delivered again. */
  expireInSeconds: number;
}

export interface SendOptions {
  /**
   * At most one waiting (queued or awaiting retry) job per key: a send while one waits is dropped.
   * A running job does not count: its worker may have died, and the domain record's lease decides
   * who works. Best effort under concurrent sends; handlers are idempotent anyway.
   */
  singletonKey?: string;
  startAfterSeconds?: number;
}

export interface QueueStats {
  queued: number;
  active: number;
  failed: number;
}

export interface JobQueue {
  readonly kind: 'pg-boss' | 'dynamodb';
  /** Prepares storage and queues; needed before send, also in API-only processes. */
  start(): Promise<void>;
  /** Returns the job id, or null when a job with that singleton key is already waiting. */
  send(name: JobName, data: Record<string, unknown>, opts?: SendOptions): Promise<string | null>;
  /** Starts consuming a queue in this process (workers only). */
  work<T extends Record<string, unknown>>(name: JobName, handler: JobHandler<T>, opts: { concurrency: number }): Promise<void>;
  stats(): Promise<Record<JobName, QueueStats>>;
  check(signal?: AbortSignal): Promise<void>;
  /** Stops fetching; with graceful, waits (bounded) for running handlers to finish. */
  stop(opts: { graceful: boolean; timeoutMs: number }): Promise<void>;
}

export const QUEUE_POLICIES: Record<JobName, QueuePolicy> = {
  'document.process': { retryLimit: 3, retryDelaySeconds: 5, expireInSeconds: 15 * 60 },
  'document.kb-sync': { retryLimit: 10, retryDelaySeconds: 30, expireInSeconds: 5 * 60 },
  'extraction.run': { retryLimit: 2, retryDelaySeconds: 5, expireInSeconds: 15 * 60 },
  'maintenance.sweep': { retryLimit: 0, retryDelaySeconds: 60, expireInSeconds: 10 * 60 },
};
