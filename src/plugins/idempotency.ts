import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler, onSendHookHandler, onResponseHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../lib/errors.js';
import { errorResponses } from '../lib/http-schemas.js';
import type { Clock } from '../lib/clock.js';
import type { IdempotencyStore, IdempotencyScope } from '../modules/idempotency/idempotency.store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** POST routes that honour the Idempotency-Key header. */
    idempotent?: boolean;
  }
}

export interface IdempotencyOptions {
  store: IdempotencyStore;
  clock: Clock;
  ttlMs: number;
  leaseMs: number;
}

const KEY_RE = /^[\x21-\x7e]{1,255}$/;
const REPLAYED_HEADERS = ['content-type', 'location', 'etag'];

const scopeKey = Symbol('idempotencyScope');
type WithScope = FastifyRequest & { [scopeKey]?: { scope: IdempotencyScope; settled: boolean } };

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
    .join(',')}}`;
}

/** What makes two requests "the same": route, path parameters and body (multipart: its size). */
function fingerprint(request: FastifyRequest): string {
  const h = createHash('sha256');
  h.update(`${request.method} ${request.routeOptions.url ?? ''}\n${canonical(request.params)}\n`);
  if ((request.headers['content-type'] ?? '').startsWith('multipart/')) h.update(`multipart:${request.headers['content-length'] ?? 'chunked'}`);
  else h.update(canonical(request.body ?? null));
  return h.digest('hex');
}

/**
 * Idempotency-Key for retried POSTs: the same key and body replays the first response; the same
 * key with another body is 422; a retry while the first is still running is 409. Keys are scoped to
 * the caller (tenant + user). Responses of 5xx are not kept, so the client can retry.
 */
export const idempotencyPlugin = fp(
  (app: FastifyInstance, opts: IdempotencyOptions, done: (err?: Error) => void) => {
    const preHandler: preHandlerAsyncHookHandler = async function (request, reply) {
      const raw = request.headers['idempotency-key'];
      if (raw === undefined) return;
      if (typeof raw !== 'string' || !KEY_RE.test(raw)) {
        throw new AppError('INVALID_HEADER', 'Idempotency-Key must be 1-255 visible ASCII characters', {
          fieldErrors: { 'headers.idempotency-key': ['must be 1-255 visible ASCII characters'] },
        });
      }
      const principal = request.principal;
      if (!principal) return;
      const scope: IdempotencyScope = { tenantId: principal.tenantId, principalId: principal.userId, key: raw };
      const result = await opts.store.begin(scope, fingerprint(request), opts.clock.now(), opts.ttlMs, opts.leaseMs);
      switch (result.kind) {
        case 'started':
          (request as WithScope)[scopeKey] = { scope, settled: false };
          return;
        case 'mismatch':
          throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request');
        case 'in_progress':
          throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed', {
            headers: { 'retry-after': '1' },
          });
        case 'replay': {
          const r = result.response;
          for (const [k, v] of Object.entries(r.headers)) reply.header(k, v);
          reply.header('idempotency-replayed', 'true');
          // The stored body is the serialised original: send it as is, not re-serialised.
          await reply.code(r.status).serializer((p: unknown) => p as string).send(r.body);
          return reply;
        }
      }
    };

    const onSend: onSendHookHandler = async function (request, reply, payload) {
      const state = (request as WithScope)[scopeKey];
      if (!state || state.settled) return payload;
      state.settled = true;
      if (reply.statusCode >= 500 || typeof payload !== 'string') {
        await release(request, state.scope);
        return payload;
      }
      const headers: Record<string, string> = {};
      for (const h of REPLAYED_HEADERS) {
        const v = reply.getHeader(h);
        if (typeof v === 'string') headers[h] = v;
      }
      try {
        await opts.store.complete(state.scope, { status: reply.statusCode, headers, body: payload });
      } catch (err) {
        // The operation is done and its writes are committed: this answer must say so. Thrown from
        // here, the error replaced a 201 with a 5xx (the database went down between the write and
        // this record), and the client, told it failed, retried a write that had happened. Without
        // the record the key stays claimed until its lease ends, then a retry runs again.
        request.log.warn({ err }, 'idempotency: the response could not be recorded for replay');
      }
      return payload;
    };

    /** Frees the key for a retry. If the store cannot (it is down), the lease frees it later. */
    async function release(request: FastifyRequest, scope: IdempotencyScope): Promise<void> {
      try {
        await opts.store.abandon(scope);
      } catch (err) {
        request.log.warn({ err }, 'idempotency: the claim could not be released; it lapses with its lease');
      }
    }

    // A request that ended without a response (client gone, crash in a stream) releases its claim.
    const onResponse: onResponseHookHandler = async function (request) {
      const state = (request as WithScope)[scopeKey];
      if (state && !state.settled) {
        state.settled = true;
        await release(request, state.scope);
      }
    };

    app.addHook('onRoute', (route) => {
      if (!route.config?.idempotent) return;
      const add = <T>(existing: T | T[] | undefined, hook: T): T[] =>
        existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook];
      route.preHandler = add(route.preHandler, preHandler);
      route.onSend = add(route.onSend, onSend);
      route.onResponse = add(route.onResponse, onResponse);
      // Any idempotent route can answer a duplicate in flight (409) or a reused key (422): its schema says so.
      const response = route.schema?.response as Record<string, unknown> | undefined;
      if (response) {
        for (const [status, schema] of Object.entries(errorResponses(409, 422))) {
          if ((status === '409' || status === '422') && !(status in response)) response[status] = schema;
        }
      }
    });
    done();
  },
  { name: 'idempotency' },
);
