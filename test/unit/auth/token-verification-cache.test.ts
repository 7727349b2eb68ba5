/**
 * The token service remembers tokens it verified (a benchmark found JWT verification to be a quarter
 * of the CPU of an authenticated GET). Remembering must not change a single verdict: a remembered
 * token still expires on time, is not valid before nbf, and a changed byte is a different token.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import { newId } from '../../../src/lib/ids.js';
import { createTokenService } from '../../../src/modules/auth/tokens.js';

const base: Config['auth'] = {
  issuer: 'commercial-loan-service',
  audience: 'commercial-loan-api',
  accessTokenTtlSeconds: 600,
  refreshTokenTtlSeconds: 3600,
  jwt: { alg: 'HS256', kid: 'k1', secret: 'cache-secret-0123456789-abcdefghijklmn', previous: {} },
  oidc: undefined,
  bootstrapAdmin: undefined,
  defaultTenantId: 'default',
  lockoutThreshold: 5,
  lockoutSeconds: 900,
};
const claims = { userId: newId(), tenantId: 'tenant-a', roles: ['viewer' as const] };

function clock(start = Date.now()) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: { code?: string }) => e.code,
  );

describe('verified-token memory', () => {
  it('answers the same principal for the same token, checked again on every use', async () => {
    const c = clock();
    const tokens = createTokenService(base, c.now);
    const { token } = await tokens.issueAccessToken(claims);
    const first = await tokens.verify(token);
    const second = await tokens.verify(token);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ userId: claims.userId, tenantId: 'tenant-a', roles: ['viewer'] });
  });

  it('still refuses a remembered token once it has expired (after the clock tolerance)', async () => {
    const c = clock();
    const tokens = createTokenService(base, c.now);
    const { token } = await tokens.issueAccessToken(claims);
    expect(await code(tokens.verify(token))).toBe('accepted');
    c.advance(600_000 + 4_000);
    expect(await code(tokens.verify(token))).toBe('accepted');
    c.advance(2_000);
    expect(await code(tokens.verify(token))).toBe('INVALID_TOKEN');
  });

  it('refuses a remembered token before its nbf when the clock goes back', async () => {
    const c = clock();
    const tokens = createTokenService(base, c.now);
    const { token } = await tokens.issueAccessToken(claims);
    expect(await code(tokens.verify(token))).toBe('accepted');
    c.advance(-60_000);
    expect(await code(tokens.verify(token))).toBe('INVALID_TOKEN');
  });

  it('does not accept a token that differs from a remembered one in its signature or payload', async () => {
    const tokens = createTokenService(base);
    const { token } = await tokens.issueAccessToken(claims);
    await tokens.verify(token);
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(await code(tokens.verify(flipped))).toBe('INVALID_TOKEN');
    const otherPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), roles: ['admin'] })).toString('base64url');
    expect(await code(tokens.verify(`${h}.${otherPayload}.${s}`))).toBe('INVALID_TOKEN');
  });

  it('never shares what it remembers between services with different keys', async () => {
    const a = createTokenService(base);
    const b = createTokenService({ ...base, jwt: { alg: 'HS256', kid: base.jwt.kid, previous: {}, secret: 'other-secret-0123456789-abcdefghijklmn' } });
    const { token } = await a.issueAccessToken(claims);
    expect(await code(a.verify(token))).toBe('accepted');
    expect(await code(b.verify(token))).toBe('INVALID_TOKEN');
  });

  it('verifies ES256 tokens with the imported public key, repeatedly', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const tokens = createTokenService({ ...base, jwt: { alg: 'ES256', kid: 'ec1', privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), previous: {} } });
    const { token } = await tokens.issueAccessToken(claims);
    expect(await code(tokens.verify(token))).toBe('accepted');
    expect(await code(tokens.verify(token))).toBe('accepted');
  });
});
