import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AppError } from '../lib/errors.js';
import type { AuthStore, RefreshTokenRecord, UserRecord } from '../modules/auth/auth.store.js';
import type { Role } from '../modules/auth/roles.js';
import {
  conditionFailedAt,
  dateOrNull,
  epochSeconds,
  isConditionalCheckFailed,
  iso,
  isoOrUndefined,
  queryAll,
  str,
  strOrNull,
  updateExpression,
  withConflictRetry,
  type DynamoContext,
  type Item,
} from './client.js';
import { gsiName, keys, TTL_ATTRIBUTE } from './tables.js';

// Spent and revoked refresh tokens stay readable for reuse detection a while after they expire;
// then DynamoDB's TTL removes them.
const REFRESH_RETENTION_MS = 7 * 24 * 3600 * 1000;

const toUser = (i: Item): UserRecord => ({
  id: str(i.id),
  tenantId: str(i.tenantId),
  email: str(i.email),
  displayName: str(i.displayName),
  roles: (i.roles as Role[] | undefined) ?? [],
  passwordHash: strOrNull(i.passwordHash),
  active: i.active === true,
  failedLoginCount: Number(i.failedLoginCount ?? 0),
  lockedUntil: dateOrNull(i.lockedUntil),
  passwordChangedAt: dateOrNull(i.passwordChangedAt),
  createdAt: new Date(str(i.createdAt)),
  updatedAt: new Date(str(i.updatedAt)),
  version: Number(i.version),
});

const toToken = (i: Item, familyRevokedAt: Date | null): RefreshTokenRecord => ({
  id: str(i.id),
  familyId: str(i.familyId),
  tenantId: str(i.tenantId),
  userId: str(i.userId),
  tokenHash: str(i.tokenHash),
  createdAt: new Date(str(i.createdAt)),
  expiresAt: new Date(str(i.expiresAt)),
  usedAt: dateOrNull(i.usedAt),
  revokedAt: dateOrNull(i.revokedAt) ?? familyRevokedAt,
});

export function createDynamoAuthStore({ doc, tables }: DynamoContext): AuthStore {
  const TableName = tables.platform;

  async function getItem(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const res = await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return res.Item;
  }

  async function getUserById(id: string): Promise<UserRecord | undefined> {
    const item = await getItem(keys.user(id));
    return item ? toUser(item) : undefined;
  }

  /** Marks one token revoked and takes it out of the family and user indexes. */
  async function revokeToken(id: string, now: Date, reason: string): Promise<void> {
    try {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keys.refreshToken(id),
          UpdateExpression:
            'SET revokedAt = :now, revokedReason = :reason REMOVE gsi1pk, gsi1sk, gsi2pk, gsi2sk',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':now': iso(now), ':reason': reason },
        }),
      );
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }

  async function revokeIndexed(index: 1 | 2, pk: string, now: Date, reason: string): Promise<void> {
    // The index holds only unrevoked tokens, so this reads what it must change and nothing else.
    const items = await queryAll(doc, {
      TableName,
      IndexName: gsiName(index),
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': `gsi${index}pk` },
      ExpressionAttributeValues: { ':pk': pk },
      ProjectionExpression: 'id',
    });
    for (const item of items) await revokeToken(str(item.id), now, reason);
  }

  return {
    async countUsers() {
      const item = await getItem(keys.userCounter());
      return Number(item?.count ?? 0);
    },

    async createUser(u) {
      const item: Item = {
        ...keys.user(u.id),
        gsi1pk: keys.usersOfTenant(u.tenantId),
        gsi1sk: u.id,
        entity: 'user',
        id: u.id,
        tenantId: u.tenantId,
        email: u.email,
        displayName: u.displayName,
        roles: u.roles,
        passwordHash: u.passwordHash ?? undefined,
        active: u.active,
        failedLoginCount: 0,
        passwordChangedAt: isoOrUndefined(u.passwordChangedAt),
        createdAt: iso(u.createdAt),
        updatedAt: iso(u.updatedAt),
        version: 1,
      };
      try {
        // The email item makes the address unique across tenants; the counter answers countUsers
        // without reading every user. All three change together or not at all.
        await withConflictRetry(() =>
          doc.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName,
                    Item: { ...keys.email(u.email), entity: 'email', userId: u.id, tenantId: u.tenantId },
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
                { Put: { TableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
                {
                  Update: {
                    TableName,
                    Key: keys.userCounter(),
                    UpdateExpression: 'ADD #count :one',
                    ExpressionAttributeNames: { '#count': 'count' },
                    ExpressionAttributeValues: { ':one': 1 },
                  },
                },
              ],
            }),
          ),
        );
      } catch (err) {
        if (conditionFailedAt(err, 0))
          throw new AppError('EMAIL_TAKEN', 'A user with this email already exists');
        if (conditionFailedAt(err, 1)) throw new AppError('CONFLICT', 'A user with this id already exists');
        throw err;
      }
      return toUser(item);
    },

    async findUserByEmail(email) {
      const pointer = await getItem(keys.email(email));
      return pointer ? getUserById(str(pointer.userId)) : undefined;
    },

    async findUser(tenantId, id) {
      const user = await getUserById(id);
      return user && user.tenantId === tenantId ? user : undefined;
    },

    async listUsers(tenantId, { limit, afterId }) {
      if (limit <= 0) return [];
      const res = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: gsiName(1),
          KeyConditionExpression: afterId ? 'gsi1pk = :pk AND gsi1sk > :after' : 'gsi1pk = :pk',
          ExpressionAttributeValues: {
            ':pk': keys.usersOfTenant(tenantId),
            ...(afterId ? { ':after': afterId } : {}),
          },
          Limit: limit,
        }),
      );
      return (res.Items ?? []).map(toUser);
    },

    async updateUser(tenantId, id, patch, now) {
      const attrs: Record<string, unknown> = {
        displayName: patch.displayName,
        roles: patch.roles,
        active: patch.active,
        passwordChangedAt: patch.passwordChangedAt ? iso(patch.passwordChangedAt) : undefined,
        updatedAt: iso(now),
      };
      // A new password clears a lockout, as an administrator's reset is meant to.
      if (patch.passwordHash !== undefined)
        Object.assign(attrs, { passwordHash: patch.passwordHash, failedLoginCount: 0, lockedUntil: null });
      const u = updateExpression(attrs, ['#version = #version + :one']);
      try {
        const res = await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.user(id),
            UpdateExpression: u.expression,
            ConditionExpression: 'attribute_exists(pk) AND #tenant = :tenant',
            ExpressionAttributeNames: { ...u.names, '#version': 'version', '#tenant': 'tenantId' },
            ExpressionAttributeValues: { ...u.values, ':one': 1, ':tenant': tenantId },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return res.Attributes ? toUser(res.Attributes) : undefined;
      } catch (err) {
        if (isConditionalCheckFailed(err)) return undefined;
        throw err;
      }
    },

    async recordLoginFailure(id, now, threshold, lockSeconds) {
      // ADD is atomic, so concurrent failures each see a distinct count; whichever reaches the
      // threshold sets the lock, guarded so that a success in between (count reset) is not undone.
      let count: number;
      try {
        const res = await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.user(id),
            UpdateExpression: 'ADD failedLoginCount :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        count = Number(res.Attributes?.failedLoginCount ?? 0);
      } catch (err) {
        if (isConditionalCheckFailed(err)) return;
        throw err;
      }
      if (count < threshold) return;
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.user(id),
            UpdateExpression: 'SET lockedUntil = :until',
            ConditionExpression: 'attribute_exists(pk) AND failedLoginCount >= :threshold',
            ExpressionAttributeValues: {
              ':until': iso(new Date(now.getTime() + lockSeconds * 1000)),
              ':threshold': threshold,
            },
          }),
        );
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
    },

    async recordLoginSuccess(id) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.user(id),
            UpdateExpression: 'SET failedLoginCount = :zero REMOVE lockedUntil',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':zero': 0 },
          }),
        );
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
    },

    async insertRefreshToken(t) {
      const ttl = epochSeconds(new Date(t.expiresAt.getTime() + REFRESH_RETENTION_MS));
      const item: Item = {
        ...keys.refreshToken(t.id),
        gsi1pk: keys.refreshFamilyIndex(t.familyId),
        gsi1sk: t.id,
        gsi2pk: keys.refreshUserIndex(t.userId),
        gsi2sk: t.id,
        entity: 'refresh_token',
        id: t.id,
        familyId: t.familyId,
        tenantId: t.tenantId,
        userId: t.userId,
        tokenHash: t.tokenHash,
        createdAt: iso(t.createdAt),
        expiresAt: iso(t.expiresAt),
        [TTL_ATTRIBUTE]: ttl,
      };
      // Tokens are found by the hash the client presents and changed by id: the hash item points to
      // the token, both read with strong consistency (an index on the hash would lag a fresh token).
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
            {
              Put: {
                TableName,
                Item: {
                  ...keys.refreshHash(t.tokenHash),
                  entity: 'refresh_hash',
                  tokenId: t.id,
                  [TTL_ATTRIBUTE]: ttl,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
    },

    async findRefreshToken(tokenHash) {
      const pointer = await getItem(keys.refreshHash(tokenHash));
      if (!pointer) return undefined;
      const item = await getItem(keys.refreshToken(str(pointer.tokenId)));
      if (!item) return undefined;
      const family = await getItem(keys.refreshFamily(str(item.familyId)));
      return toToken(item, dateOrNull(family?.revokedAt));
    },

    async consumeRefreshToken(id, now) {
      const token = await getItem(keys.refreshToken(id));
      if (!token) return false;
      try {
        // The family check closes the window in which a token issued just before its family was
        // revoked is not yet visible in the family index that the revocation walks.
        // A consumer that collides with another one mid-flight retries and then sees the token spent.
        await withConflictRetry(() =>
          doc.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName,
                    Key: keys.refreshToken(id),
                    UpdateExpression: 'SET usedAt = :now',
                    ConditionExpression:
                      'attribute_exists(pk) AND attribute_not_exists(usedAt) AND attribute_not_exists(revokedAt)',
                    ExpressionAttributeValues: { ':now': iso(now) },
                  },
                },
                {
                  ConditionCheck: {
                    TableName,
                    Key: keys.refreshFamily(str(token.familyId)),
                    ConditionExpression: 'attribute_not_exists(revokedAt)',
                  },
                },
              ],
            }),
          ),
        );
        return true;
      } catch (err) {
        if (conditionFailedAt(err, 0) || conditionFailedAt(err, 1)) return false;
        throw err;
      }
    },

    async revokeRefreshFamily(familyId, now, reason) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...keys.refreshFamily(familyId),
              entity: 'refresh_family',
              familyId,
              revokedAt: iso(now),
              revokedReason: reason,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
      await revokeIndexed(1, keys.refreshFamilyIndex(familyId), now, reason);
    },

    async revokeUserRefreshTokens(userId, now, reason) {
      await revokeIndexed(2, keys.refreshUserIndex(userId), now, reason);
    },
  };
}
