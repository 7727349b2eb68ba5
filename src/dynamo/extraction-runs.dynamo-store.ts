import { createHash, randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AppError } from '../lib/errors.js';
import type { FieldResult } from '../modules/extraction/engine.js';
import type {
  ExtractionRunRecord,
  ExtractionRunStore,
  RunStatus,
  RunTimings,
  RunUsage,
} from '../modules/extraction/extraction.store.js';
import {
  dateOrNull,
  isConditionalCheckFailed,
  iso,
  isoOrUndefined,
  queryNewestFirst,
  str,
  strOrNull,
  updateExpression,
  type DynamoContext,
  type Item,
} from './client.js';
import { COUNTER_SHARDS, gsiName, keys } from './tables.js';

// Structured results are kept as JSON text, as the SQL store keeps them in jsonb: they round-trip
// identically and DynamoDB never sees an undefined or empty-set value inside them.
const json = (v: unknown) => (v === null ? null : JSON.stringify(v));
const parse = <T>(v: unknown): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : null);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);

const toRecord = (i: Item): ExtractionRunRecord => ({
  id: str(i.id),
  tenantId: str(i.tenantId),
  bookingId: str(i.bookingId),
  schemaName: str(i.schemaName),
  schemaVersion: str(i.schemaVersion),
  engine: str(i.engine),
  engineUsed: strOrNull(i.engineUsed),
  documentIds: parse<string[]>(i.documentIds),
  status: i.status as RunStatus,
  attempts: Number(i.attempts ?? 0),
  leaseToken: strOrNull(i.leaseToken),
  leaseExpiresAt: dateOrNull(i.leaseExpiresAt),
  fields: parse<Record<string, FieldResult>>(i.fields),
  warnings: parse<string[]>(i.warnings) ?? [],
  usage: parse<RunUsage>(i.usage),
  timings: parse<RunTimings>(i.timings),
  documentCount: numOrNull(i.documentCount),
  pageCount: numOrNull(i.pageCount),
  errorCode: strOrNull(i.errorCode),
  errorMessage: strOrNull(i.errorMessage),
  createdBy: str(i.createdBy),
  createdAt: new Date(str(i.createdAt)),
  startedAt: dateOrNull(i.startedAt),
  finishedAt: dateOrNull(i.finishedAt),
});

/** Succeeded runs are in two sparse indexes: of their booking, and of their booking and schema. */
function succeededKeys(
  tenantId: string,
  bookingId: string,
  schemaName: string,
  id: string,
): Record<string, string> {
  return {
    gsi2pk: keys.succeededRuns(tenantId, bookingId),
    gsi2sk: id,
    gsi3pk: keys.succeededRunsOfSchema(tenantId, bookingId, schemaName),
    gsi3sk: id,
  };
}

const pendingShard = (id: string) => createHash('sha256').update(id).digest().readUInt32BE(0) % COUNTER_SHARDS;

/**
 * Unfinished runs are in the cross-tenant index the maintenance sweep reads, oldest first: queued
 * ones by creation time (their job may be lost), running ones by lease end (their worker may be dead).
 */
function queuedKeys(id: string, createdAt: Date): Record<string, string> {
  return { gsi2pk: keys.runsQueued(pendingShard(id)), gsi2sk: `${iso(createdAt)}#${id}` };
}
function leasedKeys(id: string, leaseExpiresAt: Date): Record<string, string> {
  return { gsi2pk: keys.runsLeased(pendingShard(id)), gsi2sk: `${iso(leaseExpiresAt)}#${id}` };
}

function indexKeys(r: ExtractionRunRecord): Record<string, string> {
  if (r.status === 'succeeded') return succeededKeys(r.tenantId, r.bookingId, r.schemaName, r.id);
  if (r.status === 'queued') return queuedKeys(r.id, r.createdAt);
  if (r.status === 'running' && r.leaseExpiresAt) return leasedKeys(r.id, r.leaseExpiresAt);
  return {};
}

function toItem(r: ExtractionRunRecord): Item {
  const attrs: Record<string, unknown> = {
    ...keys.run(r.tenantId, r.id),
    gsi1pk: keys.runsOfBooking(r.tenantId, r.bookingId),
    gsi1sk: r.id,
    ...indexKeys(r),
    entity: 'extraction_run',
    id: r.id,
    tenantId: r.tenantId,
    bookingId: r.bookingId,
    schemaName: r.schemaName,
    schemaVersion: r.schemaVersion,
    engine: r.engine,
    engineUsed: r.engineUsed,
    documentIds: json(r.documentIds),
    status: r.status,
    attempts: r.attempts,
    leaseToken: r.leaseToken,
    leaseExpiresAt: isoOrUndefined(r.leaseExpiresAt),
    fields: json(r.fields),
    warnings: JSON.stringify(r.warnings),
    usage: json(r.usage),
    timings: json(r.timings),
    documentCount: r.documentCount,
    pageCount: r.pageCount,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    createdBy: r.createdBy,
    createdAt: iso(r.createdAt),
    startedAt: isoOrUndefined(r.startedAt),
    finishedAt: isoOrUndefined(r.finishedAt),
  };
  return Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== null && v !== undefined));
}

/** Extraction runs, in the booking-sheets table. A run is one item; leases are conditional writes. */
export function createDynamoExtractionRunStore({ doc, tables }: DynamoContext): ExtractionRunStore {
  const TableName = tables.bookingSheets;

  async function find(tenantId: string, id: string): Promise<ExtractionRunRecord | undefined> {
    const res = await doc.send(
      new GetCommand({ TableName, Key: keys.run(tenantId, id), ConsistentRead: true }),
    );
    return res.Item ? toRecord(res.Item) : undefined;
  }

  /** A write that applies only to a running run whose lease `token` holds; undefined otherwise. */
  async function finish(
    tenantId: string,
    id: string,
    token: string,
    attrs: Record<string, unknown>,
  ): Promise<ExtractionRunRecord | undefined> {
    const u = updateExpression({ ...attrs, leaseToken: null, leaseExpiresAt: null });
    try {
      const res = await doc.send(
        new UpdateCommand({
          TableName,
          Key: keys.run(tenantId, id),
          UpdateExpression: u.expression,
          ConditionExpression: 'attribute_exists(pk) AND #status = :running AND #lease = :token',
          ExpressionAttributeNames: { ...u.names, '#status': 'status', '#lease': 'leaseToken' },
          ExpressionAttributeValues: { ...u.values, ':running': 'running', ':token': token },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return res.Attributes ? toRecord(res.Attributes) : undefined;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  }

  return {
    async createRun(rec) {
      try {
        await doc.send(
          new PutCommand({ TableName, Item: toItem(rec), ConditionExpression: 'attribute_not_exists(pk)' }),
        );
      } catch (err) {
        if (isConditionalCheckFailed(err))
          throw new AppError('CONFLICT', 'An extraction run with this id already exists');
        throw err;
      }
      return toRecord(toItem(rec));
    },

    findRun: find,

    async listRuns(tenantId, bookingId, page) {
      const res = await queryNewestFirst(doc, {
        table: TableName,
        index: gsiName(1),
        pkAttr: 'gsi1pk',
        skAttr: 'gsi1sk',
        pk: keys.runsOfBooking(tenantId, bookingId),
        beforeId: page.beforeId,
        limit: page.limit,
        maxPages: Infinity,
      });
      return res.items.map(toRecord);
    },

    async latestSucceededRun(tenantId, bookingId, schemaName) {
      const [index, pk] = schemaName
        ? [3, keys.succeededRunsOfSchema(tenantId, bookingId, schemaName)]
        : [2, keys.succeededRuns(tenantId, bookingId)];
      const res = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: gsiName(index),
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': `gsi${index}pk` },
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: false,
          Limit: 1,
        }),
      );
      const item = res.Items?.[0];
      return item ? toRecord(item) : undefined;
    },

    async claimRun(tenantId, id, now, leaseMs) {
      const token = randomUUID();
      const leased = leasedKeys(id, new Date(now.getTime() + leaseMs));
      try {
        const res = await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.run(tenantId, id),
            UpdateExpression:
              'SET #status = :running, leaseToken = :token, leaseExpiresAt = :expires, startedAt = :now, gsi2pk = :gsi2pk, gsi2sk = :gsi2sk ADD attempts :one',
            ConditionExpression:
              'attribute_exists(pk) AND (#status = :queued OR (#status = :running AND leaseExpiresAt <= :now))',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':running': 'running',
              ':queued': 'queued',
              ':token': token,
              ':expires': iso(new Date(now.getTime() + leaseMs)),
              ':now': iso(now),
              ':one': 1,
              ':gsi2pk': leased.gsi2pk,
              ':gsi2sk': leased.gsi2sk,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { claimed: true, record: toRecord(res.Attributes!), token };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
      }
      return { claimed: false, record: await find(tenantId, id) };
    },

    async completeRun(tenantId, id, token, result) {
      const current = await find(tenantId, id);
      if (!current) return undefined;
      return finish(tenantId, id, token, {
        ...succeededKeys(tenantId, current.bookingId, current.schemaName, id),
        status: 'succeeded',
        engineUsed: result.engineUsed,
        fields: JSON.stringify(result.fields),
        warnings: JSON.stringify(result.warnings),
        usage: json(result.usage),
        timings: JSON.stringify(result.timings),
        documentCount: result.documentCount,
        pageCount: result.pageCount,
        finishedAt: iso(result.finishedAt),
      });
    },

    failRun(tenantId, id, token, failure) {
      return finish(tenantId, id, token, {
        gsi2pk: null,
        gsi2sk: null,
        status: 'failed',
        errorCode: failure.errorCode,
        errorMessage: failure.errorMessage,
        timings: json(failure.timings),
        finishedAt: iso(failure.finishedAt),
      });
    },

    async releaseRun(tenantId, id, token) {
      const current = await find(tenantId, id);
      if (!current) return false;
      return (await finish(tenantId, id, token, { ...queuedKeys(id, current.createdAt), status: 'queued' })) !== undefined;
    },

    async listStuckRuns(since, limit) {
      if (limit <= 0) return [];
      const query = (pk: string, before: Date) =>
        doc.send(
          new QueryCommand({
            TableName,
            IndexName: gsiName(2),
            KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk < :before',
            ExpressionAttributeValues: { ':pk': pk, ':before': iso(before) },
            Limit: limit,
          }),
        );
      const shards = Array.from({ length: COUNTER_SHARDS }, (_, shard) => shard);
      const perShard = await Promise.all([
        ...shards.map((shard) => query(keys.runsQueued(shard), since.queuedBefore)),
        ...shards.map((shard) => query(keys.runsLeased(shard), since.leaseExpiredBy)),
      ]);
      return perShard
        .flatMap((r) => r.Items ?? [])
        .map(toRecord)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit);
    },
  };
}
