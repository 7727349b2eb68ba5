import { describe, expect, it } from 'vitest';
import type { AppError } from '../../src/lib/errors.js';
import { newId } from '../../src/lib/ids.js';
import type { RefreshTokenRecord, UserRecord } from '../../src/modules/auth/auth.store.js';
import {
  ascending,
  at,
  expectAppError,
  newTenant,
  race,
  randomSuffix,
  type ContractBackend,
} from './harness.js';

function user(tenantId: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: newId(),
    tenantId,
    email: `user-${randomSuffix()}@example.test`,
    displayName: 'Ada Lovelace',
    roles: ['analyst'],
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    active: true,
    failedLoginCount: 0,
    lockedUntil: null,
    passwordChangedAt: at(0),
    createdAt: at(0),
    updatedAt: at(0),
    version: 1,
    ...overrides,
  };
}

function token(u: UserRecord, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    id: newId(),
    familyId: newId(),
    tenantId: u.tenantId,
    userId: u.id,
    tokenHash: `hash-${randomSuffix()}${randomSuffix()}`,
    createdAt: at(0),
    expiresAt: at(3_600_000),
    usedAt: null,
    revokedAt: null,
    ...overrides,
  };
}

export function authStoreContract(backend: ContractBackend): void {
  const store = () => backend.stores.auth;

  describe('AuthStore: users', () => {
    it('creates a user and reads it back by id and by email, normalised fields intact', async () => {
      const t = newTenant();
      const input = user(t, { roles: ['admin', 'approver'], passwordChangedAt: null });
      const created = await store().createUser(input);
      expect(created).toEqual({ ...input, version: 1, failedLoginCount: 0, lockedUntil: null });
      expect(await store().findUser(t, input.id)).toEqual(created);
      expect(await store().findUserByEmail(input.email)).toEqual(created);
      expect(await store().findUserByEmail(`missing-${input.email}`)).toBeUndefined();
      expect(await store().findUser(t, newId())).toBeUndefined();
    });

    it('keeps a user without a password (external identity) and with no roles', async () => {
      const t = newTenant();
      const input = user(t, { passwordHash: null, roles: [] });
      await store().createUser(input);
      const found = await store().findUser(t, input.id);
      expect(found?.passwordHash).toBeNull();
      expect(found?.roles).toEqual([]);
    });

    it('hides a user from every other tenant', async () => {
      const a = newTenant();
      const b = newTenant();
      const u = await store().createUser(user(a));
      expect(await store().findUser(b, u.id)).toBeUndefined();
      expect(await store().listUsers(b, { limit: 10 })).toEqual([]);
      expect(await store().updateUser(b, u.id, { displayName: 'Mallory' }, at(1000))).toBeUndefined();
      expect((await store().findUser(a, u.id))?.displayName).toBe(u.displayName);
    });

    it('counts every user', async () => {
      const before = await store().countUsers();
      await store().createUser(user(newTenant()));
      await store().createUser(user(newTenant()));
      expect(await store().countUsers()).toBe(before + 2);
    });

    it('refuses a second user with the same email, in any tenant, with EMAIL_TAKEN', async () => {
      const first = await store().createUser(user(newTenant()));
      const before = await store().countUsers();
      await expectAppError(store().createUser(user(newTenant(), { email: first.email })), 'EMAIL_TAKEN');
      expect(await store().countUsers()).toBe(before);
      expect((await store().findUserByEmail(first.email))?.id).toBe(first.id);
    });

    it('lets exactly one of several concurrent creates with one email win', async () => {
      const email = `race-${randomSuffix()}@example.test`;
      const t = newTenant();
      const before = await store().countUsers();
      const { fulfilled, rejected } = await race(
        Array.from({ length: 6 }, () => () => store().createUser(user(t, { email }))),
      );
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(5);
      for (const err of rejected) expect((err as AppError).code).toBe('EMAIL_TAKEN');
      expect((await store().findUserByEmail(email))?.id).toBe(fulfilled[0]!.id);
      expect(await store().listUsers(t, { limit: 10 })).toHaveLength(1);
      expect(await store().countUsers()).toBe(before + 1);
    });

    it('creates users with distinct emails concurrently without losing any', async () => {
      const t = newTenant();
      const before = await store().countUsers();
      const { fulfilled, rejected } = await race(
        Array.from({ length: 8 }, () => () => store().createUser(user(t))),
      );
      expect(rejected).toEqual([]);
      expect(fulfilled).toHaveLength(8);
      expect(await store().countUsers()).toBe(before + 8);
      expect(await store().listUsers(t, { limit: 20 })).toHaveLength(8);
    });

    it('lists the users of a tenant by id, ascending, in pages after an id', async () => {
      const t = newTenant();
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await store().createUser(user(t))).id);
      await store().createUser(user(newTenant()));
      const all = ascending(ids);
      expect((await store().listUsers(t, { limit: 100 })).map((u) => u.id)).toEqual(all);
      const seen: string[] = [];
      let afterId: string | undefined;
      for (;;) {
        const page = await store().listUsers(t, { limit: 3, ...(afterId ? { afterId } : {}) });
        seen.push(...page.map((u) => u.id));
        if (page.length < 3) break;
        afterId = page[page.length - 1]!.id;
      }
      expect(seen).toEqual(all);
    });

    it('applies a patch, bumps the version and the update time', async () => {
      const t = newTenant();
      const u = await store().createUser(user(t));
      const updated = await store().updateUser(
        t,
        u.id,
        { displayName: 'Grace Hopper', roles: ['viewer'], active: false },
        at(5000),
      );
      expect(updated).toEqual({
        ...u,
        displayName: 'Grace Hopper',
        roles: ['viewer'],
        active: false,
        updatedAt: at(5000),
        version: 2,
      });
      expect(await store().findUser(t, u.id)).toEqual(updated);
      const touched = await store().updateUser(t, u.id, {}, at(6000));
      expect(touched?.version).toBe(3);
      expect(touched?.displayName).toBe('Grace Hopper');
      expect(await store().updateUser(t, newId(), { displayName: 'x' }, at(6000))).toBeUndefined();
    });

    it('clears a lockout when the password changes', async () => {
      const t = newTenant();
      const u = await store().createUser(user(t));
      for (let i = 0; i < 3; i++) await store().recordLoginFailure(u.id, at(1000), 3, 60);
      expect((await store().findUser(t, u.id))?.lockedUntil).toEqual(at(61_000));
      const updated = await store().updateUser(
        t,
        u.id,
        { passwordHash: 'new-hash', passwordChangedAt: at(2000) },
        at(2000),
      );
      expect(updated).toMatchObject({
        passwordHash: 'new-hash',
        passwordChangedAt: at(2000),
        failedLoginCount: 0,
        lockedUntil: null,
      });
    });

    it('counts failed logins, locks at the threshold, and a success resets both', async () => {
      const t = newTenant();
      const u = await store().createUser(user(t));
      await store().recordLoginFailure(u.id, at(1000), 3, 60);
      await store().recordLoginFailure(u.id, at(2000), 3, 60);
      expect(await store().findUser(t, u.id)).toMatchObject({ failedLoginCount: 2, lockedUntil: null });
      await store().recordLoginFailure(u.id, at(3000), 3, 60);
      expect(await store().findUser(t, u.id)).toMatchObject({ failedLoginCount: 3, lockedUntil: at(63_000) });
      await store().recordLoginFailure(u.id, at(4000), 3, 60);
      expect(await store().findUser(t, u.id)).toMatchObject({ failedLoginCount: 4, lockedUntil: at(64_000) });
      await store().recordLoginSuccess(u.id);
      expect(await store().findUser(t, u.id)).toMatchObject({ failedLoginCount: 0, lockedUntil: null });
    });

    it('counts concurrent failed logins exactly and locks', async () => {
      const t = newTenant();
      const u = await store().createUser(user(t));
      await Promise.all(Array.from({ length: 5 }, () => store().recordLoginFailure(u.id, at(1000), 5, 30)));
      expect(await store().findUser(t, u.id)).toMatchObject({ failedLoginCount: 5, lockedUntil: at(31_000) });
    });

    it('ignores login bookkeeping for an unknown user', async () => {
      const id = newId();
      await store().recordLoginFailure(id, at(0), 1, 60);
      await store().recordLoginSuccess(id);
      expect(await store().findUser(newTenant(), id)).toBeUndefined();
    });
  });

  describe('AuthStore: refresh tokens', () => {
    it('stores a token and finds it by its hash only', async () => {
      const u = await store().createUser(user(newTenant()));
      const tk = token(u);
      await store().insertRefreshToken(tk);
      expect(await store().findRefreshToken(tk.tokenHash)).toEqual(tk);
      expect(await store().findRefreshToken(`${tk.tokenHash}x`)).toBeUndefined();
    });

    it('consumes a token once; a second consume reports reuse', async () => {
      const u = await store().createUser(user(newTenant()));
      const tk = token(u);
      await store().insertRefreshToken(tk);
      expect(await store().consumeRefreshToken(tk.id, at(1000))).toBe(true);
      expect(await store().consumeRefreshToken(tk.id, at(2000))).toBe(false);
      expect((await store().findRefreshToken(tk.tokenHash))?.usedAt).toEqual(at(1000));
      expect(await store().consumeRefreshToken(newId(), at(2000))).toBe(false);
    });

    it('lets exactly one of several concurrent consumes win', async () => {
      const u = await store().createUser(user(newTenant()));
      const tk = token(u);
      await store().insertRefreshToken(tk);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store().consumeRefreshToken(tk.id, at(1000 + i))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('revokes a whole family, and nothing outside it', async () => {
      const u = await store().createUser(user(newTenant()));
      const familyId = newId();
      const spent = token(u, { familyId });
      const live = token(u, { familyId });
      const other = token(u);
      for (const tk of [spent, live, other]) await store().insertRefreshToken(tk);
      expect(await store().consumeRefreshToken(spent.id, at(1000))).toBe(true);
      await store().revokeRefreshFamily(familyId, at(2000), 'reuse_detected');
      expect((await store().findRefreshToken(spent.tokenHash))?.revokedAt).toEqual(at(2000));
      expect((await store().findRefreshToken(live.tokenHash))?.revokedAt).toEqual(at(2000));
      expect((await store().findRefreshToken(other.tokenHash))?.revokedAt).toBeNull();
      expect(await store().consumeRefreshToken(live.id, at(3000))).toBe(false);
      expect(await store().consumeRefreshToken(other.id, at(3000))).toBe(true);
      // Revoking again keeps the first revocation time.
      await store().revokeRefreshFamily(familyId, at(4000), 'logout');
      expect((await store().findRefreshToken(live.tokenHash))?.revokedAt).toEqual(at(2000));
    });

    it("revokes every token of one user and no one else's", async () => {
      const t = newTenant();
      const u = await store().createUser(user(t));
      const someoneElse = await store().createUser(user(t));
      const mine = [token(u), token(u)];
      const theirs = token(someoneElse);
      for (const tk of [...mine, theirs]) await store().insertRefreshToken(tk);
      await store().revokeUserRefreshTokens(u.id, at(5000), 'password_changed');
      for (const tk of mine) {
        expect((await store().findRefreshToken(tk.tokenHash))?.revokedAt).toEqual(at(5000));
        expect(await store().consumeRefreshToken(tk.id, at(6000))).toBe(false);
      }
      expect((await store().findRefreshToken(theirs.tokenHash))?.revokedAt).toBeNull();
      expect(await store().consumeRefreshToken(theirs.id, at(6000))).toBe(true);
      // A token issued after the revocation is valid.
      const later = token(u, { createdAt: at(7000) });
      await store().insertRefreshToken(later);
      expect(await store().consumeRefreshToken(later.id, at(8000))).toBe(true);
    });
  });
}
