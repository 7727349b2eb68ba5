import { createHash, randomInt, randomUUID } from 'node:crypto';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { AppError } from '../lib/errors.js';
import type { FileKind } from '../lib/text-extraction/types.js';
import {
  DOCUMENT_STATUSES,
  type DocumentFilters,
  type DocumentRecord,
  type DocumentStatus,
  type DocumentStore,
  type ClaimResult,
  type DocumentType,
  type SearchHit,
  type SourcePage,
} from '../modules/documents/documents.store.js';
import {
  batchGet,
  batchWrite,
  cancellationCodes,
  Conditions,
  dateOrNull,
  deletePartition,
  iso,
  listAll,
  queryAll,
  queryNewestFirst,
  str,
  strOrNull,
  updateExpression,
  withConflictRetry,
  BOUNDED_PAGES,
  type DynamoContext,
  type Item,
  countsByStatus,
} from './client.js';
import { COUNTER_SHARDS, DOCUMENT_SK_PREFIX, gsiName, keys, pageKey } from './tables.js';
import { matchPassage, parseQuery } from './text-search.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);

const toRecord = (i: Item): DocumentRecord => ({
  id: str(i.id),
  tenantId: str(i.tenantId),
  bookingId: str(i.bookingId),
  fileName: str(i.fileName),
  contentType: str(i.contentType),
  kind: i.kind as FileKind,
  sizeBytes: Number(i.sizeBytes),
  sha256: str(i.sha256),
  blobKey: str(i.blobKey),
  status: i.status as DocumentStatus,
  errorCode: strOrNull(i.errorCode),
  errorMessage: strOrNull(i.errorMessage),
  pageCount: numOrNull(i.pageCount),
  ocrPages: numOrNull(i.ocrPages),
  documentType: strOrNull(i.documentType) as DocumentType | null,
  documentTypeConfidence: numOrNull(i.documentTypeConfidence),
  uploadedBy: str(i.uploadedBy),
  uploadedAt: new Date(str(i.uploadedAt)),
  processedAt: dateOrNull(i.processedAt),
  attempts: Number(i.attempts ?? 0),
  leaseToken: strOrNull(i.leaseToken),
  leaseExpiresAt: dateOrNull(i.leaseExpiresAt),
  deletedAt: dateOrNull(i.deletedAt),
});

const uploadedShard = (id: string) =>
  createHash('sha256').update(id).digest().readUInt32BE(0) % COUNTER_SHARDS;

/**
 * Index keys: live documents are listed per tenant and per status; those waiting in `uploaded`
 * (by upload time) and those `processing` under a lease (by lease end) are also in the
 * cross-tenant index the maintenance sweep reads, oldest first, to find work whose job was lost.
 */
function indexKeys(r: DocumentRecord): Record<string, string | null> {
  const live = !r.deletedAt;
  const waiting = live && r.status === 'uploaded';
  const leased = live && r.status === 'processing' && r.leaseExpiresAt !== null;
  return {
    gsi1pk: live ? keys.documentsLive(r.tenantId) : null,
    gsi1sk: live ? r.id : null,
    gsi2pk: waiting
      ? keys.documentsUploaded(uploadedShard(r.id))
      : leased
        ? keys.documentsLeased(uploadedShard(r.id))
        : null,
    gsi2sk: waiting ? `${iso(r.uploadedAt)}#${r.id}` : leased ? `${iso(r.leaseExpiresAt!)}#${r.id}` : null,
    gsi3pk: live ? keys.documentsByStatus(r.tenantId, r.status) : null,
    gsi3sk: live ? r.id : null,
  };
}

/** Everything a state change may touch (null removes). */
const mutableAttributes = (r: DocumentRecord): Record<string, unknown> => ({
  ...indexKeys(r),
  status: r.status,
  errorCode: r.errorCode,
  errorMessage: r.errorMessage,
  pageCount: r.pageCount,
  ocrPages: r.ocrPages,
  documentType: r.documentType,
  documentTypeConfidence: r.documentTypeConfidence,
  processedAt: r.processedAt ? iso(r.processedAt) : null,
  attempts: r.attempts,
  leaseToken: r.leaseToken,
  leaseExpiresAt: r.leaseExpiresAt ? iso(r.leaseExpiresAt) : null,
  deletedAt: r.deletedAt ? iso(r.deletedAt) : null,
});

function toItem(r: DocumentRecord): Item {
  const item: Item = {
    ...keys.document(r.tenantId, r.bookingId, r.id),
    entity: 'document',
    id: r.id,
    tenantId: r.tenantId,
    bookingId: r.bookingId,
    fileName: r.fileName,
    contentType: r.contentType,
    kind: r.kind,
    sizeBytes: r.sizeBytes,
    sha256: r.sha256,
    blobKey: r.blobKey,
    uploadedBy: r.uploadedBy,
    uploadedAt: iso(r.uploadedAt),
    rev: 1,
  };
  for (const [k, v] of Object.entries(mutableAttributes(r))) if (v !== null) item[k] = v;
  return item;
}

interface Loaded {
  record: DocumentRecord;
  rev: number;
  /** The lease token whose pages and passages are current (set when processing completed). */
  contentToken: string | undefined;
}

const loaded = (i: Item): Loaded => ({
  record: toRecord(i),
  rev: Number(i.rev ?? 0),
  contentToken: typeof i.contentToken === 'string' ? i.contentToken : undefined,
});

type Decision<T> =
  | {
      write: DocumentRecord;
      extra?: TransactItem[];
      contentToken?: string | null;
      result: (r: DocumentRecord) => T;
    }
  | { done: T };

const MAX_OPTIMISTIC_ATTEMPTS = 10;
/** DynamoDB's limit of actions in one transaction, and what one new document takes (3 items). */
const MAX_TRANSACTION_ITEMS = 100;
const ITEMS_PER_DOCUMENT = 3;
const POINTER_CACHE_SIZE = 10_000;

/**
 * Documents live in their booking's item collection (pk of the booking): the booking and all its
 * documents come back from one strongly consistent Query, which is what uploads, summaries and
 * the search need. Lookups by id go through an immutable id -> (tenant, booking) pointer, cached.
 * Each state change is read, decide, write conditional on a revision number, with the status
 * counters (metrics) moved in the same transaction. Page texts and passages are written under
 * the lease token of the attempt that produced them and become current only when the document
 * item names that token: a worker that lost its lease can never overwrite the current text.
 */
export function createDynamoDocumentStore({ doc, tables }: DynamoContext): DocumentStore {
  const TableName = tables.loanBookings;
  const pointers = new Map<string, { tenantId: string; bookingId: string }>();

  function counter(status: DocumentStatus, delta: number): TransactItem {
    return {
      Update: {
        TableName,
        Key: { pk: keys.documentCounts(), sk: `${status}#${randomInt(COUNTER_SHARDS)}` },
        UpdateExpression: 'ADD #count :delta SET #status = :status',
        ExpressionAttributeNames: { '#count': 'count', '#status': 'status' },
        ExpressionAttributeValues: { ':delta': delta, ':status': status },
      },
    };
  }

  function counterMoves(prev: DocumentRecord, next: DocumentRecord): TransactItem[] {
    const bucket = (r: DocumentRecord) => (r.deletedAt ? undefined : r.status);
    if (bucket(prev) === bucket(next)) return [];
    const moves: TransactItem[] = [];
    if (bucket(prev)) moves.push(counter(prev.status, -1));
    if (bucket(next)) moves.push(counter(next.status, 1));
    return moves;
  }

  async function pointer(id: string): Promise<{ tenantId: string; bookingId: string } | undefined> {
    const cached = pointers.get(id);
    if (cached) return cached;
    const res = await doc.send(
      new GetCommand({ TableName, Key: keys.documentById(id), ConsistentRead: true }),
    );
    if (!res.Item) return undefined;
    const p = { tenantId: str(res.Item.tenantId), bookingId: str(res.Item.bookingId) };
    if (pointers.size >= POINTER_CACHE_SIZE) pointers.clear();
    pointers.set(id, p);
    return p;
  }

  async function load(tenantId: string, id: string): Promise<Loaded | undefined> {
    const p = await pointer(id);
    if (!p || p.tenantId !== tenantId) return undefined;
    const res = await doc.send(
      new GetCommand({ TableName, Key: keys.document(tenantId, p.bookingId, id), ConsistentRead: true }),
    );
    return res.Item ? loaded(res.Item) : undefined;
  }

  async function bookingLive(tenantId: string, bookingId: string): Promise<boolean> {
    const res = await doc.send(
      new GetCommand({ TableName, Key: keys.booking(tenantId, bookingId), ConsistentRead: true }),
    );
    return !!res.Item && res.Item.deletedAt === undefined;
  }

  /** The booking and its documents, in one consistent Query of the item collection. */
  async function collection(
    tenantId: string,
    bookingId: string,
  ): Promise<{ booking: Item | undefined; documents: Loaded[] }> {
    const items = await queryAll(doc, {
      TableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.booking(tenantId, bookingId).pk },
      ConsistentRead: true,
    });
    return {
      booking: items.find((i) => i.sk === 'BOOKING'),
      documents: items.filter((i) => str(i.sk).startsWith(DOCUMENT_SK_PREFIX)).map(loaded),
    };
  }

  /**
   * Read, decide, write: the write is conditional on the revision read, so deciding in code is as
   * safe as a guarded UPDATE. A lost race re-reads and decides again.
   */
  async function mutate<T>(
    tenantId: string,
    id: string,
    missing: T,
    decide: (current: Loaded) => Decision<T>,
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt++) {
      const cur = await load(tenantId, id);
      if (!cur) return missing;
      const decision = decide(cur);
      if ('done' in decision) return decision.done;
      const next = decision.write;
      const attrs: Record<string, unknown> = { ...mutableAttributes(next), rev: cur.rev + 1 };
      if (decision.contentToken !== undefined) attrs.contentToken = decision.contentToken;
      const u = updateExpression(attrs);
      try {
        await withConflictRetry(() =>
          doc.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName,
                    Key: keys.document(tenantId, cur.record.bookingId, id),
                    UpdateExpression: u.expression,
                    ConditionExpression: 'attribute_exists(pk) AND #rev = :rev',
                    ExpressionAttributeNames: { ...u.names, '#rev': 'rev' },
                    ExpressionAttributeValues: { ...u.values, ':rev': cur.rev },
                  },
                },
                ...counterMoves(cur.record, next),
                ...(decision.extra ?? []),
              ],
            }),
          ),
        );
        return decision.result(next);
      } catch (err) {
        const codes = cancellationCodes(err);
        if (codes?.[0] === 'ConditionalCheckFailed') continue;
        // Another item's condition (the booking, the bytes' owner) failed: as if the document were not there.
        if (codes?.includes('ConditionalCheckFailed')) return missing;
        throw err;
      }
    }
    throw new AppError('CONFLICT', 'The document is changing too often; retry');
  }

  async function writeContent(
    tenantId: string,
    id: string,
    token: string,
    pages: { page: number; text: string; method: string }[],
    passages: { page: number; ordinal: number; start: number; end: number; text: string }[],
  ) {
    const pagesPk = keys.documentPages(tenantId, id, token);
    const passagesPk = keys.documentPassages(tenantId, id, token);
    await batchWrite(doc, TableName, [
      ...pages.map((p) => ({
        put: { pk: pagesPk, sk: pageKey(p.page), page: p.page, text: p.text, method: p.method },
      })),
      ...passages.map((p) => ({
        put: {
          pk: passagesPk,
          sk: `${pageKey(p.page)}#${pageKey(p.ordinal)}`,
          page: p.page,
          ordinal: p.ordinal,
          start: p.start,
          end: p.end,
          text: p.text,
        },
      })),
    ]);
  }

  async function deleteContent(
    tenantId: string,
    id: string,
    token: string | undefined | null,
  ): Promise<void> {
    if (!token) return;
    await deletePartition(doc, TableName, keys.documentPages(tenantId, id, token));
    await deletePartition(doc, TableName, keys.documentPassages(tenantId, id, token));
  }

  async function pagesOf(
    tenantId: string,
    d: Loaded,
  ): Promise<{ page: number; text: string; method: string }[]> {
    if (!d.contentToken) return [];
    const items = await queryAll(doc, {
      TableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.documentPages(tenantId, d.record.id, d.contentToken) },
      ConsistentRead: true,
    });
    return items.map((i) => ({ page: Number(i.page), text: str(i.text), method: str(i.method) }));
  }

  async function listPage(
    tenantId: string,
    f: DocumentFilters,
    page: { limit: number; beforeId?: string | undefined },
    maxPages: number,
  ) {
    const filter = new Conditions();
    let source: {
      index?: string;
      pkAttr: string;
      skAttr: string;
      pk: string;
      skPrefix?: string;
      consistent?: boolean;
    };
    if (f.bookingId) {
      source = {
        pkAttr: 'pk',
        skAttr: 'sk',
        pk: keys.booking(tenantId, f.bookingId).pk,
        skPrefix: DOCUMENT_SK_PREFIX,
        consistent: true,
      };
      if (f.status) filter.compare('status', '=', f.status);
    } else if (f.status) {
      source = {
        index: gsiName(3),
        pkAttr: 'gsi3pk',
        skAttr: 'gsi3sk',
        pk: keys.documentsByStatus(tenantId, f.status),
      };
    } else {
      source = { index: gsiName(1), pkAttr: 'gsi1pk', skAttr: 'gsi1sk', pk: keys.documentsLive(tenantId) };
    }
    if (f.kind) filter.compare('kind', '=', f.kind);
    if (f.documentType) filter.compare('documentType', '=', f.documentType);
    if (f.uploadedFrom) filter.compare('uploadedAt', '>=', iso(f.uploadedFrom));
    if (f.uploadedTo) filter.compare('uploadedAt', '<', iso(f.uploadedTo));
    // Deleted documents only remain in a booking's collection: the index partitions hold live ones.
    if (f.bookingId) filter.absent('deletedAt');
    const res = await queryNewestFirst(doc, {
      table: TableName,
      ...source,
      beforeId: page.beforeId,
      filter,
      limit: page.limit,
      maxPages,
    });
    // The booking's liveness (and, when asked, its product) is the booking's, read once per page.
    const bookingIds = [...new Set(res.items.map((i) => str(i.bookingId)))];
    const bookings = await batchGet(
      doc,
      TableName,
      bookingIds.map((b) => keys.booking(tenantId, b)),
    );
    const ok = new Set(
      bookings
        .filter((b) => b.deletedAt === undefined && (!f.productId || b.productId === f.productId))
        .map((b) => str(b.id)),
    );
    return {
      items: res.items.filter((i) => ok.has(str(i.bookingId))).map(toRecord),
      nextBeforeId: res.nextBeforeId,
    };
  }

  return {
    async createDocuments(records) {
      const created: DocumentRecord[] = [];
      const duplicates = new Map<string, DocumentRecord>();
      // Within one upload, the first file with given bytes is the one stored; later ones are its duplicates.
      const firstBySha = new Map<string, DocumentRecord>();
      for (const r of records) {
        const key = `${r.tenantId}\u0000${r.bookingId}\u0000${r.sha256}`;
        if (!firstBySha.has(key)) {
          firstBySha.set(key, {
            ...r,
            errorCode: null,
            errorMessage: null,
            ocrPages: null,
            documentType: null,
            documentTypeConfidence: null,
            processedAt: null,
            attempts: 0,
            leaseToken: null,
            leaseExpiresAt: null,
            deletedAt: null,
          });
        }
      }
      let pending = [...firstBySha.values()];
      const bookingKeys = [...new Set(pending.map((r) => `${r.tenantId}\u0000${r.bookingId}`))];
      if (
        pending.length * ITEMS_PER_DOCUMENT + bookingKeys.length + DOCUMENT_STATUSES.length >
        MAX_TRANSACTION_ITEMS
      ) {
        const most = Math.floor((MAX_TRANSACTION_ITEMS - 1 - DOCUMENT_STATUSES.length) / ITEMS_PER_DOCUMENT);
        throw new AppError('PAYLOAD_TOO_LARGE', `At most ${most} files per upload`);
      }
      // The booking must exist: the SQL store's foreign key, as a condition of the same transaction.
      const bookingChecks: TransactItem[] = bookingKeys.map((k) => {
        const [tenantId, bookingId] = k.split('\u0000') as [string, string];
        return {
          ConditionCheck: {
            TableName,
            Key: keys.booking(tenantId, bookingId),
            ConditionExpression: 'attribute_exists(pk)',
          },
        };
      });
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_OPTIMISTIC_ATTEMPTS)
          throw new AppError('CONFLICT', 'The upload collided with others too often; retry');
        const batch = pending;
        const perStatus = new Map<DocumentStatus, number>();
        for (const r of batch) perStatus.set(r.status, (perStatus.get(r.status) ?? 0) + 1);
        const items: TransactItem[] = batch.flatMap((r): TransactItem[] => [
          { Put: { TableName, Item: toItem(r), ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Put: {
              TableName,
              Item: {
                ...keys.documentById(r.id),
                entity: 'document_id',
                id: r.id,
                tenantId: r.tenantId,
                bookingId: r.bookingId,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          // One live document per booking and bytes: the uniqueness the SQL store gets from an index.
          {
            Put: {
              TableName,
              Item: {
                ...keys.documentSha(r.tenantId, r.bookingId, r.sha256),
                entity: 'document_sha',
                documentId: r.id,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ]);
        items.push(...bookingChecks, ...[...perStatus].map(([status, n]) => counter(status, n)));
        try {
          await withConflictRetry(() => doc.send(new TransactWriteCommand({ TransactItems: items })));
          created.push(...batch.map((r) => toRecord(toItem(r))));
          pending = [];
        } catch (err) {
          const codes = cancellationCodes(err);
          if (!codes?.includes('ConditionalCheckFailed')) throw err;
          const docItems = batch.length * ITEMS_PER_DOCUMENT;
          if (codes.slice(docItems, docItems + bookingChecks.length).includes('ConditionalCheckFailed'))
            throw new AppError('LOAN_BOOKING_NOT_FOUND');
          const taken = batch.filter(
            (_, i) => codes[i * ITEMS_PER_DOCUMENT + 2] === 'ConditionalCheckFailed',
          );
          if (taken.length === 0)
            throw new AppError('CONFLICT', 'A document with this id already exists', { cause: err });
          // The same bytes are already stored live in that booking: report the stored document.
          for (const r of taken) {
            const sha = await doc.send(
              new GetCommand({
                TableName,
                Key: keys.documentSha(r.tenantId, r.bookingId, r.sha256),
                ConsistentRead: true,
              }),
            );
            const existing = sha.Item ? await load(r.tenantId, str(sha.Item.documentId)) : undefined;
            // Deleted between our write and this read: the bytes are free again and the next round stores them.
            if (existing) duplicates.set(r.sha256, existing.record);
          }
          pending = batch.filter((r) => !(taken.includes(r) && duplicates.has(r.sha256)));
        }
      }
      for (const r of records) {
        if (created.some((c) => c.id === r.id)) continue;
        if (!duplicates.has(r.sha256)) {
          const first = created.find(
            (c) => c.tenantId === r.tenantId && c.bookingId === r.bookingId && c.sha256 === r.sha256,
          );
          if (first) duplicates.set(r.sha256, first);
        }
      }
      return { created, duplicates };
    },

    async findBySha256(tenantId, bookingId, sha256) {
      const sha = await doc.send(
        new GetCommand({
          TableName,
          Key: keys.documentSha(tenantId, bookingId, sha256),
          ConsistentRead: true,
        }),
      );
      if (!sha.Item) return undefined;
      const d = await load(tenantId, str(sha.Item.documentId));
      if (!d || d.record.deletedAt || !(await bookingLive(tenantId, d.record.bookingId))) return undefined;
      return d.record;
    },

    async find(tenantId, id) {
      const d = await load(tenantId, id);
      if (!d || d.record.deletedAt || !(await bookingLive(tenantId, d.record.bookingId))) return undefined;
      return d.record;
    },

    async list(tenantId, filters, page) {
      return listAll(page.limit, page.beforeId, (limit, beforeId) =>
        listPage(tenantId, filters, { limit, beforeId }, BOUNDED_PAGES),
      );
    },

    async claimForProcessing(tenantId, id, now, leaseMs) {
      const token = randomUUID();
      let stale: string | undefined;
      const result = await mutate<ClaimResult>(tenantId, id, { claimed: false, record: undefined }, (c) => {
        const r = c.record;
        const claimable =
          !r.deletedAt &&
          (r.status === 'uploaded' ||
            (r.status === 'processing' && !!r.leaseExpiresAt && r.leaseExpiresAt < now));
        if (!claimable) return { done: { claimed: false, record: r } };
        stale = r.leaseToken ?? undefined;
        return {
          write: {
            ...r,
            status: 'processing',
            leaseToken: token,
            leaseExpiresAt: new Date(now.getTime() + leaseMs),
            attempts: r.attempts + 1,
          },
          result: (next) => ({ claimed: true, record: next, token }),
        };
      });
      // A taken-over attempt may have written pages before it died: they can never become current.
      if (result.claimed && stale) await deleteContent(tenantId, id, stale);
      return result;
    },

    async completeProcessing(tenantId, id, token, result) {
      const before = await load(tenantId, id);
      if (!before || before.record.leaseToken !== token || before.record.deletedAt) return false;
      await writeContent(tenantId, id, token, result.pages, result.passages);
      let previous: string | undefined;
      const ok = await mutate<boolean>(tenantId, id, false, (c) => {
        if (c.record.leaseToken !== token || c.record.deletedAt) return { done: false };
        previous = c.contentToken;
        return {
          write: {
            ...c.record,
            status: 'processed',
            pageCount: result.pageCount,
            ocrPages: result.ocrPages,
            documentType: result.documentType,
            documentTypeConfidence: result.documentTypeConfidence,
            processedAt: result.processedAt,
            errorCode: null,
            errorMessage: null,
            leaseToken: null,
            leaseExpiresAt: null,
          },
          contentToken: token,
          result: () => true,
        };
      });
      if (!ok) await deleteContent(tenantId, id, token);
      else if (previous && previous !== token) await deleteContent(tenantId, id, previous);
      return ok;
    },

    failProcessing(tenantId, id, token, errorCode, errorMessage) {
      return mutate<boolean>(tenantId, id, false, (c) => {
        if (c.record.leaseToken !== token) return { done: false };
        return {
          write: {
            ...c.record,
            status: 'failed',
            errorCode,
            errorMessage,
            leaseToken: null,
            leaseExpiresAt: null,
          },
          result: () => true,
        };
      });
    },

    releaseProcessing(tenantId, id, token, lastError) {
      return mutate<boolean>(tenantId, id, false, (c) => {
        if (c.record.leaseToken !== token) return { done: false };
        return {
          write: {
            ...c.record,
            status: 'uploaded',
            errorMessage: lastError,
            leaseToken: null,
            leaseExpiresAt: null,
          },
          result: () => true,
        };
      });
    },

    resetForRetry(tenantId, id) {
      return mutate<DocumentRecord | undefined>(tenantId, id, undefined, (c) => {
        if (c.record.status !== 'failed' || c.record.deletedAt) return { done: undefined };
        return {
          write: { ...c.record, status: 'uploaded', errorCode: null, errorMessage: null, attempts: 0 },
          result: (next) => next,
        };
      });
    },

    async softDelete(tenantId, id, now) {
      let content: string | undefined;
      const deleted = await mutate<DocumentRecord | undefined>(tenantId, id, undefined, (c) => {
        if (c.record.deletedAt) return { done: undefined };
        const r = c.record;
        content = c.contentToken;
        return {
          write: { ...r, deletedAt: now, leaseToken: null, leaseExpiresAt: null },
          contentToken: null,
          extra: [
            // The bytes may be uploaded again once this document is gone.
            {
              Delete: {
                TableName,
                Key: keys.documentSha(tenantId, r.bookingId, r.sha256),
                ConditionExpression: 'attribute_not_exists(pk) OR documentId = :id',
                ExpressionAttributeValues: { ':id': id },
              },
            },
            {
              Update: {
                TableName,
                Key: keys.documentById(id),
                UpdateExpression: 'SET deletedAt = :now',
                ExpressionAttributeValues: { ':now': iso(now) },
              },
            },
            // A document of a deleted booking is invisible, and so cannot be deleted on its own.
            {
              ConditionCheck: {
                TableName,
                Key: keys.booking(tenantId, r.bookingId),
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)',
              },
            },
          ],
          result: (next) => next,
        };
      });
      if (deleted) await deleteContent(tenantId, id, content);
      return deleted;
    },

    async getPages(tenantId, documentId, range) {
      if (range.limit <= 0) return [];
      const d = await load(tenantId, documentId);
      if (!d || d.record.deletedAt || !d.contentToken) return [];
      const res = await doc.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk AND sk >= :from',
          ExpressionAttributeValues: {
            ':pk': keys.documentPages(tenantId, documentId, d.contentToken),
            ':from': pageKey(Math.max(0, range.from)),
          },
          Limit: range.limit,
          ConsistentRead: true,
        }),
      );
      return (res.Items ?? []).map((i) => ({
        page: Number(i.page),
        text: str(i.text),
        method: str(i.method),
      }));
    },

    async pagesForBooking(tenantId, bookingId, documentIds) {
      const { booking, documents } = await collection(tenantId, bookingId);
      if (!booking || booking.deletedAt !== undefined) return [];
      const wanted = documentIds && documentIds.length > 0 ? new Set(documentIds) : undefined;
      const docs = documents
        .filter(
          (d) =>
            d.record.status === 'processed' && !d.record.deletedAt && (!wanted || wanted.has(d.record.id)),
        )
        .sort((a, b) => (a.record.id < b.record.id ? -1 : 1));
      const out: SourcePage[] = [];
      for (const d of docs) {
        for (const p of await pagesOf(tenantId, d))
          out.push({ documentId: d.record.id, documentName: d.record.fileName, page: p.page, text: p.text });
      }
      return out;
    },

    async search(tenantId, bookingId, query, limit) {
      const parsed = parseQuery(query);
      if (limit <= 0 || parsed.groups.length === 0) return [];
      const { booking, documents } = await collection(tenantId, bookingId);
      if (!booking || booking.deletedAt !== undefined) return [];
      const hits: (SearchHit & { ordinal: number })[] = [];
      for (const d of documents.filter((x) => !x.record.deletedAt && x.contentToken)) {
        const passages = await queryAll(doc, {
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.documentPassages(tenantId, d.record.id, d.contentToken!) },
          ConsistentRead: true,
        });
        for (const p of passages) {
          const text = str(p.text);
          const m = matchPassage(parsed, text);
          if (!m) continue;
          hits.push({
            documentId: d.record.id,
            documentName: d.record.fileName,
            page: Number(p.page),
            start: Number(p.start),
            end: Number(p.end),
            text,
            score: m.score,
            highlights: m.highlights,
            ordinal: Number(p.ordinal),
          });
        }
      }
      hits.sort(
        (a, b) =>
          b.score - a.score ||
          (a.documentId < b.documentId ? -1 : a.documentId > b.documentId ? 1 : 0) ||
          a.page - b.page ||
          a.ordinal - b.ordinal,
      );
      return hits.slice(0, limit).map(({ ordinal: _ordinal, ...hit }) => hit);
    },

    async bookingSummary(tenantId, bookingId) {
      const { documents } = await collection(tenantId, bookingId);
      const out = Object.fromEntries(DOCUMENT_STATUSES.map((s) => [s, 0])) as Record<DocumentStatus, number>;
      for (const d of documents) if (!d.record.deletedAt) out[d.record.status] += 1;
      return out;
    },

    async listStuck(since, limit) {
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
        ...shards.map((shard) => query(keys.documentsUploaded(shard), since.uploadedBefore)),
        ...shards.map((shard) => query(keys.documentsLeased(shard), since.leaseExpiredBy)),
      ]);
      return perShard
        .flatMap((r) => r.Items ?? [])
        .map(toRecord)
        .sort((a, b) => a.uploadedAt.getTime() - b.uploadedAt.getTime())
        .slice(0, limit);
    },

    async liveDocumentIds(ids) {
      const items = await batchGet(
        doc,
        TableName,
        [...new Set(ids)].map((id) => keys.documentById(id)),
      );
      return new Set(items.filter((i) => i.deletedAt === undefined).map((i) => str(i.id)));
    },

    countByStatus: () => countsByStatus(doc, TableName, keys.documentCounts(), DOCUMENT_STATUSES),
  };
}
