import type { IncomingMessage } from 'node:http';
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

const SURROGATE = /[\uD800-\uDFFF]/;
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The path of the first string (or key) in a parsed body holding an unpaired UTF-16 surrogate, which
 * JSON can smuggle in as a "\ud800" escape. Iterative: bodies may be nested thousands deep.
 */
export function unpairedSurrogatePath(body: unknown): string | undefined {
  const stack: [unknown, string][] = [[body, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (SURROGATE.test(value) && UNPAIRED_SURROGATE.test(value)) return path || '(root)';
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push([v, path ? `${path}.${i}` : String(i)]));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const child = path ? `${path}.${k}` : k;
        if (SURROGATE.test(k) && UNPAIRED_SURROGATE.test(k)) return child;
        stack.push([v, child]);
      }
    }
  }
  return undefined;
}

/** The path of the first number in a parsed value that is not finite (Infinity from "1e309"). */
export function nonFiniteNumberPath(input: unknown): string | undefined {
  const stack: [unknown, string][] = [[input, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return path || '(root)';
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push([v, path ? `${path}.${i}` : String(i)]));
    } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      for (const [k, v] of Object.entries(value)) stack.push([v, path ? `${path}.${k}` : k]);
    }
  }
  return undefined;
}

/** How long an answered request's unread body is still read and dropped before the connection is closed. */
const UNREAD_BODY_LINGER_MS = 10_000;

/**
 * A request can be answered before its body has been read in full: an upload refused on the way (a
 * size limit, a refused type, storage down), whose handler stopped reading. Left alone, the client's
 * writes stall on a connection that nobody reads: a client that sends its whole body before reading
 * the answer never gets it, the socket stays open until the request timeout, and a graceful shutdown
 * waits for it. So, once the answer is sent, the rest of the body is read and dropped (lingering close)
 * for a bounded time, after which the connection is closed; a body that ends in time leaves the
 * connection usable for the next request.
 */
function discardUnreadBody(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  // Whatever read the body (a multipart parser) has given up on it; detached, the data flows and is dropped.
  req.unpipe();
  req.resume();
  // Destroying the request closes its connection (and works on injected requests, which have no socket).
  const timer = setTimeout(() => req.destroy(), UNREAD_BODY_LINGER_MS);
  timer.unref();
  const stop = () => clearTimeout(timer);
  req.once('end', stop);
  req.once('close', stop);
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
    app.addHook('onResponse', async (request) => discardUnreadBody(request.raw));
    // @fastify/compress inflates compressed request bodies for the body parsers, but multipart uploads are
    // read from the raw stream: a compressed upload hung until the request timeout, holding its connection.
    // Uploads are stored as sent (and PDF, DOCX and images are compressed already), so they are refused.
    app.addHook('onRequest', async (request) => {
      const encoding = request.headers['content-encoding'];
      if (encoding === undefined || encoding.trim().toLowerCase() === 'identity') return;
      if (/^\s*multipart\//i.test(request.headers['content-type'] ?? '')) {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Uploads must not use Content-Encoding; send the files as they are', {
          details: { content_encoding: encoding.slice(0, 100) },
        });
      }
    });
    // Text with an unpaired surrogate is not Unicode: PostgreSQL refuses it in jsonb (a 500 deep in a
    // store or the audit log) and other systems mangle it. Refused at the door, naming the field.
    app.addHook('preValidation', async (request) => {
      const body = request.body;
      if (body === undefined || body === null || Buffer.isBuffer(body)) return;
      const path = unpairedSurrogatePath(body);
      if (path !== undefined) {
        throw new AppError('BAD_REQUEST', 'The body holds text that is not valid Unicode (an unpaired surrogate)', {
          fieldErrors: { [path]: ['must be valid Unicode text (unpaired surrogate)'] },
        });
      }
    });
    // Ajv coerces "1e309" or "Infinity" to Infinity and then skips minimum/maximum for non-finite numbers,
    // so `limit=1e309` passed validation and reached SQL as a 500 (JSON bodies can carry 1e309 too).
    // Checked after validation, when the values have been coerced.
    app.addHook('preHandler', async (request) => {
      for (const [part, value] of [['query', request.query], ['params', request.params], ['body', request.body]] as const) {
        if (value === undefined || value === null || typeof value !== 'object') continue;
        const path = nonFiniteNumberPath(value);
        if (path === undefined) continue;
        const fieldErrors = { [part === 'body' ? path : `${part === 'params' ? 'params' : 'querystring'}.${path}`]: ['must be a finite number'] };
        if (part === 'body') throw new AppError('VALIDATION_FAILED', 'The request body is not valid', { fieldErrors });
        throw new AppError('BAD_REQUEST', `The request ${part === 'params' ? 'params' : 'querystring'} is not valid`, { fieldErrors });
      }
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
