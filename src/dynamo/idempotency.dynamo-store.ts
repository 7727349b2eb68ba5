import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  BeginResult,
  IdempotencyScope,
  IdempotencyStore,
} from '../modules/idempotency/idempotency.store.js';
import { epochSeconds, isConditionalCheckFailed, iso, queryAll, str, type DynamoContext } from './client.js';
import { EXPIRY_SHARDS, gsiName, keys, TTL_ATTRIBUTE } from './tables.js';

const keyOf = (s: IdempotencyScope) => keys.idempotency(s.tenantId, s.principalId, s.key);

function expiryShard(pk: string): number {
  return createHash('sha256').update(pk).digest().readUInt32BE(0) % EXPIRY_SHARDS;
}

/**
 * Idempotency keys. DynamoDB's TTL deletes expired keys on its own schedule (within days), so
 * every read also compares `expiresAt` itself; `purgeExpired` deletes them now, through a sharded
 * expiry index rather than a Scan.
 */
export function createDynamoIdempotencyStore({ doc, tables }: DynamoContext): IdempotencyStore {
  const TableName = tables.platform;

  function claimAttributes(key: { pk: string }, fingerprint: string, now: Date, ttlMs: number) {
    const expiresAt = new Date(now.getTime() + ttlMs);
    return {
      gsi1pk: keys.idempotencyExpiry(expiryShard(key.pk)),
      gsi1sk: iso(expiresAt),
      fingerprint,
      state: 'in_progress',
      createdAt: iso(now),
      expiresAt: iso(expiresAt),
      [TTL_ATTRIBUTE]: epochSeconds(expiresAt),
    };
  }

  async function begin(
    scope: IdempotencyScope,
    fingerprint: string,
    now: Date,
    ttlMs: number,
    leaseMs: number,
    depth = 0,
  ): Promise<BeginResult> {
    const key = keyOf(scope);
    const claim = claimAttributes(key, fingerprint, now, ttlMs);
    try {
      await doc.send(
        new PutCommand({
          TableName,
          Item: {
            ...key,
            entity: 'idempotency',
            tenantId: scope.tenantId,
            principalId: scope.principalId,
            key: scope.key,
            ...claim,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { kind: 'started' };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }

    // Take over an expired key, or a claim whose owner died (lease over), in one conditional write
    // so that two racing retries cannot both win.
    try {
      const names = Object.keys(claim);
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: key,
          UpdateExpression: `SET ${names.map((_, i) => `#c${i} = :c${i}`).join(', ')} REMOVE responseStatus, responseHeaders, responseBody`,
          ConditionExpression:
            'attribute_exists(pk) AND (#expiresAt <= :now OR (#state = :inProgress AND #createdAt <= :leaseCutoff AND #fingerprint = :fingerprint))',
          ExpressionAttributeNames: {
            ...Object.fromEntries(names.map((n, i) => [`#c${i}`, n])),
            '#expiresAt': 'expiresAt',
            '#state': 'state',
            '#createdAt': 'createdAt',
            '#fingerprint': 'fingerprint',
          },
          ExpressionAttributeValues: {
            ...Object.fromEntries(names.map((n, i) => [`:c${i}`, claim[n as keyof typeof claim]])),
            ':now': iso(now),
            ':inProgress': 'in_progress',
            ':leaseCutoff': iso(new Date(now.getTime() - leaseMs)),
            ':fingerprint': fingerprint,
          },
        }),
      );
      return { kind: 'started' };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }

    const item = (await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }))).Item;
    if (!item) {
      // Released between our writes and this read (abandoned): claim again.
      if (depth < 5) return begin(scope, fingerprint, now, ttlMs, leaseMs, depth + 1);
      return { kind: 'in_progress' };
    }
    if (item.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (item.state !== 'completed' || typeof item.responseStatus !== 'number') return { kind: 'in_progress' };
    return {
      kind: 'replay',
      response: {
        status: item.responseStatus,
        headers: (item.responseHeaders as Record<string, string> | undefined) ?? {},
        body: typeof item.responseBody === 'string' ? item.responseBody : '',
      },
    };
  }

  return {
    begin: (scope, fingerprint, now, ttlMs, leaseMs) => begin(scope, fingerprint, now, ttlMs, leaseMs),

    async complete(scope, response) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: keyOf(scope),
            UpdateExpression:
              'SET #state = :completed, responseStatus = :status, responseHeaders = :headers, responseBody = :body',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':completed': 'completed',
              ':status': response.status,
              ':headers': response.headers,
              ':body': response.body,
            },
          }),
        );
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
    },

    async abandon(scope) {
      try {
        await doc.send(
          new DeleteCommand({
            TableName,
            Key: keyOf(scope),
            ConditionExpression: '#state = :inProgress',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':inProgress': 'in_progress' },
          }),
        );
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
    },

    async purgeExpired(now) {
      let deleted = 0;
      for (let shard = 0; shard < EXPIRY_SHARDS; shard++) {
        const expired = await queryAll(doc, {
          TableName,
          IndexName: gsiName(1),
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :now',
          ExpressionAttributeValues: { ':pk': keys.idempotencyExpiry(shard), ':now': iso(now) },
          ProjectionExpression: 'pk, sk',
        });
        for (const item of expired) {
          try {
            // The index may lag a takeover that pushed the expiry forward: the condition re-checks it.
            await doc.send(
              new DeleteCommand({
                TableName,
                Key: { pk: str(item.pk), sk: str(item.sk) },
                ConditionExpression: 'expiresAt <= :now',
                ExpressionAttributeValues: { ':now': iso(now) },
              }),
            );
            deleted++;
          } catch (err) {
            if (!isConditionalCheckFailed(err)) throw err;
          }
        }
      }
      return deleted;
    },
  };
}
