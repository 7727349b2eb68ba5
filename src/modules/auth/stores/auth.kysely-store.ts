import type { Kysely, Selectable } from 'kysely';
import type { DB, UsersTable, RefreshTokensTable } from '../../../db/schema.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { AppError } from '../../../lib/errors.js';
import type { AuthStore, UserRecord, RefreshTokenRecord } from '../auth.store.js';
import type { Role } from '../roles.js';

const toUser = (r: Selectable<UsersTable>): UserRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  email: r.email,
  displayName: r.display_name,
  roles: r.roles as Role[],
  passwordHash: r.password_hash,
  active: r.active,
  failedLoginCount: r.failed_login_count,
  lockedUntil: r.locked_until,
  passwordChangedAt: r.password_changed_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  version: r.version,
});

const toToken = (r: Selectable<RefreshTokensTable>): RefreshTokenRecord => ({
  id: r.id,
  familyId: r.family_id,
  tenantId: r.tenant_id,
  userId: r.user_id,
  tokenHash: r.token_hash,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
  revokedAt: r.revoked_at,
});

export function createKyselyAuthStore(db: Kysely<DB>): AuthStore {
  return {
    async countUsers() {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async createUser(u) {
      try {
        const row = await db
          .insertInto('users')
          .values({
            id: u.id,
            tenant_id: u.tenantId,
            email: u.email,
            display_name: u.displayName,
            roles: u.roles,
            password_hash: u.passwordHash,
            active: u.active,
            failed_login_count: 0,
            locked_until: null,
            password_changed_at: u.passwordChangedAt,
            created_at: u.createdAt,
            updated_at: u.updatedAt,
            version: 1,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toUser(row);
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('EMAIL_TAKEN', 'A user with this email already exists');
        throw err;
      }
    },
    async findUserByEmail(email) {
      const row = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
      return row ? toUser(row) : undefined;
    },
    async findUser(tenantId, id) {
      const row = await db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return row ? toUser(row) : undefined;
    },
    async listUsers(tenantId, { limit, afterId }) {
      let q = db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId);
      if (afterId) q = q.where('id', '>', afterId);
      const rows = await q.orderBy('id').limit(limit).execute();
      return rows.map(toUser);
    },
    async updateUser(tenantId, id, patch, now) {
      const row = await db
        .updateTable('users')
        .set((eb) => ({
          ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
          ...(patch.roles !== undefined ? { roles: patch.roles } : {}),
          ...(patch.active !== undefined ? { active: patch.active } : {}),
          ...(patch.passwordHash !== undefined ? { password_hash: patch.passwordHash, failed_login_count: 0, locked_until: null } : {}),
          ...(patch.passwordChangedAt !== undefined ? { password_changed_at: patch.passwordChangedAt } : {}),
          updated_at: now,
          version: eb('version', '+', 1),
        }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toUser(row) : undefined;
    },
    async recordLoginFailure(id, now, threshold, lockSeconds) {
      // One statement, so concurrent failures cannot both read the old count and skip the lock.
      await db
        .updateTable('users')
        .set((eb) => ({
          failed_login_count: eb('failed_login_count', '+', 1),
          locked_until: eb
            .case()
            .when(eb('failed_login_count', '+', 1), '>=', threshold)
            .then(new Date(now.getTime() + lockSeconds * 1000))
            .else(eb.ref('locked_until'))
            .end(),
        }))
        .where('id', '=', id)
        .execute();
    },
    async recordLoginSuccess(id) {
      await db.updateTable('users').set({ failed_login_count: 0, locked_until: null }).where('id', '=', id).execute();
    },
    async insertRefreshToken(t) {
      await db
        .insertInto('refresh_tokens')
        .values({
          id: t.id,
          family_id: t.familyId,
          tenant_id: t.tenantId,
          user_id: t.userId,
          token_hash: t.tokenHash,
          created_at: t.createdAt,
          expires_at: t.expiresAt,
          used_at: null,
          revoked_at: null,
          revoked_reason: null,
        })
        .execute();
    },
    async findRefreshToken(tokenHash) {
      const row = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row ? toToken(row) : undefined;
    },
    async consumeRefreshToken(id, now) {
      const res = await db
        .updateTable('refresh_tokens')
        .set({ used_at: now })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },
    async revokeRefreshFamily(familyId, now, reason) {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: now, revoked_reason: reason })
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async revokeUserRefreshTokens(userId, now, reason) {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: now, revoked_reason: reason })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute();
    },
  };
}
