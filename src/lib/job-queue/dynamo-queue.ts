/**
 * The job queue on DynamoDB, in the platform table (key layout in dynamo/tables.ts). No Scan:
 * every read is a Query on a known partition.
 *
 * - A job is one item `JOB#<id>` with its state: `ready` (waiting, possibly delayed or for a
 *   retry), `active` (leased by a worker) or `failed` (kept for `failedRetentionDays`, then removed
 *   by TTL). A completed job is deleted.
 * - While ready or active, the job sits in a "needs attention at" index (gsi1): partition
 *   `JOBS_DUE#<queue>#<shard>`, sort key `<dueAt ISO>#<id>`. For a ready job dueAt is when it may
 *   run (send time, start-after, retry back-off); for an active job it is when its lease ends. So one
 *   Query per shard for `sk < now` finds both the jobs to start and the jobs whose worker died.
 *   Shards spread a busy queue over several index partitions; workers query all of them and take
 *   the oldest due first (FIFO across shards is approximate, as nothing relies on order).
 * - Claiming is a conditional update on the job item (same version, still due): of several workers
 *   reading the same candidate from the eventually consistent index, exactly one wins; the others
 *   see a failed condition and move on. The winner writes a fresh lease token, moves dueAt to the
 *   lease end (`expireInSeconds`) and becomes the only one whose complete/fail is accepted: a
 *   worker whose lease was taken over cannot complete or fail someone else's attempt.
 * - A lease that ends with the job still active means the worker was killed (or hung): the next
 *   poll takes it over as a new attempt (retryCount + 1, as pg-boss counts an expiry as a failure),
 *   or fails it for good when it was the final attempt. A handler still running when its own lease
 *   ends has its signal aborted, since another worker may own the job by now.
 * - Failure: retried after `retryDelaySeconds * 2^retryCount * (1 + random)` (pg-boss's
 *   exponential back-off with jitter) until `retryLimit` retries are spent, then `failed`.
 * - Singleton key: at most one waiting job per key, enforced exactly with a `JOB_SINGLETON` item
 *   put conditionally in the same transaction as the job. The waiting job holds it until a worker
 *   claims the job; a job that goes back to waiting (retry, released at shutdown) takes it again
 *   when it is free. A running job never holds it, so a send while it runs queues a new job.
 * - Counters for stats: every state change moves `JOB_COUNTS` counters (sharded to keep concurrent
 *   transactions apart) in the same transaction as the job, so they are exact without counting
 *   items. Failures are counted per UTC day and stats sums the days still kept, the same window
 *   as the failed items' TTL.
 * - An idle worker costs one Query per shard and queue per polling interval; a send in the same
 *   process wakes its workers at once, so the interval only bounds the delay across processes.
 * - Timing uses each process's wall clock: leases assume clocks within seconds of each other
 *   (NTP), which is far below the minutes of `expireInSeconds`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  conditionFailedAt,
  createDocumentClient,
  epochSeconds,
  iso,
  queryAll,
  withConflictRetry,
  type Item,
} from '../../dynamo/client.js';
import { COUNTER_SHARDS, gsiName, JOB_SHARDS, keys, TTL_ATTRIBUTE } from '../../dynamo/tables.js';
import { newId } from '../ids.js';
import {
  JOB_NAMES,
  QUEUE_POLICIES,
  type JobContext,
  type JobHandler,
  type JobName,
  type JobQueue,
  type QueuePolicy,
  type QueueStats,
} from './job-queue.js';

export interface DynamoQueueOptions {
  /** How often an idle worker looks for due jobs; fractions allowed (tests). Default 2. */
  pollingIntervalSeconds?: number;
  /** Replaces the policies of some queues (tests use short delays and leases). */
  policies?: Partial<Record<JobName, QueuePolicy>>;
  /** Days a failed job (and its count) is kept. Default 7. */
  failedRetentionDays?: number;
  /** Errors of the background work (polling, completing) that have no caller to throw to. */
  onError?: (err: unknown) => void;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

interface ClaimedJob {
  id: string;
  name: JobName;
  data: Record<string, unknown>;
  retryCount: number;
  retryLimit: number;
  retryDelaySeconds: number;
  singletonKey: string | undefined;
  leaseToken: string;
  leaseEndsAt: number;
}

/** A condition on the job item, with the values it names. */
interface Condition {
  expression: string;
  values: Record<string, unknown>;
}

const leaseHeld = (token: string): Condition => ({
  expression: '#leaseToken = :token',
  values: { ':token': token },
});

interface Worker {
  name: JobName;
  handler: JobHandler;
  concurrency: number;
  running: number;
  /** The last poll filled every free slot: more jobs are probably due. */
  moreLikely: boolean;
  wake(): void;
  nap(ms: number): Promise<void>;
  done?: Promise<void>;
}

const MAX_ERROR_LENGTH = 1000;
const DAY_MS = 86_400_000;

const names = (...attrs: string[]) => Object.fromEntries(attrs.map((a) => [`#${a}`, a]));
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const errorText = (err: unknown) =>
  (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, MAX_ERROR_LENGTH);

function createWorker(name: JobName, handler: JobHandler, concurrency: number): Worker {
  let pending = false;
  let interrupt: (() => void) | undefined;
  return {
    name,
    handler,
    concurrency,
    running: 0,
    moreLikely: false,
    wake() {
      pending = true;
      interrupt?.();
    },
    async nap(ms) {
      if (!pending) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          interrupt = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        interrupt = undefined;
      }
      pending = false;
    },
  };
}

export function createDynamoQueue(
  client: DynamoDBClient,
  tableName: string,
  opts: DynamoQueueOptions = {},
): JobQueue {
  const doc = createDocumentClient(client);
  const TableName = tableName;
  const IndexName = gsiName(1);
  const pollMs = Math.max(10, (opts.pollingIntervalSeconds ?? 2) * 1000);
  const retentionDays = opts.failedRetentionDays ?? 7;
  const report = opts.onError ?? (() => undefined);
  const policyOf = (name: JobName): QueuePolicy => opts.policies?.[name] ?? QUEUE_POLICIES[name];

  const workers: Worker[] = [];
  const inflight = new Set<Promise<void>>();
  const controllers = new Set<AbortController>();
  /** Handlers aborted by our own shutdown: their job goes back unchanged instead of failing. */
  const stoppedByUs = new WeakSet<AbortController>();
  let started = false;
  let stopping = false;
  let stopped: Promise<void> | undefined;

  const counter = (name: JobName, state: 'queued' | 'active', delta: number): TransactItem => ({
    Update: {
      TableName,
      Key: { pk: keys.jobCounts(), sk: keys.jobCounter(name, state, randomInt(COUNTER_SHARDS)) },
      UpdateExpression: 'ADD #n :d',
      ExpressionAttributeNames: { '#n': 'n' },
      ExpressionAttributeValues: { ':d': delta },
    },
  });

  const failedCounter = (name: JobName, nowMs: number): TransactItem => {
    const day = utcDay(nowMs);
    return {
      Update: {
        TableName,
        Key: { pk: keys.jobCounts(), sk: keys.jobFailedCounter(name, day, randomInt(COUNTER_SHARDS)) },
        UpdateExpression: 'ADD #n :one SET #ttl = :ttl',
        ExpressionAttributeNames: { '#n': 'n', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':one': 1,
          ':ttl': epochSeconds(new Date(Date.parse(day) + (retentionDays + 1) * DAY_MS)),
        },
      },
    };
  };

  const singletonPut = (name: JobName, key: string, jobId: string, nowMs: number): TransactItem => ({
    Put: {
      TableName,
      Item: { ...keys.jobSingleton(name, key), entity: 'job-singleton', jobId, since: iso(new Date(nowMs)) },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  });

  const transact = (items: TransactItem[]) =>
    withConflictRetry(() => doc.send(new TransactWriteCommand({ TransactItems: items })));

  async function send(
    name: JobName,
    data: Record<string, unknown>,
    sendOpts: { singletonKey?: string; startAfterSeconds?: number } = {},
  ): Promise<string | null> {
    if (!started) throw new Error('job queue not started');
    const policy = policyOf(name);
    const id = newId();
    const nowMs = Date.now();
    const due = new Date(nowMs + Math.max(0, sendOpts.startAfterSeconds ?? 0) * 1000);
    const singletonKey = sendOpts.singletonKey;
    const items: TransactItem[] = [
      {
        Put: {
          TableName,
          Item: {
            ...keys.job(id),
            entity: 'job',
            id,
            queue: name,
            data,
            state: 'ready',
            version: 1,
            retryCount: 0,
            retryLimit: policy.retryLimit,
            retryDelaySeconds: policy.retryDelaySeconds,
            expireInSeconds: policy.expireInSeconds,
            singletonKey,
            holdsSingleton: singletonKey !== undefined,
            createdAt: iso(new Date(nowMs)),
            dueAt: iso(due),
            gsi1pk: keys.jobsDue(name, randomInt(JOB_SHARDS)),
            gsi1sk: keys.jobDuePosition(due, id),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      counter(name, 'queued', 1),
    ];
    if (singletonKey !== undefined) items.push(singletonPut(name, singletonKey, id, nowMs));
    try {
      await transact(items);
    } catch (err) {
      if (singletonKey !== undefined && conditionFailedAt(err, 2)) return null;
      throw err;
    }
    if (due.getTime() <= nowMs) for (const w of workers) if (w.name === name) w.wake();
    return id;
  }

  /** Gives a failed handler's job its next attempt, or fails it for good after the last one. */
  async function fail(job: ClaimedJob, err: unknown): Promise<void> {
    if (job.retryCount >= job.retryLimit) {
      await failForGood(job.id, job.name, leaseHeld(job.leaseToken), errorText(err));
      return;
    }
    const backoffMs = job.retryDelaySeconds * 1000 * 2 ** Math.min(16, job.retryCount) * (1 + Math.random());
    await backToWaiting(job, new Date(Date.now() + backoffMs), job.retryCount + 1, errorText(err));
  }

  /**
   * Active -> ready (a retry, or a job handed back at shutdown). The job takes its singleton key
   * again when no other job waits with it; otherwise both wait, as pg-boss would have them.
   */
  async function backToWaiting(job: ClaimedJob, due: Date, retryCount: number, lastError: string | null) {
    const nowMs = Date.now();
    const update = (holds: boolean): TransactItem => ({
      Update: {
        TableName,
        Key: keys.job(job.id),
        UpdateExpression:
          'SET #state = :ready, #version = #version + :one, #retryCount = :retryCount, #dueAt = :dueAt, ' +
          '#gsi1sk = :position, #holdsSingleton = :holds' +
          (lastError === null ? '' : ', #lastError = :lastError') +
          ' REMOVE #leaseToken, #startedAt',
        ConditionExpression: '#leaseToken = :token',
        ExpressionAttributeNames: names(
          'state',
          'version',
          'retryCount',
          'dueAt',
          'gsi1sk',
          'holdsSingleton',
          'leaseToken',
          'startedAt',
          ...(lastError === null ? [] : ['lastError']),
        ),
        ExpressionAttributeValues: {
          ':ready': 'ready',
          ':one': 1,
          ':retryCount': retryCount,
          ':dueAt': iso(due),
          ':position': keys.jobDuePosition(due, job.id),
          ':holds': holds,
          ':token': job.leaseToken,
          ...(lastError === null ? {} : { ':lastError': lastError }),
        },
      },
    });
    const counters = [counter(job.name, 'active', -1), counter(job.name, 'queued', 1)];
    try {
      if (job.singletonKey !== undefined) {
        try {
          await transact([
            update(true),
            ...counters,
            singletonPut(job.name, job.singletonKey, job.id, nowMs),
          ]);
          return;
        } catch (err) {
          if (!conditionFailedAt(err, 3) || conditionFailedAt(err, 0)) throw err;
        }
      }
      await transact([update(false), ...counters]);
    } catch (err) {
      // Our lease was taken over: the job is someone else's attempt now.
      if (conditionFailedAt(err, 0)) return;
      throw err;
    }
  }

  /** Active -> failed, kept for the retention days; false when the condition no longer holds. */
  async function failForGood(
    id: string,
    name: JobName,
    condition: Condition,
    lastError: string,
  ): Promise<boolean> {
    const nowMs = Date.now();
    try {
      await transact([
        {
          Update: {
            TableName,
            Key: keys.job(id),
            UpdateExpression:
              'SET #state = :failed, #version = #version + :one, #failedAt = :failedAt, #lastError = :lastError, ' +
              '#ttl = :ttl REMOVE #gsi1pk, #gsi1sk, #leaseToken, #dueAt',
            ConditionExpression: condition.expression,
            ExpressionAttributeNames: {
              ...names(
                'state',
                'version',
                'failedAt',
                'lastError',
                'gsi1pk',
                'gsi1sk',
                'leaseToken',
                'dueAt',
              ),
              '#ttl': TTL_ATTRIBUTE,
            },
            ExpressionAttributeValues: {
              ':failed': 'failed',
              ':one': 1,
              ':failedAt': iso(new Date(nowMs)),
              ':lastError': lastError,
              ':ttl': epochSeconds(new Date(nowMs + retentionDays * DAY_MS)),
              ...condition.values,
            },
          },
        },
        counter(name, 'active', -1),
        failedCounter(name, nowMs),
      ]);
      return true;
    } catch (err) {
      if (conditionFailedAt(err, 0)) return false;
      throw err;
    }
  }

  async function complete(job: ClaimedJob): Promise<void> {
    try {
      await transact([
        {
          Delete: {
            TableName,
            Key: keys.job(job.id),
            ConditionExpression: '#leaseToken = :token',
            ExpressionAttributeNames: names('leaseToken'),
            ExpressionAttributeValues: { ':token': job.leaseToken },
          },
        },
        counter(job.name, 'active', -1),
      ]);
    } catch (err) {
      // Our lease ended and another worker took the job over: its attempt decides now.
      if (!conditionFailedAt(err, 0)) throw err;
    }
  }

  /** Takes one candidate read from the index; undefined when another worker got it first. */
  async function claim(name: JobName, item: Item, nowIso: string): Promise<ClaimedJob | undefined> {
    const id = String(item.id);
    const version = Number(item.version);
    const retryCount = Number(item.retryCount);
    const retryLimit = Number(item.retryLimit);
    const fromActive = item.state === 'active';
    // Unchanged since the index showed it (the index lags the table), and due.
    const stillDue: Condition = {
      expression: '#version = :v AND #state = :from AND #dueAt <= :now',
      values: { ':v': version, ':from': fromActive ? 'active' : 'ready', ':now': nowIso },
    };
    if (fromActive && retryCount >= retryLimit) {
      // The final attempt's worker died: the job fails for good instead of running again.
      await failForGood(id, name, stillDue, 'lease expired on the final attempt (worker stopped or hung)');
      return undefined;
    }
    const leaseToken = randomBytes(16).toString('hex');
    const leaseEndsAt = Date.now() + Number(item.expireInSeconds) * 1000;
    const leaseEnd = new Date(leaseEndsAt);
    const attempt = fromActive ? retryCount + 1 : retryCount;
    const update = {
      TableName,
      Key: keys.job(id),
      UpdateExpression:
        'SET #state = :active, #version = :next, #leaseToken = :token, #dueAt = :leaseEnd, ' +
        '#gsi1sk = :position, #startedAt = :now, #retryCount = :retryCount, #holdsSingleton = :false',
      ConditionExpression: stillDue.expression,
      ExpressionAttributeNames: names(
        'state',
        'version',
        'leaseToken',
        'dueAt',
        'gsi1sk',
        'startedAt',
        'retryCount',
        'holdsSingleton',
      ),
      ExpressionAttributeValues: {
        ':active': 'active',
        ':next': version + 1,
        ':token': leaseToken,
        ':leaseEnd': iso(leaseEnd),
        ':position': keys.jobDuePosition(leaseEnd, id),
        ':retryCount': attempt,
        ':false': false,
        ...stillDue.values,
      },
    };
    const singletonKey = typeof item.singletonKey === 'string' ? item.singletonKey : undefined;
    try {
      if (fromActive) {
        // Still active, only the owner changes: the counters stay as they are.
        await doc.send(new UpdateCommand(update));
      } else {
        const items: TransactItem[] = [
          { Update: update },
          counter(name, 'queued', -1),
          counter(name, 'active', 1),
        ];
        // The key is free again: a send while this job runs queues a new one.
        if (item.holdsSingleton === true && singletonKey !== undefined)
          items.push({ Delete: { TableName, Key: keys.jobSingleton(name, singletonKey) } });
        await transact(items);
      }
    } catch (err) {
      if (conditionFailedAt(err, 0)) return undefined;
      throw err;
    }
    return {
      id,
      name,
      data: (item.data ?? {}) as Record<string, unknown>,
      retryCount: attempt,
      retryLimit,
      retryDelaySeconds: Number(item.retryDelaySeconds),
      singletonKey,
      leaseToken,
      leaseEndsAt,
    };
  }

  /** Up to `wanted` due jobs of a queue, oldest first across shards. */
  async function claimDue(name: JobName, wanted: number): Promise<ClaimedJob[]> {
    const nowIso = iso(new Date());
    // `$` sorts right after `#`: every position at or before now, whatever the id.
    const bound = `${nowIso}$`;
    const limit = Math.min(100, wanted * 2 + 2);
    const pages = await Promise.all(
      Array.from({ length: JOB_SHARDS }, (_, shard) =>
        doc.send(
          new QueryCommand({
            TableName,
            IndexName,
            KeyConditionExpression: '#pk = :pk AND #sk < :bound',
            ExpressionAttributeNames: { '#pk': 'gsi1pk', '#sk': 'gsi1sk' },
            ExpressionAttributeValues: { ':pk': keys.jobsDue(name, shard), ':bound': bound },
            Limit: limit,
          }),
        ),
      ),
    );
    const candidates = pages
      .flatMap((p) => p.Items ?? [])
      .sort((a, b) => (String(a.gsi1sk) < String(b.gsi1sk) ? -1 : 1));
    const out: ClaimedJob[] = [];
    for (const item of candidates) {
      if (out.length >= wanted || stopping) break;
      const job = await claim(name, item, nowIso);
      if (job) out.push(job);
    }
    return out;
  }

  function run(w: Worker, job: ClaimedJob): void {
    w.running++;
    const controller = new AbortController();
    controllers.add(controller);
    const leaseTimer = setTimeout(
      () => controller.abort(new Error('job lease expired')),
      Math.max(0, job.leaseEndsAt - Date.now()),
    );
    leaseTimer.unref();
    const context: JobContext = {
      id: job.id,
      name: job.name,
      data: job.data,
      retryCount: job.retryCount,
      isFinalAttempt: job.retryCount >= job.retryLimit,
      signal: controller.signal,
    };
    const task = (async () => {
      let failure: { err: unknown } | undefined;
      try {
        await w.handler(context);
      } catch (err) {
        failure = { err };
      } finally {
        clearTimeout(leaseTimer);
        controllers.delete(controller);
      }
      try {
        if (!failure) await complete(job);
        else if (stoppedByUs.has(controller)) await backToWaiting(job, new Date(), job.retryCount, null);
        else await fail(job, failure.err);
      } catch (err) {
        // The lease runs out and the job is delivered again: at least once.
        report(err);
      }
    })().finally(() => {
      w.running--;
      inflight.delete(task);
      if (w.moreLikely) w.wake();
    });
    inflight.add(task);
  }

  async function loop(w: Worker): Promise<void> {
    while (!stopping) {
      const free = w.concurrency - w.running;
      let filled = free === 0;
      if (free > 0) {
        try {
          const jobs = await claimDue(w.name, free);
          filled = jobs.length === free;
          for (const job of jobs) {
            // Claimed while shutting down: handed back as it was rather than started.
            if (stopping) await backToWaiting(job, new Date(), job.retryCount, null).catch(report);
            else run(w, job);
          }
        } catch (err) {
          filled = false;
          report(err);
        }
      }
      w.moreLikely = filled;
      if (stopping) break;
      if (!filled || w.running >= w.concurrency) await w.nap(pollMs);
    }
  }

  function abortAll(reason: string) {
    for (const c of controllers) {
      stoppedByUs.add(c);
      c.abort(new Error(reason));
    }
  }

  async function doStop(graceful: boolean, timeoutMs: number): Promise<void> {
    stopping = true;
    for (const w of workers) w.wake();
    if (!graceful) abortAll('job queue stopped');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all([...workers.map((w) => w.done), ...inflight]).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    // Handlers still running past the deadline are told to stop; their jobs go back to waiting
    // if they return in time, or come back when their lease ends.
    if (timedOut) abortAll('job queue stop timed out');
  }

  return {
    kind: 'dynamodb',
    async start() {
      started = true;
    },
    send,
    async work<T extends Record<string, unknown>>(
      name: JobName,
      handler: JobHandler<T>,
      workOpts: { concurrency: number },
    ) {
      if (!started) throw new Error('job queue not started');
      if (stopping) throw new Error('job queue stopped');
      const w = createWorker(name, handler as JobHandler, Math.max(1, workOpts.concurrency));
      workers.push(w);
      w.done = loop(w);
    },
    async stats() {
      const out = Object.fromEntries(
        JOB_NAMES.map((n) => [n, { queued: 0, active: 0, failed: 0 }]),
      ) as Record<JobName, QueueStats>;
      const items = await queryAll(doc, {
        TableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.jobCounts() },
        ConsistentRead: true,
      });
      const oldestDay = utcDay(Date.now() - (retentionDays - 1) * DAY_MS);
      for (const item of items) {
        const [queue, state, day] = String(item.sk).split('#');
        const s = out[queue as JobName];
        const n = Number(item.n ?? 0);
        if (!s) continue;
        if (state === 'queued') s.queued += n;
        else if (state === 'active') s.active += n;
        else if (state === 'failed' && day !== undefined && day >= oldestDay) s.failed += n;
      }
      return out;
    },
    async check(signal) {
      const res = await client.send(new DescribeTableCommand({ TableName }), { abortSignal: signal });
      const status = res.Table?.TableStatus;
      if (status !== 'ACTIVE' && status !== 'UPDATING')
        throw new Error(`DynamoDB table ${TableName} is ${status ?? 'missing'}`);
    },
    async stop({ graceful, timeoutMs }) {
      if (!started) return;
      stopped ??= doStop(graceful, timeoutMs);
      return stopped;
    },
  };
}
