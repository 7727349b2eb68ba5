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
            'Checks every configured dependency (database, blob storage, queue, Redis, Bedrock) with a timeout. 200 when all are up; 503 listing the failing checks otherwise.',
          tags: ['operations'],
          security: [],
          response: {
            200: Type.Object(
              { status: Type.Literal('ready'), checks: Type.Record(Type.String(), CheckSchema) },
              { description: 'Every dependency is up.' },
            ),
            ...publicErrorResponses(503),
          },
        },
      },
      async (request, reply) => {
        const entries = Object.entries(opts.checks());
        const results = await Promise.all(entries.map(async ([name, check]) => [name, await runCheck(check, opts.timeoutMs)] as const));
        const checks = Object.fromEntries(results);
        const failing = results.filter(([, r]) => r.status === 'down').map(([n]) => n);
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
        return { status: 'ready' as const, checks };
      },
    );
    done();
  },
  { name: 'health' },
);
