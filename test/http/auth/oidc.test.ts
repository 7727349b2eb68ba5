import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createSecretKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

// Some tests here start extra app instances (an embedded database each): slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

/**
 * An external OpenID Connect provider (Cognito, Okta, Entra): a JWKS served over HTTP from
 * 127.0.0.1 with a key made here, and tokens signed with it carrying roles and a tenant in the
 * claims the deployment names.
 */
const ISSUER = 'https://idp.bank.example/realms/lending';
const AUDIENCE = 'loan-console';

let jwks: Server;
let keys: JWK[] = [];
let privateKey: CryptoKey;
let publicKey: CryptoKey;
let t: TestApp;

beforeAll(async () => {
  ({ privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true }));
  keys = [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' }];
  jwks = createServer((req, res) => {
    if (req.url !== '/protocol/openid-connect/certs') {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const { port } = jwks.address() as AddressInfo;
  t = await createTestApp({
    env: {
      OIDC_JWKS_URL: `http://127.0.0.1:${port}/protocol/openid-connect/certs`,
      OIDC_ISSUER: ISSUER,
      OIDC_AUDIENCE: AUDIENCE,
      OIDC_ROLES_CLAIM: 'realm_access.roles',
      OIDC_TENANT_CLAIM: 'org',
    },
  });
});
afterAll(async () => {
  await t.close();
  await new Promise<void>((resolve) => jwks.close(() => resolve()));
});

interface ExternalClaims {
  sub?: string;
  roles?: unknown;
  org?: unknown;
  iss?: string;
  aud?: string;
  exp?: number;
  kid?: string;
  key?: CryptoKey;
}

async function external(c: ExternalClaims = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ realm_access: { roles: 'roles' in c ? c.roles : ['analyst'] }, ...('org' in c ? { org: c.org } : { org: 'acme-bank' }) })
    .setProtectedHeader({ alg: 'RS256', kid: c.kid ?? 'idp-1', typ: 'JWT' })
    .setSubject(c.sub ?? 'f3c1e2d4-user')
    .setIssuer(c.iss ?? ISSUER)
    .setAudience(c.aud ?? AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(c.exp ?? now + 300)
    .sign(c.key ?? privateKey);
}

const me = (token: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });

describe('external (OIDC) tokens', () => {
  it('are accepted with roles and tenant from the configured claims', async () => {
    const res = await me(await external({ sub: 'alice', roles: ['analyst', 'viewer'], org: 'acme-bank' }));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: 'oidc:alice', tenant_id: 'acme-bank', roles: ['analyst', 'viewer'], active: true });
  });

  it('act in their tenant with their roles', async () => {
    const token = await external({ sub: 'bob', roles: ['analyst'], org: 'bob-bank' });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/loan-bookings',
      headers: { authorization: `Bearer ${token}` },
      payload: { customer_name: 'Federated Borrower Inc.', product_id: 'term-loans' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().created_by).toBe('oidc:bob');
    const local = await t.auth('admin', 'bob-bank');
    const seen = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${created.json().id}`, headers: { authorization: local.authorization } });
    expect(seen.statusCode).toBe(200);
    const elsewhere = await t.auth('admin', 'acme-bank');
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${created.json().id}`, headers: { authorization: elsewhere.authorization } })).statusCode).toBe(404);
    // Roles come from the token: an analyst may not manage users.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(403);
  });

  it('read roles from a space-separated claim and ignore unknown roles', async () => {
    expect((await me(await external({ roles: 'viewer approver' }))).json().roles).toEqual(['viewer', 'approver']);
    const unknownOnly = await external({ roles: ['superuser', 'root'] });
    expect((await me(unknownOnly)).json().roles).toEqual([]);
    const products = await t.app.inject({ method: 'GET', url: '/api/v1/products', headers: { authorization: `Bearer ${unknownOnly}` } });
    expect(products.statusCode).toBe(403);
    expect((await me(await external({ roles: undefined }))).json().roles).toEqual([]);
  });

  it('fall back to the default tenant when the tenant claim is missing or malformed', async () => {
    expect((await me(await external({ org: undefined }))).json().tenant_id).toBe('default');
    expect((await me(await external({ org: 'Not A Tenant!' }))).json().tenant_id).toBe('default');
    expect((await me(await external({ org: 42 }))).json().tenant_id).toBe('default');
  });

  it('are refused when expired, for another audience, from another issuer or signed by an unknown key', async () => {
    const stranger = await generateKeyPair('RS256');
    const cases: [string, string][] = [
      ['expired', await external({ exp: Math.floor(Date.now() / 1000) - 120 })],
      ['audience', await external({ aud: 'another-app' })],
      ['issuer', await external({ iss: 'https://evil.example/realms/lending' })],
      ['foreign key, known kid', await external({ key: stranger.privateKey })],
    ];
    for (const [what, token] of cases) {
      const res = await me(token);
      expect(res.statusCode, what).toBe(401);
      expect(res.json().error_code, what).toBe('INVALID_TOKEN');
    }
  });

  it('cannot use the provider\'s public key as an HMAC secret (algorithm confusion)', async () => {
    const pem = await exportSPKI(publicKey);
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ realm_access: { roles: ['admin'] }, org: 'acme-bank' })
      .setProtectedHeader({ alg: 'HS256', kid: 'idp-1' })
      .setSubject('mallory')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(createSecretKey(Buffer.from(pem)));
    expect((await me(forged)).statusCode).toBe(401);
  });

  it('cannot change a password here (the provider owns it)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { authorization: `Bearer ${await external()}` },
      payload: { current_password: 'whatever-it-is', new_password: 'Some-New-Pass-123' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error_code).toBe('FORBIDDEN');
  });

  it('coexist with local tokens', async () => {
    const local = await t.auth('viewer', 'acme-bank');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: local.authorization } })).json()).toMatchObject({
      id: local.userId,
      tenant_id: 'acme-bank',
    });
  });

  it('answers 401, not 500, when the provider\'s JWKS cannot be fetched', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const offline = await createTestApp({
      database: t.database,
      env: { OIDC_JWKS_URL: `http://127.0.0.1:${port}/certs`, OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: AUDIENCE },
    });
    try {
      const res = await offline.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${await external()}` } });
      expect(res.statusCode).toBe(401);
      expect(res.json().error_code).toBe('INVALID_TOKEN');
    } finally {
      await offline.close();
    }
  });
});
