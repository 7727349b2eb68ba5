import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { newId } from '../lib/ids.js';

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Accepts a well-formed incoming X-Request-ID (so a trace crosses services), else makes one. */
export function genRequestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  if (typeof incoming === 'string' && INCOMING_ID.test(incoming)) return incoming;
  return newId();
}

/** Echoes the request id and writes one structured line per request, with the route template. */
export const requestContextPlugin = fp(
  (app: FastifyInstance, _opts: object, done: (err?: Error) => void) => {
    app.addHook('onRequest', (request, reply, next) => {
      reply.header('x-request-id', request.id);
      next();
    });
    app.addHook('onResponse', (request, reply, next) => {
      const principal = request.principal;
      request.log.info(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: reply.statusCode,
          latency_ms: Math.round(reply.elapsedTime * 100) / 100,
          ...(principal ? { user_id: principal.userId, tenant_id: principal.tenantId } : {}),
        },
        'request completed',
      );
      next();
    });
    done();
  },
  { name: 'request-context' },
);
