import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import compress from '@fastify/compress';
import underPressure from '@fastify/under-pressure';
import { AppError } from '../lib/errors.js';
import { sendProblem } from './errors.js';

export interface HttpHygieneOptions {
  corsOrigins: string[];
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
}

/** Security headers, CORS allow-list, response compression and overload shedding. */
export const httpHygienePlugin = fp(
  async (app: FastifyInstance, opts: HttpHygieneOptions) => {
    await app.register(helmet, {
      // The API answers JSON; the docs page relaxes this for itself (see openapi.ts).
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
      },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      hsts: { maxAge: 31_536_000, includeSubDomains: true },
      referrerPolicy: { policy: 'no-referrer' },
    });
    const origins = opts.corsOrigins;
    await app.register(cors, {
      // No allow-list: no cross-origin access at all. "*" (development only) never sends credentials.
      origin: origins.length === 0 ? false : origins.includes('*') ? '*' : origins,
      credentials: origins.length > 0 && !origins.includes('*'),
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'if-match', 'if-none-match', 'idempotency-key', 'x-request-id', 'range'],
      exposedHeaders: ['etag', 'location', 'x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'content-disposition'],
      maxAge: 600,
    });
    await app.register(compress, {
      global: true,
      threshold: 1024,
      encodings: ['br', 'gzip', 'deflate'],
      // Brotli's default quality is tuned for static assets; 4 keeps API latency low.
      brotliOptions: { params: { 1: 4 } },
    });
    if (opts.maxEventLoopDelayMs > 0 || opts.maxHeapUsedBytes > 0) {
      await app.register(underPressure, {
        maxEventLoopDelay: opts.maxEventLoopDelayMs,
        maxHeapUsedBytes: opts.maxHeapUsedBytes,
        pressureHandler: (request, reply) => {
          const cfg = request.routeOptions.config as { skipOverload?: boolean } | undefined;
          if (cfg?.skipOverload) return;
          sendProblem(
            request,
            reply,
            new AppError('SERVICE_UNAVAILABLE', 'The service is overloaded; retry shortly', {
              headers: { 'retry-after': '5' },
              details: { retry_after_seconds: 5 },
            }),
          );
        },
      });
    }
  },
  { name: 'http-hygiene' },
);
