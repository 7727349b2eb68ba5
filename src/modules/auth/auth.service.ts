import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { cleanText } from '../../lib/text.js';
import type { Clock } from '../../lib/clock.js';
import type { RequestMeta } from '../../lib/request-meta.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthStore, UserRecord } from './auth.store.js';
import type { TokenService } from './tokens.js';
import { assertPasswordPolicy, dummyPasswordHash, hashPassword, verifyPassword } from './passwords.js';
import type { Principal, Role } from './roles.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

export interface UserView {
  id: string;
  tenant_id: string;
  email: string;
  display_name: string;
  roles: Role[];
  active: boolean;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
}

export function toUserView(u: UserRecord): UserView {
  return {
    id: u.id,
    tenant_id: u.tenantId,
    email: u.email,
    display_name: u.displayName,
    roles: u.roles,
    active: u.active,
    locked_until: u.lockedUntil ? u.lockedUntil.toISOString() : null,
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
  };
}

export function normaliseEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

export interface AuthService {
  login(username: string, password: string, meta: RequestMeta): Promise<TokenResponse>;
  refresh(refreshToken: string, meta: RequestMeta): Promise<TokenResponse>;
  revoke(refreshToken: string, meta: RequestMeta): Promise<void>;
  /** Verifies a bearer token and, for local users, that the account is still active. */
  authenticate(token: string): Promise<Principal>;
  me(principal: Principal): Promise<UserView>;
  changeOwnPassword(principal: Principal, current: string, next: string, meta: RequestMeta): Promise<void>;
  createUser(input: { email: string; display_name: string; roles: Role[]; password: string }, meta: RequestMeta): Promise<UserView>;
  listUsers(tenantId: string, page: { limit: number; afterId?: string | undefined }): Promise<UserRecord[]>;
  getUser(tenantId: string, id: string): Promise<UserView>;
  updateUser(id: string, patch: { display_name?: string; roles?: Role[]; active?: boolean }, meta: RequestMeta): Promise<UserView>;
  resetPassword(id: string, newPassword: string, meta: RequestMeta): Promise<void>;
  /** Creates the first admin when the store has no user. Returns the generated password if one was made. */
  bootstrap(log: FastifyBaseLogger): Promise<void>;
}

interface Deps {
  config: Config;
  store: AuthStore;
  tokens: TokenService;
  audit: AuditService;
  clock: Clock;
}

// A disabled account must lose access quickly without a database read on every request: its status is
// cached for a few seconds per process.
const ACTIVE_CACHE_MS = 5000;

export function createAuthService({ config, store, tokens, audit, clock }: Deps): AuthService {
  const activeCache = new Map<string, { active: boolean; at: number; roles: Role[] }>();

  async function issueTokens(user: UserRecord, familyId: string): Promise<TokenResponse> {
    const access = await tokens.issueAccessToken({ userId: user.id, tenantId: user.tenantId, roles: user.roles });
    const refresh = tokens.newRefreshToken();
    const now = clock.now();
    await store.insertRefreshToken({
      id: newId(),
      familyId,
      tenantId: user.tenantId,
      userId: user.id,
      tokenHash: refresh.hash,
      createdAt: now,
      expiresAt: new Date(now.getTime() + config.auth.refreshTokenTtlSeconds * 1000),
      usedAt: null,
      revokedAt: null,
    });
    return {
      access_token: access.token,
      token_type: 'bearer',
      expires_in: access.expiresIn,
      refresh_token: refresh.token,
      refresh_expires_in: config.auth.refreshTokenTtlSeconds,
    };
  }

  async function requireUser(tenantId: string, id: string): Promise<UserRecord> {
    const user = await store.findUser(tenantId, id);
    if (!user) throw new AppError('USER_NOT_FOUND');
    return user;
  }

  const invalidGrant = () => new AppError('INVALID_GRANT', 'The refresh token is invalid, expired or revoked');

  return {
    async login(username, password, meta) {
      const email = normaliseEmail(username);
      const user = await store.findUserByEmail(email);
      const now = clock.now();
      if (!user || !user.passwordHash) {
        await verifyPassword(await dummyPasswordHash(), password);
        await audit.record(meta, { action: 'auth.login', outcome: 'failure', actorId: null, details: { reason: 'unknown_user' } });
        throw new AppError('INVALID_CREDENTIALS', 'The email or password is wrong');
      }
      if (user.lockedUntil && user.lockedUntil > now) {
        await audit.record(meta, { action: 'auth.login', outcome: 'denied', tenantId: user.tenantId, actorId: user.id, details: { reason: 'locked' } });
        // Same answer as a wrong password while locked: the lock itself is not an oracle.
        throw new AppError('INVALID_CREDENTIALS', 'The email or password is wrong');
      }
      const ok = await verifyPassword(user.passwordHash, password);
      if (!ok) {
        await store.recordLoginFailure(user.id, now, config.auth.lockoutThreshold, config.auth.lockoutSeconds);
        await audit.record(meta, { action: 'auth.login', outcome: 'failure', tenantId: user.tenantId, actorId: user.id, details: { reason: 'bad_password' } });
        throw new AppError('INVALID_CREDENTIALS', 'The email or password is wrong');
      }
      if (!user.active) {
        await audit.record(meta, { action: 'auth.login', outcome: 'denied', tenantId: user.tenantId, actorId: user.id, details: { reason: 'disabled' } });
        throw new AppError('ACCOUNT_DISABLED', 'This account is disabled');
      }
      if (user.failedLoginCount > 0 || user.lockedUntil) await store.recordLoginSuccess(user.id);
      const response = await issueTokens(user, newId());
      await audit.record(meta, { action: 'auth.login', outcome: 'success', tenantId: user.tenantId, actorId: user.id });
      return response;
    },

    async refresh(refreshToken, meta) {
      const record = await store.findRefreshToken(tokens.hashRefreshToken(refreshToken));
      const now = clock.now();
      if (!record) {
        await audit.record(meta, { action: 'auth.refresh', outcome: 'failure', actorId: null, details: { reason: 'unknown_token' } });
        throw invalidGrant();
      }
      if (record.revokedAt || record.expiresAt <= now) {
        await audit.record(meta, { action: 'auth.refresh', outcome: 'failure', tenantId: record.tenantId, actorId: record.userId, details: { reason: record.revokedAt ? 'revoked' : 'expired' } });
        throw invalidGrant();
      }
      const consumed = await store.consumeRefreshToken(record.id, now);
      if (!consumed) {
        // A spent token presented again means it was copied: end the whole session family (RFC 9700 4.14).
        await store.revokeRefreshFamily(record.familyId, now, 'reuse_detected');
        await audit.record(meta, { action: 'auth.refresh', outcome: 'denied', tenantId: record.tenantId, actorId: record.userId, details: { reason: 'reuse_detected' } });
        throw invalidGrant();
      }
      const user = await store.findUser(record.tenantId, record.userId);
      if (!user || !user.active) {
        await store.revokeRefreshFamily(record.familyId, now, 'user_disabled');
        throw invalidGrant();
      }
      const response = await issueTokens(user, record.familyId);
      await audit.record(meta, { action: 'auth.refresh', outcome: 'success', tenantId: user.tenantId, actorId: user.id });
      return response;
    },

    async revoke(refreshToken, meta) {
      const record = await store.findRefreshToken(tokens.hashRefreshToken(refreshToken));
      // RFC 7009: an unknown token is not an error, and the caller learns nothing about it.
      if (!record) return;
      if (meta.principal && (meta.principal.userId !== record.userId || meta.principal.tenantId !== record.tenantId)) return;
      await store.revokeRefreshFamily(record.familyId, clock.now(), 'logout');
      await audit.record(meta, { action: 'auth.revoke', outcome: 'success', tenantId: record.tenantId, actorId: record.userId });
    },

    async authenticate(token) {
      const principal = await tokens.verify(token);
      if (principal.source !== 'local') return principal;
      const cached = activeCache.get(principal.userId);
      const nowMs = Date.now();
      let active: boolean;
      if (cached && nowMs - cached.at < ACTIVE_CACHE_MS) {
        active = cached.active;
      } else {
        const user = await store.findUser(principal.tenantId, principal.userId);
        active = !!user?.active;
        activeCache.set(principal.userId, { active, at: nowMs, roles: user?.roles ?? [] });
        if (activeCache.size > 10_000) activeCache.clear();
      }
      if (!active) throw new AppError('INVALID_TOKEN', 'The access token is invalid or expired', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
      return principal;
    },

    async me(principal) {
      if (principal.source === 'oidc') {
        return {
          id: principal.userId,
          tenant_id: principal.tenantId,
          email: '',
          display_name: principal.userId,
          roles: principal.roles,
          active: true,
          locked_until: null,
          created_at: new Date(0).toISOString(),
          updated_at: new Date(0).toISOString(),
        };
      }
      return toUserView(await requireUser(principal.tenantId, principal.userId));
    },

    async changeOwnPassword(principal, current, next, meta) {
      if (principal.source !== 'local') throw new AppError('FORBIDDEN', 'Passwords of external identities are managed by their provider');
      const user = await requireUser(principal.tenantId, principal.userId);
      if (!user.passwordHash || !(await verifyPassword(user.passwordHash, current))) {
        await audit.record(meta, { action: 'user.password_change', outcome: 'failure', targetType: 'user', targetId: user.id });
        throw new AppError('INVALID_CREDENTIALS', 'The current password is wrong');
      }
      assertPasswordPolicy(next, user.email);
      const now = clock.now();
      await store.updateUser(user.tenantId, user.id, { passwordHash: await hashPassword(next), passwordChangedAt: now }, now);
      await store.revokeUserRefreshTokens(user.id, now, 'password_changed');
      await audit.record(meta, { action: 'user.password_change', outcome: 'success', targetType: 'user', targetId: user.id });
    },

    async createUser(input, meta) {
      const principal = meta.principal!;
      const email = normaliseEmail(input.email);
      assertPasswordPolicy(input.password, email);
      const now = clock.now();
      const user = await store.createUser({
        id: newId(),
        tenantId: principal.tenantId,
        email,
        displayName: cleanText(input.display_name, 'display_name'),
        roles: [...new Set(input.roles)],
        passwordHash: await hashPassword(input.password),
        active: true,
        failedLoginCount: 0,
        lockedUntil: null,
        passwordChangedAt: now,
        createdAt: now,
        updatedAt: now,
        version: 1,
      });
      await audit.record(meta, { action: 'user.create', outcome: 'success', targetType: 'user', targetId: user.id, details: { roles: user.roles } });
      return toUserView(user);
    },

    listUsers: (tenantId, page) => store.listUsers(tenantId, { limit: page.limit, ...(page.afterId ? { afterId: page.afterId } : {}) }),

    async getUser(tenantId, id) {
      return toUserView(await requireUser(tenantId, id));
    },

    async updateUser(id, patch, meta) {
      const principal = meta.principal!;
      const before = await requireUser(principal.tenantId, id);
      if (id === principal.userId && (patch.active === false || (patch.roles && !patch.roles.includes('admin')))) {
        // An admin locking themselves out leaves a tenant with no way back in.
        throw new AppError('INVALID_STATE', 'Admins cannot disable themselves or remove their own admin role');
      }
      const now = clock.now();
      const updated = await store.updateUser(
        principal.tenantId,
        id,
        {
          ...(patch.display_name !== undefined ? { displayName: cleanText(patch.display_name, 'display_name') } : {}),
          ...(patch.roles !== undefined ? { roles: [...new Set(patch.roles)] } : {}),
          ...(patch.active !== undefined ? { active: patch.active } : {}),
        },
        now,
      );
      if (!updated) throw new AppError('USER_NOT_FOUND');
      if (patch.active === false) await store.revokeUserRefreshTokens(id, now, 'disabled');
      activeCache.delete(id);
      const changes: Record<string, unknown> = {};
      if (patch.roles !== undefined) changes.roles = { from: before.roles, to: updated.roles };
      if (patch.active !== undefined) changes.active = { from: before.active, to: updated.active };
      if (patch.display_name !== undefined) changes.display_name = 'changed';
      await audit.record(meta, { action: 'user.update', outcome: 'success', targetType: 'user', targetId: id, details: changes });
      return toUserView(updated);
    },

    async resetPassword(id, newPassword, meta) {
      const principal = meta.principal!;
      const user = await requireUser(principal.tenantId, id);
      assertPasswordPolicy(newPassword, user.email);
      const now = clock.now();
      await store.updateUser(principal.tenantId, id, { passwordHash: await hashPassword(newPassword), passwordChangedAt: now }, now);
      await store.revokeUserRefreshTokens(id, now, 'password_reset');
      await audit.record(meta, { action: 'user.password_reset', outcome: 'success', targetType: 'user', targetId: id });
    },

    async bootstrap(log) {
      const admin = config.auth.bootstrapAdmin;
      if (!admin) return;
      if ((await store.countUsers()) > 0) return;
      let password = admin.password;
      if (!password) {
        // Development only (production refuses to start without one): printed once, never logged.
        password = randomBytes(18).toString('base64url');
        process.stderr.write(`\nBootstrap admin ${admin.email} created with password: ${password}\nChange it after the first login.\n\n`);
      }
      const now = clock.now();
      try {
        await store.createUser({
          id: newId(),
          tenantId: config.auth.defaultTenantId,
          email: normaliseEmail(admin.email),
          displayName: 'Administrator',
          roles: ['admin'],
          passwordHash: await hashPassword(password),
          active: true,
          failedLoginCount: 0,
          lockedUntil: null,
          passwordChangedAt: now,
          createdAt: now,
          updatedAt: now,
          version: 1,
        });
        log.info({ tenant_id: config.auth.defaultTenantId }, 'bootstrap admin created');
      } catch (err) {
        // Two instances starting together: the other one created it.
        if (!(err instanceof AppError && err.code === 'EMAIL_TAKEN')) throw err;
      }
    },
  };
}
