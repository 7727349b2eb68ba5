import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import type { AppError } from '../../../src/lib/errors.js';
import { newId } from '../../../src/lib/ids.js';
import { createTokenService } from '../../../src/modules/auth/tokens.js';

const base: Config['auth'] = {
  issuer: 'commercial-loan-service',
  audience: 'commercial-loan-api',
  accessTokenTtlSeconds: 600,
  refreshTokenTtlSeconds: 3600,
  jwt: { alg: 'HS256', kid: 'k2', secret: 'unit-secret-0123456789-abcdefghijklmn', previous: {} },
  oidc: undefined,
  bootstrapAdmin: undefined,
  defaultTenantId: 'default',
  lockoutThreshold: 5,
  lockoutSeconds: 900,
};
const USER = newId();
const claims = { userId: USER, tenantId: 'tenant-a', roles: ['analyst' as const] };

async function rejects(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e as AppError,
  );
  expect(err).toBeDefined();
  return err!;
}

describe('token service', () => {
  it('issues at+jwt access tokens with the configured claims, and verifies them', async () => {
    const tokens = createTokenService(base);
    const { token, expiresIn, jti } = await tokens.issueAccessToken(claims);
    expect(expiresIn).toBe(600);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', kid: 'k2', typ: 'at+jwt' });
    const payload = decodeJwt(token);
    expect(payload).toMatchObject({ sub: USER, tenant_id: 'tenant-a', roles: ['analyst'], iss: base.issuer, aud: base.audience, jti });
    expect(payload.exp! - payload.iat!).toBe(600);
    const principal = await tokens.verify(token);
    expect(principal).toMatchObject({ userId: USER, tenantId: 'tenant-a', roles: ['analyst'], source: 'local' });
    expect(principal.permissions.has('bookings:write')).toBe(true);
    expect(principal.permissions.has('users:manage')).toBe(false);
  });

  it('honours expiry against its clock, with a few seconds of tolerance', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const tokens = createTokenService(base, () => now);
    const { token } = await tokens.issueAccessToken(claims);
    now = new Date(now.getTime() + 603_000);
    await expect(tokens.verify(token)).resolves.toMatchObject({ userId: USER });
    now = new Date(now.getTime() + 5_000);
    const err = await rejects(tokens.verify(token));
    expect(err.code).toBe('INVALID_TOKEN');
    expect(err.headers).toEqual({ 'www-authenticate': 'Bearer error="invalid_token"' });
  });

  it('keeps accepting tokens signed with a retired key listed in previous, and no others', async () => {
    const old = createTokenService({ ...base, jwt: { alg: 'HS256', kid: 'k1', secret: 'old-secret-0123456789-abcdefghijklmno', previous: {} } });
    const { token } = await old.issueAccessToken(claims);
    const rotated = createTokenService({ ...base, jwt: { ...base.jwt, previous: { k1: 'old-secret-0123456789-abcdefghijklmno' } } });
    await expect(rotated.verify(token)).resolves.toMatchObject({ userId: USER });
    const forgotten = createTokenService(base);
    expect((await rejects(forgotten.verify(token))).code).toBe('INVALID_TOKEN');
  });

  it('makes a random per-process key when no secret is configured (development)', async () => {
    const a = createTokenService({ ...base, jwt: { alg: 'HS256', kid: 'k1', secret: null, previous: {} } });
    const b = createTokenService({ ...base, jwt: { alg: 'HS256', kid: 'k1', secret: null, previous: {} } });
    const { token } = await a.issueAccessToken(claims);
    await expect(a.verify(token)).resolves.toMatchObject({ userId: USER });
    expect((await rejects(b.verify(token))).code).toBe('INVALID_TOKEN');
  });

  it.each(['RS256', 'ES256'] as const)('signs and verifies with %s private keys, and verifies retired public keys', async (alg) => {
    const gen = () =>
      alg === 'RS256'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const current = gen();
    const retired = gen();
    const pem = (k: ReturnType<typeof gen>, part: 'privateKey' | 'publicKey') =>
      (part === 'privateKey' ? k.privateKey.export({ type: 'pkcs8', format: 'pem' }) : k.publicKey.export({ type: 'spki', format: 'pem' })) as string;
    const oldSigner = createTokenService({ ...base, jwt: { alg, kid: 'old', privateKeyPem: pem(retired, 'privateKey'), previous: {} } });
    const tokens = createTokenService({ ...base, jwt: { alg, kid: 'new', privateKeyPem: pem(current, 'privateKey'), previous: { old: pem(retired, 'publicKey') } } });
    const { token } = await tokens.issueAccessToken(claims);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: 'new' });
    await expect(tokens.verify(token)).resolves.toMatchObject({ userId: USER });
    await expect(tokens.verify((await oldSigner.issueAccessToken(claims)).token)).resolves.toMatchObject({ userId: USER });
    // An HS256 token is refused by an RS/ES deployment whatever it is signed with.
    const hs = await createTokenService(base).issueAccessToken(claims);
    expect((await rejects(tokens.verify(hs.token))).code).toBe('INVALID_TOKEN');
  });

  it('refuses oversized, non-JWT and claim-less tokens, and ignores unknown roles', async () => {
    const tokens = createTokenService(base);
    for (const bad of ['a'.repeat(9000), 'only.two', '%%%.%%%.%%%', 'a.b.c.d']) expect((await rejects(tokens.verify(bad))).code).toBe('INVALID_TOKEN');
    const { SignJWT } = await import('jose');
    const { createSecretKey } = await import('node:crypto');
    const key = createSecretKey(Buffer.from(base.jwt.alg === 'HS256' ? base.jwt.secret! : ''));
    const now = Math.floor(Date.now() / 1000);
    const sign = (payload: Record<string, unknown>, sub = USER) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'HS256', kid: 'k2', typ: 'at+jwt' })
        .setSubject(sub)
        .setIssuer(base.issuer)
        .setAudience(base.audience)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 60)
        .setJti('j')
        .sign(key);
    expect((await rejects(tokens.verify(await sign({ roles: ['admin'] })))).code).toBe('INVALID_TOKEN');
    // A subject that is not one of our user ids (a UUID) is refused here, not deep in a store.
    expect((await rejects(tokens.verify(await sign({ tenant_id: 't', roles: ['admin'] }, 'root'))))).toMatchObject({ code: 'INVALID_TOKEN' });
    const odd = await tokens.verify(await sign({ tenant_id: 't', roles: ['admin', 'root', 7] }));
    expect(odd.roles).toEqual(['admin']);
    expect((await tokens.verify(await sign({ tenant_id: 't', roles: 'admin' }))).roles).toEqual([]);
    // Without the at+jwt type (an ID token, say) it is not an access token.
    const idToken = await new SignJWT({ tenant_id: 't' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k2' })
      .setSubject(USER)
      .setIssuer(base.issuer)
      .setAudience(base.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 60)
      .setJti('j')
      .sign(key);
    expect((await rejects(tokens.verify(idToken))).code).toBe('INVALID_TOKEN');
  });

  it('makes opaque refresh tokens and stores only their hash', () => {
    const tokens = createTokenService(base);
    const a = tokens.newRefreshToken();
    const b = tokens.newRefreshToken();
    expect(a.token).toMatch(/^[\w-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens.hashRefreshToken(a.token)).toBe(a.hash);
    expect(a.hash).not.toContain(a.token);
  });
});
