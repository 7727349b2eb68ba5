import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { AppError } from '../lib/errors.js';
import { sendProblem } from './errors.js';
import { publicErrorResponses } from '../lib/http-schemas.js';

export type HealthCheck = (signal: AbortSignal) => Promise<void>;

export interface HealthOptions {
  checks: () => Record<string, HealthCheck>;
  timeoutMs: number;
}

/**
 * Dependencies the service keeps serving without. Every instance shares them, so failing readiness on
 * them would take every instance out of the load balancer at once, turning a partial outage into a
 * whole one: with Redis down, rate limits let requests through and caches miss (reads go to the
 * database); with blob storage down, uploads and downloads answer 503 DEPENDENCY_UNAVAILABLE and the
 * rest of the API works. Readiness then answers 200 `degraded`, naming them; the database and the
 * queue, without which nothing works, answer 503.
 */
const DEGRADABLE_CHECKS: ReadonlySet<string> = new Set(['redis', 'blob_storage']);

interface CheckResult {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

/** Runs one check with its own timeout; a hung dependency reads as down, never hangs the probe. */
async function runCheck(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error('timeout'));
        }, timeoutMs);
      }),
    ]);
    return { status: 'up', latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    const reason = (err as Error)?.message === 'timeout' ? 'timeout' : 'unavailable';
    return { status: 'down', latency_ms: Math.round(performance.now() - started), error: reason };
  } finally {
    clearTimeout(timer);
  }
}

const CheckSchema = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  latency_ms: Type.Integer({ format: 'int32', minimum: 0, maximum: 600_000 }),
  error: Type.Optional(Type.String({ maxLength: 100 })),
});

export const healthPlugin = fp(
  (app: FastifyInstance, opts: HealthOptions, done: (err?: Error) => void) => {
    app.get(
      '/health/live',
      {
        config: { skipOverload: true },
        schema: {
          summary: 'Liveness probe',
          description: 'Answers 200 while the process is up and serving. Checks no dependency.',
          tags: ['operations'],
          security: [],
          response: {
            200: Type.Object({ status: Type.Literal('ok'), uptime_seconds: Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) }, { description: 'Process is alive.' }),
            ...publicErrorResponses(),
          },
        },
      },
      async () => ({ status: 'ok' as const, uptime_seconds: Math.round(process.uptime()) }),
    );
    app.get(
      '/health/ready',
      {
        config: { skipOverload: true },
        schema: {
          summary: 'Readiness probe',
          description:
            'Checks every configured dependency (database, blob storage, queue, Redis, Bedrock) with a timeout. 200 `ready` when all are up; 200 `degraded` when only dependencies the service keeps serving without are down (Redis: rate limits let requests through and caches miss; blob storage: uploads and downloads answer 503, the rest works), naming them in `checks`; 503 listing the failing checks when any other is down.',
          tags: ['operations'],
          security: [],
          response: {
            200: Type.Object(
              {
                status: Type.Union([Type.Literal('ready'), Type.Literal('degraded')], {
                  description: 'ready: every dependency is up; degraded: only dependencies the service serves without are down.',
                }),
                checks: Type.Record(Type.String(), CheckSchema),
              },
              { description: 'The service can serve: every dependency is up, or only degradable ones are down.' },
            ),
            ...publicErrorResponses(503),
          },
        },
      },
      async (request, reply) => {
        const entries = Object.entries(opts.checks());
        const results = await Promise.all(entries.map(async ([name, check]) => [name, await runCheck(check, opts.timeoutMs)] as const));
        const checks = Object.fromEntries(results);
        const down = results.filter(([, r]) => r.status === 'down').map(([n]) => n);
        const failing = down.filter((n) => !DEGRADABLE_CHECKS.has(n));
        if (failing.length > 0) {
          request.log.warn({ failing }, 'readiness check failed');
          return sendProblem(
            request,
            reply,
            new AppError('DEPENDENCY_UNAVAILABLE', 'A dependency is unavailable', {
              details: { checks },
              headers: { 'retry-after': '5' },
            }),
          );
        }
        if (down.length > 0) {
          request.log.warn({ degraded: down }, 'readiness: serving degraded');
          return { status: 'degraded' as const, checks };
        }
        return { status: 'ready' as const, checks };
      },
    );
    done();
  },
  { name: 'health' },
);
