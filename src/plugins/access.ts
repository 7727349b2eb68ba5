import type { FastifyInstance, FastifyRequest, FastifyReply, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { AppError } from '../lib/errors.js';
import { requestMeta } from '../lib/request-meta.js';
import type { Principal } from '../modules/auth/roles.js';
import { ROUTE_RULES, ROUTE_BUCKETS, routeKey, type RouteRule, type RateBucket } from '../modules/auth/permissions.js';
import type { AuthService } from '../modules/auth/auth.service.js';
import type { AuditService } from '../modules/audit/audit.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    skipOverload?: boolean;
  }
}

export interface AccessOptions {
  auth: AuthService;
  audit: AuditService;
  redis: Redis | undefined;
  limits: { perMinute: number; loginPerMinute: number; uploadPerMinute: number; extractionPerMinute: number };
}

interface LimitResult {
  isAllowed: boolean;
  max?: number;
  remaining?: number;
  ttlInSeconds?: number;
  isExceeded?: boolean;
}
type Limiter = (req: FastifyRequest) => Promise<LimitResult>;

const UNAUTHENTICATED = () =>
  new AppError('UNAUTHENTICATED', 'A bearer token is required', { headers: { 'www-authenticate': 'Bearer realm="commercial-loan-service"' } });

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  return match?.[1];
}

function applyHeaders(reply: FastifyReply, r: LimitResult): void {
  if (r.max === undefined) return;
  reply.header('ratelimit-limit', String(r.max));
  reply.header('ratelimit-remaining', String(r.remaining ?? 0));
  reply.header('ratelimit-reset', String(r.ttlInSeconds ?? 0));
}

function exceeded(r: LimitResult, what: string): AppError {
  const retry = Math.max(1, r.ttlInSeconds ?? 60);
  return new AppError('RATE_LIMITED', `Too many ${what}; retry in ${retry} s`, {
    headers: { 'retry-after': String(retry) },
    details: { retry_after_seconds: retry },
  });
}

/**
 * Authentication, authorisation and rate limiting for every /api/v1 route, attached per route from
 * the access-rule table. Order: per-IP limit, token check, permission check, per-user limit, then the
 * route's stricter bucket. Limits live in Redis when configured (shared by all instances), else in
 * process; a Redis outage lets requests through rather than taking the API down (skipOnError).
 */
export const accessPlugin = fp(
  async (app: FastifyInstance, opts: AccessOptions) => {
    app.decorateRequest('principal', undefined);
    await app.register(rateLimit, {
      global: false,
      ...(opts.redis ? { redis: opts.redis } : {}),
      nameSpace: 'cls-rl:',
      skipOnError: true,
      timeWindow: 60_000,
      max: opts.limits.perMinute,
    });
    type CreateRateLimit = (o: { max: number; timeWindow: number; keyGenerator: (r: FastifyRequest) => string }) => Limiter;
    const create = (app as unknown as { createRateLimit: CreateRateLimit }).createRateLimit;
    const minute = 60_000;
    // Anonymous traffic per IP gets the same budget as a user; the IP bucket for signed-in users is
    // wider (several users behind one office proxy).
    const ipLimiter = create({ max: opts.limits.perMinute * 4, timeWindow: minute, keyGenerator: (r) => `ip:${r.ip}` });
    const userLimiter = create({
      max: opts.limits.perMinute,
      timeWindow: minute,
      keyGenerator: (r) => `user:${r.principal!.tenantId}:${r.principal!.userId}`,
    });
    const buckets: Record<RateBucket, Limiter> = {
      login: create({ max: opts.limits.loginPerMinute, timeWindow: minute, keyGenerator: (r) => `login:${r.ip}` }),
      upload: create({ max: opts.limits.uploadPerMinute, timeWindow: minute, keyGenerator: (r) => `upload:${r.principal?.userId ?? r.ip}` }),
      extraction: create({
        max: opts.limits.extractionPerMinute,
        timeWindow: minute,
        keyGenerator: (r) => `extraction:${r.principal?.userId ?? r.ip}`,
      }),
    };

    function bucketFor(key: string, request: FastifyRequest): RateBucket | undefined {
      if (key === 'POST /api/v1/loan-bookings' && (request.headers['content-type'] ?? '').startsWith('multipart/')) return 'upload';
      return ROUTE_BUCKETS[key];
    }

    function guard(key: string, rule: RouteRule | undefined): onRequestAsyncHookHandler {
      return async function accessGuard(request, reply) {
        const ip = await ipLimiter(request);
        if (!ip.isAllowed && ip.isExceeded) throw exceeded(ip, 'requests from this address');
        let general = ip;
        if (rule === undefined) {
          // Fail closed: a route without an access rule is a bug, never an open door.
          request.log.error({ route: key }, 'route has no access rule');
          throw new AppError('FORBIDDEN', 'This operation is not available');
        }
        if (rule !== 'public') {
          const token = bearerToken(request);
          if (!token) throw UNAUTHENTICATED();
          request.principal = await opts.auth.authenticate(token);
          if (rule !== 'authenticated' && !request.principal.permissions.has(rule)) {
            await opts.audit.record(requestMeta(request), {
              action: 'access.denied',
              outcome: 'denied',
              details: { route: key, permission: rule },
            });
            throw new AppError('FORBIDDEN', 'Your role does not allow this operation');
          }
          const user = await userLimiter(request);
          if (!user.isAllowed && user.isExceeded) throw exceeded(user, 'requests');
          general = user;
        }
        const bucket = bucketFor(key, request);
        if (bucket) {
          const r = await buckets[bucket](request);
          if (!r.isAllowed && r.isExceeded) {
            applyHeaders(reply, r);
            throw exceeded(r, bucket === 'login' ? 'sign-in attempts' : `${bucket} requests`);
          }
          applyHeaders(reply, r);
          return;
        }
        applyHeaders(reply, general);
      };
    }

    app.addHook('onRoute', (route) => {
      if (!route.url.startsWith('/api/')) return;
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        if (method === 'HEAD') continue;
        const key = routeKey(method, route.url);
        const hook = guard(key, ROUTE_RULES[key]);
        const existing = route.onRequest;
        route.onRequest = existing === undefined ? [hook] : Array.isArray(existing) ? [hook, ...existing] : [hook, existing];
        route.config = { ...(route.config ?? {}), accessRule: ROUTE_RULES[key] ?? null } as typeof route.config;
      }
    });
  },
  { name: 'access' },
);
