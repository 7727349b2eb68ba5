import { randomInt } from 'node:crypto';
import {
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { AppError } from '../lib/errors.js';
import type {
  BookingStatus,
  LoanBookingFilters,
  LoanBookingRecord,
  LoanBookingStore,
  SyncState,
  UpdateResult,
} from '../modules/loan-bookings/loan-bookings.store.js';
import { customerNameKey } from '../modules/loan-bookings/loan-bookings.store.js';
import {
  BOUNDED_PAGES,
  Conditions,
  conditionFailedAt,
  dateOrNull,
  isConditionalCheckFailed,
  iso,
  isoOrUndefined,
  listAll,
  queryAll,
  queryNewestFirst,
  str,
  strOrNull,
  updateExpression,
  withConflictRetry,
  type DynamoContext,
  type Item,
} from './client.js';
import { COUNTER_SHARDS, gsiName, keys } from './tables.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const toRecord = (i: Item): LoanBookingRecord => ({
  id: str(i.id),
  tenantId: str(i.tenantId),
  customerName: str(i.customerName),
  productId: str(i.productId),
  externalReference: strOrNull(i.externalReference),
  notes: strOrNull(i.notes),
  status: i.status as BookingStatus,
  version: Number(i.version),
  createdBy: str(i.createdBy),
  createdAt: new Date(str(i.createdAt)),
  updatedBy: str(i.updatedBy),
  updatedAt: new Date(str(i.updatedAt)),
  deletedAt: dateOrNull(i.deletedAt),
  deletedBy: strOrNull(i.deletedBy),
  sync: {
    state: i.syncState as SyncState,
    jobId: strOrNull(i.syncJobId),
    error: strOrNull(i.syncError),
    updatedAt: dateOrNull(i.syncUpdatedAt),
  },
});

/** Index keys of a booking: live bookings are in the tenant, product, status and product+status lists. */
function indexKeys(r: LoanBookingRecord): Record<string, string | null> {
  if (r.deletedAt) {
    return {
      gsi1pk: keys.bookingsDeleted(r.tenantId),
      gsi1sk: r.id,
      gsi2pk: null,
      gsi2sk: null,
      gsi3pk: null,
      gsi3sk: null,
      gsi4pk: null,
      gsi4sk: null,
    };
  }
  return {
    gsi1pk: keys.bookingsLive(r.tenantId),
    gsi1sk: r.id,
    gsi2pk: keys.bookingsByProduct(r.tenantId, r.productId),
    gsi2sk: r.id,
    gsi3pk: keys.bookingsByStatus(r.tenantId, r.status),
    gsi3sk: r.id,
    gsi4pk: keys.bookingsByProductStatus(r.tenantId, r.productId, r.status),
    gsi4sk: r.id,
  };
}

/** What an edit, transition or delete may change (null removes). Sync fields belong to setSyncStatus. */
const mutableAttributes = (r: LoanBookingRecord): Record<string, unknown> => ({
  customerName: r.customerName,
  customerNameKey: customerNameKey(r.customerName),
  productId: r.productId,
  externalReference: r.externalReference,
  notes: r.notes,
  status: r.status,
  version: r.version,
  updatedBy: r.updatedBy,
  updatedAt: iso(r.updatedAt),
  deletedAt: r.deletedAt ? iso(r.deletedAt) : null,
  deletedBy: r.deletedBy,
  ...indexKeys(r),
});

function toItem(r: LoanBookingRecord): Item {
  const item: Item = {
    ...keys.booking(r.tenantId, r.id),
    entity: 'loan_booking',
    id: r.id,
    tenantId: r.tenantId,
    createdBy: r.createdBy,
    createdAt: iso(r.createdAt),
    syncState: r.sync.state,
    syncJobId: r.sync.jobId ?? undefined,
    syncError: r.sync.error ?? undefined,
    syncUpdatedAt: isoOrUndefined(r.sync.updatedAt),
  };
  for (const [k, v] of Object.entries(mutableAttributes(r))) if (v !== null) item[k] = v;
  return item;
}

const MAX_OPTIMISTIC_ATTEMPTS = 10;

export interface DynamoLoanBookingStore extends LoanBookingStore {
  /** One bounded page: at most `maxPages` Queries, with where to continue (see queryNewestFirst). */
  listPage(
    tenantId: string,
    filters: LoanBookingFilters,
    page: { limit: number; beforeId?: string | undefined },
    maxPages: number,
  ): Promise<{ items: LoanBookingRecord[]; nextBeforeId: string | undefined }>;
}

/**
 * Loan bookings. The status breakdown of a product is kept in counter items (sharded, so that
 * concurrent bookings of one product seldom write the same item) that change in the same
 * transaction as the booking whose product, status or liveness changes: the counts are always
 * those of the stored bookings, and reading them is one Query of a few items, never a scan.
 */
export function createDynamoLoanBookingStore({ doc, tables }: DynamoContext): DynamoLoanBookingStore {
  const TableName = tables.loanBookings;

  function counter(tenantId: string, productId: string, status: BookingStatus, delta: 1 | -1): TransactItem {
    return {
      Update: {
        TableName,
        Key: {
          pk: keys.breakdown(tenantId, productId),
          sk: keys.breakdownShard(status, randomInt(COUNTER_SHARDS)),
        },
        UpdateExpression: 'ADD #count :delta SET #status = :status, entity = :entity',
        ExpressionAttributeNames: { '#count': 'count', '#status': 'status' },
        ExpressionAttributeValues: { ':delta': delta, ':status': status, ':entity': 'status_counter' },
      },
    };
  }

  /** Counter moves for a change from `prev` to `next`; none when the booking stays in the same bucket. */
  function counterMoves(prev: LoanBookingRecord | undefined, next: LoanBookingRecord): TransactItem[] {
    const bucket = (r: LoanBookingRecord | undefined) =>
      r && !r.deletedAt ? `${r.productId}\u0000${r.status}` : undefined;
    if (bucket(prev) === bucket(next)) return [];
    const moves: TransactItem[] = [];
    if (prev && !prev.deletedAt) moves.push(counter(prev.tenantId, prev.productId, prev.status, -1));
    if (!next.deletedAt) moves.push(counter(next.tenantId, next.productId, next.status, 1));
    return moves;
  }

  async function get(tenantId: string, id: string): Promise<LoanBookingRecord | undefined> {
    const res = await doc.send(
      new GetCommand({ TableName, Key: keys.booking(tenantId, id), ConsistentRead: true }),
    );
    return res.Item ? toRecord(res.Item) : undefined;
  }

  /** Writes `next` if the stored booking is still live at `prev.version`; false when it is not. */
  async function write(prev: LoanBookingRecord, next: LoanBookingRecord): Promise<boolean> {
    const u = updateExpression(mutableAttributes(next));
    const update = {
      TableName,
      Key: keys.booking(prev.tenantId, prev.id),
      UpdateExpression: u.expression,
      ConditionExpression:
        'attribute_exists(pk) AND attribute_not_exists(deletedAt) AND #expected = :expected',
      ExpressionAttributeNames: { ...u.names, '#expected': 'version' },
      ExpressionAttributeValues: { ...u.values, ':expected': prev.version },
    };
    const moves = counterMoves(prev, next);
    try {
      await withConflictRetry<unknown>(() =>
        moves.length === 0
          ? doc.send(new UpdateCommand(update))
          : doc.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, ...moves] })),
      );
      return true;
    } catch (err) {
      if (conditionFailedAt(err, 0)) return false;
      throw err;
    }
  }

  /**
   * Read, decide, write with the read version as the condition: the counters need the previous
   * product and status, and the condition makes the read-decide-write atomic. A caller's expected
   * version is checked against the read; without one, a lost race is simply retried.
   */
  async function mutate(
    tenantId: string,
    id: string,
    expectedVersion: number | undefined,
    decide: (current: LoanBookingRecord) => LoanBookingRecord | UpdateResult,
  ): Promise<UpdateResult> {
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt++) {
      const current = await get(tenantId, id);
      if (!current || current.deletedAt) return { ok: false, reason: 'not_found' };
      if (expectedVersion !== undefined && current.version !== expectedVersion)
        return { ok: false, reason: 'version_mismatch' };
      const next = decide(current);
      if ('ok' in next) return next;
      if (await write(current, next)) return { ok: true, record: next };
    }
    throw new AppError('CONFLICT', 'The loan booking is changing too often; retry');
  }

  async function listPage(
    tenantId: string,
    f: LoanBookingFilters,
    page: { limit: number; beforeId?: string | undefined },
    maxPages: number,
  ) {
    const filter = new Conditions();
    let source: { index: string; pkAttr: string; skAttr: string; pk: string };
    const gsi = (n: number, pk: string) => ({
      index: gsiName(n),
      pkAttr: `gsi${n}pk`,
      skAttr: `gsi${n}sk`,
      pk,
    });
    if (f.deleted) {
      // Deleted bookings are few: product and status filter within the tenant's deleted list.
      source = gsi(1, keys.bookingsDeleted(tenantId));
      if (f.productId) filter.compare('productId', '=', f.productId);
      if (f.status) filter.compare('status', '=', f.status);
    } else if (f.productId && f.status) {
      source = gsi(4, keys.bookingsByProductStatus(tenantId, f.productId, f.status));
    } else if (f.productId) {
      source = gsi(2, keys.bookingsByProduct(tenantId, f.productId));
    } else if (f.status) {
      source = gsi(3, keys.bookingsByStatus(tenantId, f.status));
    } else {
      source = gsi(1, keys.bookingsLive(tenantId));
    }
    if (f.customerNamePrefix) filter.beginsWith('customerNameKey', f.customerNamePrefix);
    if (f.createdFrom) filter.compare('createdAt', '>=', iso(f.createdFrom));
    if (f.createdTo) filter.compare('createdAt', '<', iso(f.createdTo));
    if (f.createdBy) filter.compare('createdBy', '=', f.createdBy);
    const res = await queryNewestFirst(doc, {
      table: TableName,
      ...source,
      beforeId: page.beforeId,
      filter,
      limit: page.limit,
      maxPages,
    });
    return { items: res.items.map(toRecord), nextBeforeId: res.nextBeforeId };
  }

  return {
    async create(rec) {
      const record: LoanBookingRecord = { ...rec, deletedAt: null, deletedBy: null };
      try {
        await withConflictRetry(() =>
          doc.send(
            new TransactWriteCommand({
              TransactItems: [
                { Put: { TableName, Item: toItem(record), ConditionExpression: 'attribute_not_exists(pk)' } },
                ...counterMoves(undefined, record),
              ],
            }),
          ),
        );
      } catch (err) {
        if (conditionFailedAt(err, 0))
          throw new AppError('CONFLICT', 'A loan booking with this id already exists');
        throw err;
      }
      return toRecord(toItem(record));
    },

    async find(tenantId, id, opts) {
      const record = await get(tenantId, id);
      if (!record || (record.deletedAt && !opts?.includeDeleted)) return undefined;
      return record;
    },

    listPage,

    async list(tenantId, filters, page) {
      return listAll(page.limit, page.beforeId, (limit, beforeId) =>
        listPage(tenantId, filters, { limit, beforeId }, BOUNDED_PAGES),
      );
    },

    update(tenantId, id, expectedVersion, patch, actor, now) {
      return mutate(tenantId, id, expectedVersion, (c) => ({
        ...c,
        customerName: patch.customerName ?? c.customerName,
        productId: patch.productId ?? c.productId,
        externalReference:
          patch.externalReference !== undefined ? patch.externalReference : c.externalReference,
        notes: patch.notes !== undefined ? patch.notes : c.notes,
        status: patch.status ?? c.status,
        version: c.version + 1,
        updatedBy: actor,
        updatedAt: now,
      }));
    },

    transition(tenantId, id, to, from, actor, now) {
      return mutate(tenantId, id, undefined, (c) => {
        if (from && from.length > 0 && !from.includes(c.status))
          return { ok: false, reason: 'invalid_state' };
        return { ...c, status: to, version: c.version + 1, updatedBy: actor, updatedAt: now };
      });
    },

    softDelete(tenantId, id, expectedVersion, actor, now) {
      return mutate(tenantId, id, expectedVersion, (c) => ({
        ...c,
        deletedAt: now,
        deletedBy: actor,
        version: c.version + 1,
        updatedBy: actor,
        updatedAt: now,
      }));
    },

    async setSyncStatus(tenantId, id, sync) {
      const u = updateExpression({
        syncState: sync.state,
        syncJobId: sync.jobId,
        syncError: sync.error,
        syncUpdatedAt: sync.updatedAt ? iso(sync.updatedAt) : null,
      });
      try {
        const res = await doc.send(
          new UpdateCommand({
            TableName,
            Key: keys.booking(tenantId, id),
            UpdateExpression: u.expression,
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)',
            ExpressionAttributeNames: u.names,
            ExpressionAttributeValues: u.values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return res.Attributes ? toRecord(res.Attributes) : undefined;
      } catch (err) {
        if (isConditionalCheckFailed(err)) return undefined;
        throw err;
      }
    },

    async statusBreakdown(tenantId, productId) {
      const items = await queryAll(doc, {
        TableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.breakdown(tenantId, productId) },
        ConsistentRead: true,
      });
      const totals = new Map<BookingStatus, number>();
      for (const i of items) {
        const status = i.status as BookingStatus;
        totals.set(status, (totals.get(status) ?? 0) + Number(i.count ?? 0));
      }
      const out: Partial<Record<BookingStatus, number>> = {};
      for (const [status, n] of totals) if (n > 0) out[status] = n;
      return out;
    },
  };
}
