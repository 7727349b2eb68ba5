import { SignJWT } from 'jose';
import { createSecretKey } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { ROUTE_RULES } from '../../src/modules/auth/permissions.js';
import { ROLES, ROLE_PERMISSIONS, type Role } from '../../src/modules/auth/roles.js';
import { captureLogs, createTestApp, TEST_JWT_SECRET } from '../helpers/app.js';
import { servedRoutes } from './platform/route-tree.js';

/**
 * The shared auth suite: every operation of the OpenAPI document, whatever module it comes from,
 * is refused without a valid token (missing, malformed, forged, "none", expired, wrong audience or
 * issuer) and with a role that lacks its permission, and a correct token gets past the guard.
 */
interface Operation {
  security?: unknown[];
  parameters?: { in: string; name: string }[];
}
type Doc = { paths: Record<string, Record<string, Operation>> };

const logs = captureLogs();
const t = await createTestApp({
  env: { LOG_LEVEL: 'info' },
  build: {
    logStream: logs.stream,
    beforeReady(app) {
      // A route the rule table does not know: it must be closed to everyone, admins included.
      app.get('/api/v1/test/unruled', { schema: { hide: true } }, async () => ({ open: true }));
    },
  },
});
afterAll(async () => t.close());

const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<Doc>();
const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
  Object.entries(byMethod).map(([method, op]) => ({ method: method.toUpperCase(), path, template: path.replace(/\{(\w+)\}/g, ':$1'), op })),
);
const apiOps = ops.filter((o) => o.path.startsWith('/api/v1/'));
const protectedOps = apiOps.filter((o) => ROUTE_RULES[`${o.method} ${o.template}`] !== 'public');

const ADMIN = await t.tokenFor('admin');
const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await t.tokenFor(r)] as const))) as unknown as Record<Role, { token: string }>;
const noRole = await t.tokenFor([]);

/** Path parameters become fresh random ids: the guard must decide before anything is looked up. */
function concrete(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => (path.startsWith('/api/v1/products/') ? 'term-loans' : name === 'name' ? 'credit_agreement' : newId()));
}

const key = createSecretKey(Buffer.from(TEST_JWT_SECRET));
async function forge(opts: { secret?: string; aud?: string; iss?: string; exp?: number; kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant_id: 'tenant-a', roles: ['admin'] })
    .setProtectedHeader({ alg: 'HS256', kid: opts.kid ?? 'k1', typ: 'at+jwt' })
    .setSubject(ADMIN.userId)
    .setIssuer(opts.iss ?? 'commercial-loan-service')
    .setAudience(opts.aud ?? 'commercial-loan-api')
    .setIssuedAt(now - 3600)
    .setNotBefore(now - 3600)
    .setExpirationTime(opts.exp ?? now + 600)
    .setJti(newId())
    .sign(opts.secret ? createSecretKey(Buffer.from(opts.secret)) : key);
}

function unsigned(): string {
  const now = Math.floor(Date.now() / 1000);
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const payload = { sub: ADMIN.userId, tenant_id: 'tenant-a', roles: ['admin'], iss: 'commercial-loan-service', aud: 'commercial-loan-api', iat: now, nbf: now, exp: now + 600, jti: newId() };
  return `${enc({ alg: 'none', typ: 'at+jwt', kid: 'k1' })}.${enc(payload)}.`;
}

const now = Math.floor(Date.now() / 1000);
const GOOD_FORGED = await forge();
const BAD_TOKENS: [string, string][] = [
  ['malformed', 'Bearer not-a-jwt'],
  ['three garbage segments', 'Bearer aaa.bbb.ccc'],
  ['signed with another secret', `Bearer ${await forge({ secret: 'another-secret-0123456789-abcdefghijkl' })}`],
  ['alg none', `Bearer ${unsigned()}`],
  ['expired', `Bearer ${await forge({ exp: now - 120 })}`],
  ['wrong audience', `Bearer ${await forge({ aud: 'some-other-api' })}`],
  ['wrong issuer', `Bearer ${await forge({ iss: 'https://evil.example' })}`],
  ['unknown key id', `Bearer ${await forge({ kid: 'k9' })}`],
];

async function call(method: string, path: string, authorization?: string) {
  const body = ['POST', 'PUT', 'PATCH'].includes(method) ? { payload: {} } : {};
  return t.app.inject({ method: method as 'GET', url: concrete(path), headers: authorization ? { authorization } : {}, ...body });
}

describe('access rules table', () => {
  it('has a rule for every /api/v1 route the app serves, and the OpenAPI document shows every one', () => {
    const served = servedRoutes(t.app).filter((r) => r.split(' ')[1]!.startsWith('/api/v1/') && r !== 'GET /api/v1/test/unruled');
    expect(served.length).toBeGreaterThanOrEqual(apiOps.length);
    const missing = served.filter((r) => ROUTE_RULES[r] === undefined);
    expect(missing).toEqual([]);
    const documented = new Set(apiOps.map((o) => `${o.method} ${o.template}`));
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
  });

  it('documents public operations as needing no security, and protected ones as needing a token', () => {
    for (const o of apiOps) {
      const isPublic = ROUTE_RULES[`${o.method} ${o.template}`] === 'public';
      expect(Array.isArray(o.op.security) && o.op.security.length === 0, `${o.method} ${o.path}`).toBe(isPublic);
    }
  });

  it('closes a route without a rule to everyone, admins included, and logs it', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/test/unruled', headers: { authorization: `Bearer ${ADMIN.token}` } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error_code).toBe('FORBIDDEN');
    expect(logs.lines().some((l) => l.msg === 'route has no access rule' && l.route === 'GET /api/v1/test/unruled')).toBe(true);
  });
});

describe.each(protectedOps.map((o) => [`${o.method} ${o.path}`, o] as const))('%s', (_name, o) => {
  const rule = ROUTE_RULES[`${o.method} ${o.template}`]!;

  it('answers 401 with WWW-Authenticate without a token, or with a non-bearer scheme', async () => {
    for (const authorization of [undefined, 'Basic YWRtaW46YWRtaW4=', 'Bearer', 'Bearer ']) {
      const res = await call(o.method, o.path, authorization);
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="commercial-loan-service"');
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.json().error_code).toBe('UNAUTHENTICATED');
    }
  });

  it('answers 401 invalid_token to malformed, forged, unsigned, expired, wrong-audience and wrong-issuer tokens', async () => {
    // Control: the same forging with the right key, audience, issuer and expiry gets through, so
    // each refusal below is about the one thing that differs.
    const control = await call(o.method, o.path, `Bearer ${GOOD_FORGED}`);
    expect([401, 403], control.body).not.toContain(control.statusCode);
    for (const [what, authorization] of BAD_TOKENS) {
      const res = await call(o.method, o.path, authorization);
      expect(res.statusCode, what).toBe(401);
      expect(res.headers['www-authenticate'], what).toBe('Bearer error="invalid_token"');
      expect(res.json().error_code, what).toBe('INVALID_TOKEN');
    }
  });

  it(rule === 'authenticated' ? 'needs only a valid token: even a user with no role passes' : 'answers 403 to roles without the permission', async () => {
    if (rule === 'authenticated') {
      const res = await call(o.method, o.path, `Bearer ${noRole.token}`);
      expect([401, 403], res.body).not.toContain(res.statusCode);
      return;
    }
    const lacking = ROLES.filter((r) => !(ROLE_PERMISSIONS[r] as readonly string[]).includes(rule));
    for (const [who, token] of [...lacking.map((r) => [r, tokens[r].token] as const), ['no role', noRole.token] as const]) {
      const res = await call(o.method, o.path, `Bearer ${token}`);
      expect(res.statusCode, who).toBe(403);
      expect(res.json().error_code, who).toBe('FORBIDDEN');
    }
  });

  it('lets every role with the permission past the guard', async () => {
    const allowed = rule === 'authenticated' ? [...ROLES] : ROLES.filter((r) => (ROLE_PERMISSIONS[r] as readonly string[]).includes(rule));
    expect(allowed.length).toBeGreaterThan(0);
    for (const r of allowed) {
      const res = await call(o.method, o.path, `Bearer ${tokens[r].token}`);
      expect([401, 403], `${r}: ${res.body}`).not.toContain(res.statusCode);
    }
  });
});

describe('public operations', () => {
  it.each(apiOps.filter((o) => ROUTE_RULES[`${o.method} ${o.template}`] === 'public').map((o) => [`${o.method} ${o.path}`, o] as const))(
    '%s needs no token',
    async (_name, o) => {
      const res = await call(o.method, o.path);
      expect([401, 403]).not.toContain(res.statusCode);
    },
  );
});

describe('other tenants\' loan bookings', () => {
  it('are invisible: 404 on get, update, delete and sync status; absent from lists', async () => {
    const owner = await t.auth('analyst', 'tenant-a');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/loan-bookings',
      headers: { authorization: owner.authorization },
      payload: { customer_name: 'Tenant A Holdings', product_id: 'term-loans' },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const url = `/api/v1/loan-bookings/${id}`;

    for (const role of ['analyst', 'admin'] as const) {
      const other = await t.auth(role, 'tenant-b');
      const h = { authorization: other.authorization };
      const attempts = [
        await t.app.inject({ method: 'GET', url, headers: h }),
        await t.app.inject({ method: 'PATCH', url, headers: { ...h, 'if-match': '"v1"' }, payload: { notes: 'mine now' } }),
        await t.app.inject({ method: 'PATCH', url, headers: { ...h, 'if-match': '*' }, payload: { status: 'cancelled' } }),
        await t.app.inject({ method: 'DELETE', url, headers: h }),
        await t.app.inject({ method: 'DELETE', url, headers: { ...h, 'if-match': '"v1"' } }),
        await t.app.inject({ method: 'GET', url: `${url}/sync-status`, headers: h }),
      ];
      if (role === 'admin') attempts.push(await t.app.inject({ method: 'PUT', url: `${url}/sync-status`, headers: h, payload: { state: 'failed', error: 'x' } }));
      for (const res of attempts) {
        expect(res.statusCode, `${role} ${res.raw.req.method}: ${res.body}`).toBe(404);
        expect(res.json().error_code).toBe('LOAN_BOOKING_NOT_FOUND');
      }
      const ids = (res: { json: <T>() => T }) => res.json<{ items: { id: string }[] }>().items.map((b) => b.id);
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/loan-bookings?limit=100', headers: h });
      expect(ids(list)).not.toContain(id);
      if (role === 'admin') {
        const deleted = await t.app.inject({ method: 'GET', url: '/api/v1/loan-bookings?deleted=true', headers: h });
        expect(ids(deleted)).not.toContain(id);
      }
      const byProduct = await t.app.inject({ method: 'GET', url: '/api/v1/products/term-loans/loan-bookings', headers: h });
      expect(ids(byProduct)).not.toContain(id);
      expect(byProduct.json().total).toBe(0);
    }

    // Untouched by all of the above.
    const mine = await t.app.inject({ method: 'GET', url, headers: { authorization: owner.authorization } });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ version: 1, notes: null, status: 'draft', deleted_at: null, sync_status: { state: 'not_started' } });
  });
});
