import { randomInt } from 'node:crypto';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  SHEET_STATUSES,
  type BookingSheetRecord,
  type BookingSheetStore,
  type FieldChange,
  type SheetAction,
  type SheetField,
  type SheetStatus,
  type SheetValidation,
  type SheetVersionRecord,
  type SheetWriteResult,
} from '../modules/booking-sheets/booking-sheets.store.js';
import {
  conditionFailedAt,
  dateOrNull,
  iso,
  str,
  strOrNull,
  updateExpression,
  withConflictRetry,
  type DynamoContext,
  type Item,
  countsByStatus,
} from './client.js';
import { COUNTER_SHARDS, gsiName, keys, sheetVersionKey } from './tables.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

// Fields, validation and changes are JSON text, as the SQL store keeps them in jsonb.
const parse = <T>(v: unknown): T => JSON.parse(str(v)) as T;

const toSheet = (i: Item): BookingSheetRecord => ({
  tenantId: str(i.tenantId),
  bookingId: str(i.bookingId),
  id: str(i.id),
  schemaName: str(i.schemaName),
  schemaVersion: str(i.schemaVersion),
  sourceRunId: strOrNull(i.sourceRunId),
  status: i.status as SheetStatus,
  version: Number(i.version),
  fields: parse<Record<string, SheetField>>(i.fields),
  validation: parse<SheetValidation>(i.validation),
  createdBy: str(i.createdBy),
  createdAt: new Date(str(i.createdAt)),
  updatedBy: str(i.updatedBy),
  updatedAt: new Date(str(i.updatedAt)),
  lastEditedBy: str(i.lastEditedBy),
  lastEditedAt: new Date(str(i.lastEditedAt)),
  statusChangedAt: new Date(str(i.statusChangedAt)),
  submittedBy: strOrNull(i.submittedBy),
  submittedAt: dateOrNull(i.submittedAt),
  decidedBy: strOrNull(i.decidedBy),
  decidedAt: dateOrNull(i.decidedAt),
  decisionReason: strOrNull(i.decisionReason),
});

const toVersion = (i: Item): SheetVersionRecord => ({
  tenantId: str(i.tenantId),
  bookingId: str(i.bookingId),
  version: Number(i.version),
  sheetId: str(i.sheetId),
  action: i.action as SheetAction,
  status: i.status as SheetStatus,
  changes: parse<FieldChange[]>(i.changes),
  reason: strOrNull(i.reason),
  sourceRunId: strOrNull(i.sourceRunId),
  validation: parse<SheetValidation>(i.validation),
  actor: str(i.actor),
  at: new Date(str(i.at)),
});

/** What a new version may change (null removes): identity and creation never change. */
const updatableAttributes = (s: BookingSheetRecord): Record<string, unknown> => ({
  gsi1pk: keys.sheetsByStatus(s.tenantId, s.status),
  gsi1sk: keys.sheetQueuePosition(s.statusChangedAt, s.bookingId),
  schemaName: s.schemaName,
  schemaVersion: s.schemaVersion,
  sourceRunId: s.sourceRunId,
  status: s.status,
  version: s.version,
  fields: JSON.stringify(s.fields),
  validation: JSON.stringify(s.validation),
  updatedBy: s.updatedBy,
  updatedAt: iso(s.updatedAt),
  lastEditedBy: s.lastEditedBy,
  lastEditedAt: iso(s.lastEditedAt),
  statusChangedAt: iso(s.statusChangedAt),
  submittedBy: s.submittedBy,
  submittedAt: s.submittedAt ? iso(s.submittedAt) : null,
  decidedBy: s.decidedBy,
  decidedAt: s.decidedAt ? iso(s.decidedAt) : null,
  decisionReason: s.decisionReason,
});

function sheetItem(s: BookingSheetRecord): Item {
  const item: Item = {
    ...keys.sheet(s.tenantId, s.bookingId),
    entity: 'booking_sheet',
    tenantId: s.tenantId,
    bookingId: s.bookingId,
    id: s.id,
    createdBy: s.createdBy,
    createdAt: iso(s.createdAt),
  };
  for (const [k, v] of Object.entries(updatableAttributes(s))) if (v !== null) item[k] = v;
  return item;
}

const versionItem = (v: SheetVersionRecord): Item => ({
  ...keys.sheetVersion(v.tenantId, v.bookingId, v.version),
  entity: 'booking_sheet_version',
  tenantId: v.tenantId,
  bookingId: v.bookingId,
  version: v.version,
  sheetId: v.sheetId,
  action: v.action,
  status: v.status,
  changes: JSON.stringify(v.changes),
  reason: v.reason ?? undefined,
  sourceRunId: v.sourceRunId ?? undefined,
  validation: JSON.stringify(v.validation),
  actor: v.actor,
  at: iso(v.at),
});

function assertSameVersion(next: BookingSheetRecord, history: SheetVersionRecord): void {
  if (
    history.version !== next.version ||
    history.tenantId !== next.tenantId ||
    history.bookingId !== next.bookingId ||
    history.sheetId !== next.id
  ) {
    throw new Error('a sheet write and its history row must describe the same sheet version');
  }
}

/**
 * Booking sheets: the current sheet and its history rows share one item collection, so a write is
 * one transaction of the sheet (conditional on the version read) and the new history row
 * (conditional on not existing). Counts by status (metrics, across tenants) are sharded counter
 * items moved in the same transactions, so no request ever scans.
 */
export function createDynamoBookingSheetStore({ doc, tables }: DynamoContext): BookingSheetStore {
  const TableName = tables.bookingSheets;

  function counter(status: SheetStatus, delta: 1 | -1): TransactItem {
    return {
      Update: {
        TableName,
        Key: { pk: keys.sheetCounts(), sk: `${status}#${randomInt(COUNTER_SHARDS)}` },
        UpdateExpression: 'ADD #count :delta SET #status = :status',
        ExpressionAttributeNames: { '#count': 'count', '#status': 'status' },
        ExpressionAttributeValues: { ':delta': delta, ':status': status },
      },
    };
  }

  async function findSheet(tenantId: string, bookingId: string): Promise<BookingSheetRecord | undefined> {
    const res = await doc.send(
      new GetCommand({ TableName, Key: keys.sheet(tenantId, bookingId), ConsistentRead: true }),
    );
    return res.Item ? toSheet(res.Item) : undefined;
  }

  async function update(
    expectedVersion: number,
    next: BookingSheetRecord,
    history: SheetVersionRecord,
  ): Promise<SheetWriteResult> {
    const current = await findSheet(next.tenantId, next.bookingId);
    if (!current || current.id !== next.id) return { ok: false, reason: 'not_found', current };
    if (current.version !== expectedVersion) return { ok: false, reason: 'version_mismatch', current };
    const u = updateExpression(updatableAttributes(next));
    const moves =
      current.status === next.status ? [] : [counter(current.status, -1), counter(next.status, 1)];
    try {
      await withConflictRetry(() =>
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName,
                  Key: keys.sheet(next.tenantId, next.bookingId),
                  UpdateExpression: u.expression,
                  ConditionExpression: 'attribute_exists(pk) AND #id = :id AND #expected = :expected',
                  ExpressionAttributeNames: { ...u.names, '#id': 'id', '#expected': 'version' },
                  ExpressionAttributeValues: { ...u.values, ':id': next.id, ':expected': expectedVersion },
                },
              },
              {
                Put: {
                  TableName,
                  Item: versionItem(history),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              ...moves,
            ],
          }),
        ),
      );
    } catch (err) {
      if (conditionFailedAt(err, 0) || conditionFailedAt(err, 1)) {
        const now = await findSheet(next.tenantId, next.bookingId);
        return {
          ok: false,
          reason: now && now.id === next.id ? 'version_mismatch' : 'not_found',
          current: now,
        };
      }
      throw err;
    }
    return { ok: true, record: { ...next, createdBy: current.createdBy, createdAt: current.createdAt } };
  }

  return {
    async createSheet(record, history) {
      assertSameVersion(record, history);
      if (record.version !== 1) throw new Error('a new sheet starts at version 1');
      try {
        await withConflictRetry(() =>
          doc.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName,
                    Item: sheetItem(record),
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
                {
                  Put: {
                    TableName,
                    Item: versionItem(history),
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
                counter(record.status, 1),
              ],
            }),
          ),
        );
      } catch (err) {
        if (conditionFailedAt(err, 0) || conditionFailedAt(err, 1)) {
          return { ok: false, reason: 'exists', current: await findSheet(record.tenantId, record.bookingId) };
        }
        throw err;
      }
      return { ok: true, record: toSheet(sheetItem(record)) };
    },

    findSheet,

    async updateSheetIfVersion(expectedVersion, next, history) {
      assertSameVersion(next, history);
      if (next.version !== expectedVersion + 1)
        throw new Error('the next sheet version must follow the expected one');
      return update(expectedVersion, next, history);
    },

    async listVersions(tenantId, bookingId, page) {
      if (page.limit <= 0) return [];
      const { pk } = keys.sheet(tenantId, bookingId);
      const upper = page.beforeVersion !== undefined ? sheetVersionKey(page.beforeVersion) : undefined;
      const res = await doc.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: upper
            ? 'pk = :pk AND sk BETWEEN :low AND :high'
            : 'pk = :pk AND begins_with(sk, :prefix)',
          // BETWEEN is inclusive: the upper bound is the version just below `beforeVersion`.
          ExpressionAttributeValues: upper
            ? {
                ':pk': pk,
                ':low': 'VERSION#',
                ':high': sheetVersionKey(Math.max(0, page.beforeVersion! - 1)),
              }
            : { ':pk': pk, ':prefix': 'VERSION#' },
          ScanIndexForward: false,
          Limit: page.limit,
          ConsistentRead: true,
        }),
      );
      return (res.Items ?? []).map(toVersion);
    },

    async listByStatus(tenantId, status, page) {
      if (page.limit <= 0) return [];
      const after = page.after;
      const res = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: gsiName(1),
          KeyConditionExpression: after ? 'gsi1pk = :pk AND gsi1sk > :after' : 'gsi1pk = :pk',
          ExpressionAttributeValues: {
            ':pk': keys.sheetsByStatus(tenantId, status),
            ...(after ? { ':after': keys.sheetQueuePosition(after.statusChangedAt, after.bookingId) } : {}),
          },
          Limit: page.limit,
        }),
      );
      return (res.Items ?? []).map(toSheet);
    },

    countByStatus: () => countsByStatus(doc, TableName, keys.sheetCounts(), SHEET_STATUSES),
  };
}
