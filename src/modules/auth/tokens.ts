import { createPrivateKey, createPublicKey, createSecretKey, randomBytes, createHash, webcrypto, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../../config/config.js';
import { AppError } from '../../lib/errors.js';
import { isId, newId } from '../../lib/ids.js';
import { isRole, permissionsOf, type Principal, type Role } from './roles.js';

export const ACCESS_TOKEN_TYP = 'at+jwt';

interface KeySet {
  alg: 'HS256' | 'RS256' | 'ES256';
  kid: string;
  signingKey: KeyObject;
  verifyKeys: Map<string, KeyObject>;
}

function buildKeys(auth: Config['auth']): KeySet {
  const jwt = auth.jwt;
  const verifyKeys = new Map<string, KeyObject>();
  let signingKey: KeyObject;
  if (jwt.alg === 'HS256') {
    // Without a configured secret (development/test only: production refuses) each process makes
    // its own, so tokens do not outlive the process.
    signingKey = createSecretKey(jwt.secret ? Buffer.from(jwt.secret) : randomBytes(32));
    verifyKeys.set(jwt.kid, signingKey);
    for (const [kid, secret] of Object.entries(jwt.previous)) verifyKeys.set(kid, createSecretKey(Buffer.from(secret)));
  } else {
    signingKey = createPrivateKey(jwt.privateKeyPem);
    verifyKeys.set(jwt.kid, createPublicKey(signingKey));
    for (const [kid, pem] of Object.entries(jwt.previous)) verifyKeys.set(kid, createPublicKey(pem));
  }
  return { alg: jwt.alg, kid: jwt.kid, signingKey, verifyKeys };
}

export interface AccessTokenClaims {
  userId: string;
  tenantId: string;
  roles: Role[];
}

export interface TokenService {
  issueAccessToken(claims: AccessTokenClaims): Promise<{ token: string; expiresIn: number; jti: string }>;
  /** Verifies a bearer token (ours or the external provider's) and returns the caller. */
  verify(token: string): Promise<Principal>;
  newRefreshToken(): { token: string; hash: string };
  hashRefreshToken(token: string): string;
}

function getPath(obj: Record<string, unknown>, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * jose verifies through WebCrypto, and given a KeyObject it imports it as a CryptoKey on every call:
 * that import doubled the cost of a verification (profiled: JWT checks were a quarter of the CPU of an
 * authenticated GET). Each verification key is imported once instead.
 */
function toCryptoKey(key: KeyObject, alg: KeySet['alg']): Promise<webcrypto.CryptoKey> {
  const { subtle } = webcrypto;
  if (alg === 'HS256') return subtle.importKey('raw', key.export(), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const spki = key.export({ type: 'spki', format: 'der' });
  return alg === 'RS256'
    ? subtle.importKey('spki', spki, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify'])
    : subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
}

/** How long, at most, a verified local token is remembered (its own exp ends it sooner). */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 10_000;
const CLOCK_TOLERANCE_S = 5;

const invalid = () => new AppError('INVALID_TOKEN', 'The access token is invalid or expired', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });

export function createTokenService(auth: Config['auth'], now: () => Date = () => new Date()): TokenService {
  const keys = buildKeys(auth);
  const oidc = auth.oidc;
  const remoteJwks: JWTVerifyGetKey | undefined = oidc ? createRemoteJWKSet(new URL(oidc.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 }) : undefined;

  const cryptoKeys = new Map<string, Promise<webcrypto.CryptoKey>>();
  function verificationKey(kid: string | undefined): Promise<webcrypto.CryptoKey> {
    const key = kid ? keys.verifyKeys.get(kid) : undefined;
    if (!kid || !key) throw new Error('unknown kid');
    let imported = cryptoKeys.get(kid);
    if (!imported) cryptoKeys.set(kid, (imported = toCryptoKey(key, keys.alg)));
    return imported;
  }

  // A client sends the same access token with request after request, and each verification costs
  // tens of microseconds of WebCrypto. A token whose exact bytes (signature included) verified is
  // remembered for a minute at most; its time claims are checked again on every use, so it still
  // expires on time. Only our own tokens: an external provider's keys rotate on its schedule.
  const verified = new Map<string, { principal: Principal; exp: number; nbf: number; until: number }>();
  function rememberedPrincipal(token: string): Principal | undefined {
    const hit = verified.get(token);
    if (!hit) return undefined;
    const nowMs = now().getTime();
    const nowS = nowMs / 1000;
    if (nowMs > hit.until || nowS > hit.exp + CLOCK_TOLERANCE_S || nowS < hit.nbf - CLOCK_TOLERANCE_S) {
      verified.delete(token);
      return undefined;
    }
    return hit.principal;
  }
  function remember(token: string, principal: Principal, payload: JWTPayload): void {
    if (typeof payload.exp !== 'number' || typeof payload.nbf !== 'number') return;
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
    verified.set(token, { principal, exp: payload.exp, nbf: payload.nbf, until: Math.min(now().getTime() + VERIFIED_TTL_MS, payload.exp * 1000) });
  }

  async function verifyLocal(token: string): Promise<Principal> {
    const { payload } = await jwtVerify(
      token,
      (header) => verificationKey(header.kid),
      {
        // One algorithm, fixed by configuration: no "none", no HS/RS confusion (RFC 8725 3.1).
        algorithms: [keys.alg],
        issuer: auth.issuer,
        audience: auth.audience,
        typ: ACCESS_TOKEN_TYP,
        requiredClaims: ['exp', 'iat', 'nbf', 'sub', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: now(),
      },
    );
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => typeof r === 'string' && isRole(r)) : [];
    // Our users' ids are UUIDs; anything else (a token minted elsewhere with our key) would fail deep
    // in the store's id column instead of here.
    if (typeof payload.sub !== 'string' || !isId(payload.sub) || typeof payload.tenant_id !== 'string') throw new Error('claims');
    const principal: Principal = { userId: payload.sub, tenantId: payload.tenant_id, roles, permissions: permissionsOf(roles), source: 'local' };
    remember(token, principal, payload);
    return principal;
  }

  async function verifyExternal(token: string): Promise<Principal> {
    if (!oidc || !remoteJwks) throw new Error('no oidc');
    const { payload } = await jwtVerify(token, remoteJwks, {
      algorithms: ['RS256', 'ES256', 'PS256'],
      issuer: oidc.issuer,
      audience: oidc.audience,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: 5,
      currentDate: now(),
    });
    const rawRoles = getPath(payload, oidc.rolesClaim);
    const roles = (Array.isArray(rawRoles) ? rawRoles : typeof rawRoles === 'string' ? rawRoles.split(/[ ,]+/) : []).filter(
      (r): r is Role => typeof r === 'string' && isRole(r),
    );
    const tenant = getPath(payload, oidc.tenantClaim);
    const tenantId = typeof tenant === 'string' && /^[a-z0-9][a-z0-9-]{0,62}$/.test(tenant) ? tenant : auth.defaultTenantId;
    return { userId: `oidc:${payload.sub}`, tenantId, roles, permissions: permissionsOf(roles), source: 'oidc' };
  }

  return {
    async issueAccessToken(claims) {
      const jti = newId();
      const iat = Math.floor(now().getTime() / 1000);
      const token = await new SignJWT({ tenant_id: claims.tenantId, roles: claims.roles })
        .setProtectedHeader({ alg: keys.alg, kid: keys.kid, typ: ACCESS_TOKEN_TYP })
        .setSubject(claims.userId)
        .setIssuer(auth.issuer)
        .setAudience(auth.audience)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + auth.accessTokenTtlSeconds)
        .setJti(jti)
        .sign(keys.signingKey);
      return { token, expiresIn: auth.accessTokenTtlSeconds, jti };
    },
    async verify(token) {
      if (token.length > 8192 || token.split('.').length !== 3) throw invalid();
      const known = rememberedPrincipal(token);
      if (known) return known;
      let payload: JWTPayload;
      try {
        decodeProtectedHeader(token);
        payload = decodeJwt(token);
      } catch {
        throw invalid();
      }
      try {
        // The unverified issuer only picks the verifier; each verifier enforces its own issuer and keys.
        if (oidc && payload.iss === oidc.issuer && oidc.issuer !== auth.issuer) return await verifyExternal(token);
        return await verifyLocal(token);
      } catch {
        throw invalid();
      }
    },
    newRefreshToken() {
      const token = randomBytes(32).toString('base64url');
      return { token, hash: createHash('sha256').update(token).digest('hex') };
    },
    hashRefreshToken(token) {
      return createHash('sha256').update(token).digest('hex');
    },
  };
}
