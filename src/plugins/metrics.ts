import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Registry, Counter, Histogram, collectDefaultMetrics } from 'prom-client';
import { Type } from 'typebox';
import { publicErrorResponses } from '../lib/http-schemas.js';

export interface MetricsOptions {
  registry: Registry;
  enabled: boolean;
}

/** Creates the registry an app's metrics live in; one per app so tests never share counters. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}

export const metricsPlugin = fp(
  (app: FastifyInstance, opts: MetricsOptions, done: (err?: Error) => void) => {
    const { registry } = opts;
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route template and status.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method, route template and status.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    app.addHook('onResponse', (request, reply, next) => {
      // The route template, never the raw path: raw paths carry ids and would explode cardinality.
      const route = request.routeOptions.url ?? 'unmatched';
      const labels = { method: request.method, route, status: String(reply.statusCode) };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
      next();
    });
    if (opts.enabled) {
      app.get(
        '/metrics',
        {
          // Scrapes must keep working while the service sheds load: that is when they matter most.
          config: { skipOverload: true },
          schema: {
            summary: 'Prometheus metrics',
            description: 'Process, event-loop, HTTP and business metrics in the Prometheus text format.',
            tags: ['operations'],
            security: [],
            response: {
              200: Type.String({ description: 'Prometheus text exposition format.', maxLength: 10_000_000 }),
              ...publicErrorResponses(),
            },
          },
        },
        async (_request, reply) => {
          const text = await registry.metrics();
          return reply.type(registry.contentType).send(text);
        },
      );
    }
    done();
  },
  { name: 'metrics' },
);
