import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AppError } from '../lib/errors.js';
import type { TableNames } from './tables.js';

export type Item = Record<string, unknown>;

/** What every DynamoDB store of a module receives. */
export interface DynamoContext {
  doc: DynamoDBDocumentClient;
  tables: TableNames;
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    // Absent optional fields are simply not stored; a null is mapped to an absent attribute by the stores.
    marshallOptions: { removeUndefinedValues: true },
  });
}

const errorName = (err: unknown) => (err as { name?: string } | null)?.name;

export const isConditionalCheckFailed = (err: unknown) =>
  errorName(err) === 'ConditionalCheckFailedException';

/** Per-item reasons of a cancelled transaction, in the order of its items. */
export function cancellationCodes(err: unknown): string[] | undefined {
  if (errorName(err) !== 'TransactionCanceledException') return undefined;
  const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}

/** True when the write lost a condition: a plain conditional write, or item `index` of a transaction. */
export function conditionFailedAt(err: unknown, index: number): boolean {
  if (isConditionalCheckFailed(err)) return true;
  return cancellationCodes(err)?.[index] === 'ConditionalCheckFailed';
}

/**
 * A transaction that collided with another one in flight on the same item (a counter shared by
 * two bookings, the user count) is cancelled with TransactionConflict and did nothing: it is
 * safe to run again. A condition failure is never a conflict and is returned to the caller.
 */
function isRetryableConflict(err: unknown): boolean {
  if (errorName(err) === 'TransactionConflictException') return true;
  const codes = cancellationCodes(err);
  return !!codes && codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed');
}

export async function withConflictRetry<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryableConflict(err) || attempt >= attempts) {
        if (isRetryableConflict(err))
          throw new AppError('CONFLICT', 'Too many concurrent writes; retry', { cause: err });
        throw err;
      }
      // Full jitter: colliding writers spread out instead of colliding again in lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(1000, 10 * 2 ** attempt)));
    }
  }
}

export const iso = (d: Date): string => d.toISOString();
export const isoOrUndefined = (d: Date | null | undefined): string | undefined =>
  d ? d.toISOString() : undefined;
export const dateOrNull = (v: unknown): Date | null => (typeof v === 'string' ? new Date(v) : null);
export const str = (v: unknown): string => v as string;
export const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
/** Epoch seconds for the TTL attribute. */
export const epochSeconds = (d: Date): number => Math.ceil(d.getTime() / 1000);

/** Collects FilterExpression clauses with generated placeholders. */
export class Conditions {
  readonly clauses: string[] = [];
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private n = 0;

  private name(attr: string): string {
    const key = `#f${this.n}`;
    this.names[key] = attr;
    return key;
  }

  private value(v: unknown): string {
    const key = `:f${this.n++}`;
    this.values[key] = v;
    return key;
  }

  compare(attr: string, op: '=' | '<' | '<=' | '>' | '>=', v: unknown): this {
    const n = this.name(attr);
    this.clauses.push(`${n} ${op} ${this.value(v)}`);
    return this;
  }

  beginsWith(attr: string, prefix: string): this {
    const n = this.name(attr);
    this.clauses.push(`begins_with(${n}, ${this.value(prefix)})`);
    return this;
  }

  absent(attr: string): this {
    this.clauses.push(`attribute_not_exists(${this.name(attr)})`);
    this.n++;
    return this;
  }

  get expression(): string | undefined {
    return this.clauses.length > 0 ? this.clauses.join(' AND ') : undefined;
  }
}

export interface NewestFirstQuery {
  table: string;
  /** A GSI name; the base table when absent. */
  index?: string;
  pkAttr: string;
  skAttr: string;
  pk: string;
  /** Only items whose sort key (an id) is below this one. */
  beforeId?: string | undefined;
  filter?: Conditions;
  limit: number;
  /** Query calls allowed for this page; Infinity keeps going until `limit` items or the end. */
  maxPages: number;
  /**
   * Sort keys are `<skPrefix><id>` in an item collection that holds other kinds of item below the
   * prefix (a booking's documents next to the booking); positions are the ids without the prefix.
   */
  skPrefix?: string;
  /** Items one filtered Query reads (its `Limit`); derived from `limit` when absent. */
  readSize?: number;
  consistent?: boolean;
}

export interface NewestFirstPage {
  items: Item[];
  /** Where the next call continues (ids below this one); undefined once the partition is exhausted. */
  nextBeforeId: string | undefined;
}

/**
 * Newest-first page of one partition whose sort key is a time-ordered id.
 *
 * Without a filter, one Query with `Limit` returns exactly the page. With a FilterExpression,
 * DynamoDB applies the filter after reading, so one Query may return few or no matches and
 * reading until `limit` matches could walk a whole tenant's partition. Each call is therefore
 * capped at `maxPages` Queries: when the cap is reached before `limit` matches, the page returns
 * the matches it has plus the position where reading stopped (the sort key of the last item
 * read, not of the last match), so the next call resumes without gaps or duplicates. The cost of
 * a page is bounded at the price of pages that may be short (even empty) while more exist; the
 * common filters avoid this by being key conditions of their own index. Cursor stability comes
 * from the sort key: ids never change, so a position is valid however the data moves.
 */
export async function queryNewestFirst(
  doc: DynamoDBDocumentClient,
  q: NewestFirstQuery,
): Promise<NewestFirstPage> {
  if (q.limit <= 0) return { items: [], nextBeforeId: q.beforeId };
  const prefix = q.skPrefix ?? '';
  const idOf = (item: Record<string, unknown>) => str(item[q.skAttr]).slice(prefix.length);
  // The upper bound: below the position, or (with a prefix) just above every key of that prefix.
  const upper =
    q.beforeId !== undefined
      ? prefix + q.beforeId
      : prefix
        ? prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)
        : undefined;
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  let ended = false;
  const filterExpr = q.filter?.expression;
  for (let page = 0; page < q.maxPages && !ended; page++) {
    const want = q.limit - items.length;
    const input: QueryCommandInput = {
      TableName: q.table,
      IndexName: q.index,
      KeyConditionExpression: upper !== undefined ? '#pk = :pk AND #sk < :upper' : '#pk = :pk',
      ExpressionAttributeNames: {
        '#pk': q.pkAttr,
        ...(upper !== undefined ? { '#sk': q.skAttr } : {}),
        ...q.filter?.names,
      },
      ExpressionAttributeValues: {
        ':pk': q.pk,
        ...(upper !== undefined ? { ':upper': upper } : {}),
        ...q.filter?.values,
      },
      FilterExpression: filterExpr,
      ScanIndexForward: false,
      // Unfiltered: read exactly what is needed. Filtered: read in larger steps, matches are sparse.
      Limit: filterExpr ? (q.readSize ?? Math.min(1000, Math.max(100, want * 4))) : want,
      ExclusiveStartKey: startKey,
      ConsistentRead: q.index ? undefined : q.consistent,
    };
    const res = await doc.send(new QueryCommand(input));
    for (const item of res.Items ?? []) {
      // Reading down an item collection, keys below the prefix are other kinds of item: the end.
      if (prefix && !str(item[q.skAttr]).startsWith(prefix)) {
        ended = true;
        break;
      }
      items.push(item);
    }
    startKey = ended ? undefined : res.LastEvaluatedKey;
    if (items.length >= q.limit) {
      const pageItems = items.slice(0, q.limit);
      const more = items.length > q.limit || !!startKey;
      return { items: pageItems, nextBeforeId: more ? idOf(pageItems[pageItems.length - 1]!) : undefined };
    }
    if (!startKey) return { items, nextBeforeId: undefined };
  }
  return { items, nextBeforeId: startKey ? idOf(startKey) : undefined };
}

/** Every item of a partition (small, bounded collections: a tenant's products, a token family). */
export async function queryAll(doc: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Item[]> {
  const out: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    for (const item of res.Items ?? []) out.push(item);
    startKey = res.LastEvaluatedKey;
  } while (startKey);
  return out;
}

/** Builds `SET a = :a, ... REMOVE b, ...` from a map where null means "remove the attribute". */
export function updateExpression(
  attrs: Record<string, unknown>,
  extraSet: string[] = [],
): { expression: string; names: Record<string, string>; values: Record<string, unknown> } {
  const set: string[] = [...extraSet];
  const remove: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  let i = 0;
  for (const [attr, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    const n = `#u${i}`;
    names[n] = attr;
    if (v === null) remove.push(n);
    else {
      values[`:u${i}`] = v;
      set.push(`${n} = :u${i}`);
    }
    i++;
  }
  const parts: string[] = [];
  if (set.length > 0) parts.push(`SET ${set.join(', ')}`);
  if (remove.length > 0) parts.push(`REMOVE ${remove.join(', ')}`);
  return { expression: parts.join(' '), names, values };
}

/** Query calls one bounded page may make (see queryNewestFirst). */
export const BOUNDED_PAGES = 10;

/**
 * The port's list returns a bare array, where a short result means "no more": so it chains bounded
 * pages until it has `limit` items or the partition ends. `listPage` is the bounded primitive for a
 * caller that can carry a continuation position in its cursor.
 */
export async function listAll<T>(
  limit: number,
  beforeId: string | undefined,
  page: (
    limit: number,
    beforeId: string | undefined,
  ) => Promise<{ items: T[]; nextBeforeId: string | undefined }>,
): Promise<T[]> {
  const out: T[] = [];
  let position = beforeId;
  for (;;) {
    const res = await page(limit - out.length, position);
    out.push(...res.items);
    if (out.length >= limit || res.nextBeforeId === undefined) return out;
    position = res.nextBeforeId;
  }
}

type Key = { pk: string; sk: string };
const pause = (attempt: number) =>
  new Promise((r) => setTimeout(r, Math.random() * Math.min(1000, 20 * 2 ** attempt)));

/** Items by key (any order), 100 keys per call, retrying what DynamoDB left unprocessed. */
export async function batchGet(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: Key[],
  consistent = true,
): Promise<Item[]> {
  const out: Item[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, unknown>[] = keys.slice(i, i + 100);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await pause(attempt);
      const res = await doc.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: consistent } } }),
      );
      out.push(...(res.Responses?.[table] ?? []));
      pending = res.UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return out;
}

/** Puts and deletes, 25 per call, retrying what DynamoDB left unprocessed. Not atomic. */
export async function batchWrite(
  doc: DynamoDBDocumentClient,
  table: string,
  writes: ({ put: Item } | { delete: Key })[],
): Promise<void> {
  for (let i = 0; i < writes.length; i += 25) {
    let pending = writes
      .slice(i, i + 25)
      .map((w) => ('put' in w ? { PutRequest: { Item: w.put } } : { DeleteRequest: { Key: w.delete } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await pause(attempt);
      const res = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (res.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }
}

/** Deletes every item of one partition (a document's pages): a cleanup, not an atomic step. */
export async function deletePartition(doc: DynamoDBDocumentClient, table: string, pk: string): Promise<void> {
  const items = await queryAll(doc, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': pk },
    ProjectionExpression: 'pk, sk',
  });
  await batchWrite(
    doc,
    table,
    items.map((i) => ({ delete: { pk: str(i.pk), sk: str(i.sk) } })),
  );
}

/**
 * Sums the (sharded) status counters kept under one partition into a count per status; statuses
 * outside `statuses` are ignored, and every listed status appears (0 when absent).
 */
export async function countsByStatus<S extends string>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  counterPk: string,
  statuses: readonly S[],
): Promise<Record<S, number>> {
  const items = await queryAll(doc, {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': counterPk },
    ConsistentRead: true,
  });
  const out = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<S, number>;
  for (const i of items) {
    const status = str(i.status);
    if ((statuses as readonly string[]).includes(status)) out[status as S] += Number(i.count ?? 0);
  }
  return out;
}
