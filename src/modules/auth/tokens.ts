import { createPrivateKey, createPublicKey, createSecretKey, randomBytes, createHash, type KeyObject } from 'node:crypto';
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

const invalid = () => new AppError('INVALID_TOKEN', 'The access token is invalid or expired', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });

export function createTokenService(auth: Config['auth'], now: () => Date = () => new Date()): TokenService {
  const keys = buildKeys(auth);
  const oidc = auth.oidc;
  const remoteJwks: JWTVerifyGetKey | undefined = oidc ? createRemoteJWKSet(new URL(oidc.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 }) : undefined;

  async function verifyLocal(token: string): Promise<Principal> {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? keys.verifyKeys.get(header.kid) : undefined;
        if (!key) throw new Error('unknown kid');
        return key;
      },
      {
        // One algorithm, fixed by configuration: no "none", no HS/RS confusion (RFC 8725 3.1).
        algorithms: [keys.alg],
        issuer: auth.issuer,
        audience: auth.audience,
        typ: ACCESS_TOKEN_TYP,
        requiredClaims: ['exp', 'iat', 'nbf', 'sub', 'jti'],
        clockTolerance: 5,
        currentDate: now(),
      },
    );
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => typeof r === 'string' && isRole(r)) : [];
    // Our users' ids are UUIDs; anything else (a token minted elsewhere with our key) would fail deep
    // in the store's id column instead of here.
    if (typeof payload.sub !== 'string' || !isId(payload.sub) || typeof payload.tenant_id !== 'string') throw new Error('claims');
    return { userId: payload.sub, tenantId: payload.tenant_id, roles, permissions: permissionsOf(roles), source: 'local' };
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
