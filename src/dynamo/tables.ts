import type { CreateTableCommandInput, GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';

/**
 * The DynamoDB record store: three tables with generic, overloaded keys (`pk`/`sk` and `gsiNpk`/
 * `gsiNsk`), designed from the access patterns below rather than from the SQL schema.
 *
 * Rules every pattern follows:
 * - Every read is a GetItem or a Query whose partition key carries the tenant (or a globally unique
 *   id checked against the tenant): there is no Scan anywhere.
 * - Lists are Queries on one partition whose sort key is the record id. Ids are UUIDv7, so the
 *   byte order of the id is creation order and `ScanIndexForward: false` is newest first; the
 *   page position is simply "ids below the last one seen", the same cursor the SQL store uses.
 * - A filter that lists are commonly narrowed by (product, status, deleted, audit action/actor)
 *   is part of a partition key of its own index, so it is a key condition. Rarer filters are
 *   FilterExpressions over one of those partitions (see `queryNewestFirst` for the trade-off).
 * - Index keys are written only while the record belongs in that list (sparse indexes): a
 *   soft-deleted booking leaves the product and status indexes, a revoked refresh token leaves
 *   its family and user indexes.
 * - Key parts are escaped (`#` and `%`) so that no tenant, product or principal can forge a key
 *   that lands in someone else's partition.
 *
 * Loan bookings table (bookings, and their documents in the booking's item collection):
 *   booking           pk BOOKING#<tenant>#<id>           sk BOOKING
 *   document          pk BOOKING#<tenant>#<bookingId>    sk DOCUMENT#<id>
 *   document by id    pk DOCID#<id>                      sk DOCID          -> tenantId, bookingId
 *   same bytes        pk DOCSHA#<tenant>#<booking>#<sha> sk DOCSHA         -> documentId (live only)
 *   page text         pk DOCPAGES#<tenant>#<docId>#<contentToken>   sk <page, zero-padded>
 *   passages          pk DOCPASSAGES#<tenant>#<docId>#<contentToken> sk <page>#<ordinal>
 *   status counters   pk BREAKDOWN#<tenant>#<product>    sk <status>#<shard>
 *   document counts   pk DOCUMENT_COUNTS                 sk <status>#<shard>
 *   gsi1  live bookings of a tenant       BOOKINGS#<tenant>                         / id
 *         deleted bookings of a tenant    BOOKINGS_DELETED#<tenant>                 / id
 *         live documents of a tenant      DOCUMENTS#<tenant>                        / id
 *   gsi2  live bookings of a product      BOOKINGS#<tenant>#PRODUCT#<p>             / id
 *         documents waiting in uploaded   DOCUMENTS_UPLOADED#<shard>                / <uploadedAt ISO>#<id>
 *   gsi3  live bookings in a status       BOOKINGS#<tenant>#STATUS#<s>              / id
 *         live documents in a status      DOCUMENTS#<tenant>#STATUS#<s>             / id
 *   gsi4  live bookings of product+status BOOKINGS#<tenant>#PRODUCT#<p>#STATUS#<s>  / id
 *
 * Booking sheets table (each booking's sheet with its version history, and extraction runs):
 *   sheet             pk SHEET#<tenant>#<bookingId>      sk SHEET
 *   sheet version     pk SHEET#<tenant>#<bookingId>      sk VERSION#<version, zero-padded>
 *   sheet counts      pk SHEET_COUNTS                    sk <status>#<shard>
 *   extraction run    pk RUN#<tenant>#<id>               sk RUN
 *   gsi1  review queue                    SHEETS#<tenant>#STATUS#<s>              / <statusChangedAt ISO>#<bookingId>
 *         runs of a booking               RUNS#<tenant>#<bookingId>               / id
 *   gsi2  succeeded runs of a booking     RUNS_SUCCEEDED#<tenant>#<bookingId>     / id
 *         runs waiting in queued          RUNS_QUEUED#<shard>                     / <createdAt ISO>#<id>
 *         runs running under a lease      RUNS_LEASED#<shard>                     / <leaseExpiresAt ISO>#<id>
 *   gsi3  ... of one schema               RUNS_SUCCEEDED#<tenant>#<bookingId>#SCHEMA#<name> / id
 *
 * Platform table:
 *   user              pk USER#<id>                 sk USER          gsi1 USERS#<tenant> / id
 *   email (unique)    pk EMAIL#<email>             sk EMAIL         -> userId, tenantId
 *   user count        pk COUNTER#USERS             sk COUNTER
 *   refresh token     pk REFRESH#<id>              sk REFRESH       gsi1 REFRESH_FAMILY#<family> / id
 *                                                                  gsi2 REFRESH_USER#<user> / id
 *   token hash        pk REFRESH_HASH#<hash>       sk REFRESH_HASH  -> tokenId
 *   revoked family    pk REFRESH_FAMILY#<family>   sk REFRESH_FAMILY
 *   audit event       pk AUDIT#<tenant>            sk <id>          gsi1 AUDIT#<tenant>#ACTION#<action> / id
 *                                                                  gsi2 AUDIT#<tenant>#ACTOR#<actor> / id
 *   product           pk PRODUCTS#<tenant>         sk <id>
 *   idempotency key   pk IDEMPOTENCY#<tenant>#<principal>#<key>  sk IDEMPOTENCY
 *                                                   gsi1 IDEMPOTENCY_EXPIRY#<shard> / <expiresAt ISO>
 *   job               pk JOB#<id>                  sk JOB           gsi1 JOBS_DUE#<queue>#<shard> / <dueAt ISO>#<id>
 *                                                                  (while ready or active; see dynamo-queue.ts)
 *   waiting singleton pk JOB_SINGLETON#<queue>#<key>  sk JOB_SINGLETON  -> jobId
 *   job counters      pk JOB_COUNTS                sk <queue>#<queued|active>#<shard>
 *                                                  sk <queue>#failed#<day>#<shard>
 */
export interface TableNames {
  loanBookings: string;
  bookingSheets: string;
  platform: string;
}

/** Epoch seconds after which DynamoDB may delete the item (idempotency keys, refresh tokens). */
export const TTL_ATTRIBUTE = 'ttl';

const GSI_COUNT = { loanBookings: 4, bookingSheets: 3, platform: 3 } as const;

export const gsiName = (n: number) => `gsi${n}`;

function gsis(count: number): GlobalSecondaryIndex[] {
  return Array.from({ length: count }, (_, i) => ({
    IndexName: gsiName(i + 1),
    KeySchema: [
      { AttributeName: `gsi${i + 1}pk`, KeyType: 'HASH' },
      { AttributeName: `gsi${i + 1}sk`, KeyType: 'RANGE' },
    ],
    // Lists return whole records: projecting everything saves a GetItem per listed item.
    Projection: { ProjectionType: 'ALL' },
  }));
}

function table(name: string, gsiCount: number): CreateTableCommandInput {
  const attrs = ['pk', 'sk'];
  for (let i = 1; i <= gsiCount; i++) attrs.push(`gsi${i}pk`, `gsi${i}sk`);
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attrs.map((a) => ({ AttributeName: a, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: gsis(gsiCount),
  };
}

export function tableDefinitions(names: TableNames): CreateTableCommandInput[] {
  return [
    table(names.loanBookings, GSI_COUNT.loanBookings),
    table(names.bookingSheets, GSI_COUNT.bookingSheets),
    table(names.platform, GSI_COUNT.platform),
  ];
}

/** Escapes a key part: `#` separates parts, `%` is the escape itself. Prefix-preserving. */
export const part = (value: string): string => value.replace(/%/g, '%25').replace(/#/g, '%23');

/** Shards of each status counter: concurrent bookings of one product rarely touch the same item. */
export const COUNTER_SHARDS = 4;
/** Shards of the idempotency expiry index, so that one index partition is not every request's write. */
export const EXPIRY_SHARDS = 8;
/**
 * Shards of each queue's due-jobs index partition. Every worker polls all of them, so the number is
 * part of the storage format: changing it strands the jobs of the shards no longer polled.
 */
export const JOB_SHARDS = 4;

export const keys = {
  booking: (tenantId: string, id: string) => ({ pk: `BOOKING#${part(tenantId)}#${part(id)}`, sk: 'BOOKING' }),
  bookingsLive: (tenantId: string) => `BOOKINGS#${part(tenantId)}`,
  bookingsDeleted: (tenantId: string) => `BOOKINGS_DELETED#${part(tenantId)}`,
  bookingsByProduct: (tenantId: string, productId: string) =>
    `BOOKINGS#${part(tenantId)}#PRODUCT#${part(productId)}`,
  bookingsByStatus: (tenantId: string, status: string) => `BOOKINGS#${part(tenantId)}#STATUS#${part(status)}`,
  bookingsByProductStatus: (tenantId: string, productId: string, status: string) =>
    `BOOKINGS#${part(tenantId)}#PRODUCT#${part(productId)}#STATUS#${part(status)}`,
  breakdown: (tenantId: string, productId: string) => `BREAKDOWN#${part(tenantId)}#${part(productId)}`,
  breakdownShard: (status: string, shard: number) => `${part(status)}#${shard}`,

  document: (tenantId: string, bookingId: string, id: string) => ({
    pk: `BOOKING#${part(tenantId)}#${part(bookingId)}`,
    sk: `${DOCUMENT_SK_PREFIX}${part(id)}`,
  }),
  documentById: (id: string) => ({ pk: `DOCID#${part(id)}`, sk: 'DOCID' }),
  documentSha: (tenantId: string, bookingId: string, sha256: string) => ({
    pk: `DOCSHA#${part(tenantId)}#${part(bookingId)}#${part(sha256)}`,
    sk: 'DOCSHA',
  }),
  documentPages: (tenantId: string, id: string, contentToken: string) =>
    `DOCPAGES#${part(tenantId)}#${part(id)}#${part(contentToken)}`,
  documentPassages: (tenantId: string, id: string, contentToken: string) =>
    `DOCPASSAGES#${part(tenantId)}#${part(id)}#${part(contentToken)}`,
  documentsLive: (tenantId: string) => `DOCUMENTS#${part(tenantId)}`,
  documentsByStatus: (tenantId: string, status: string) =>
    `DOCUMENTS#${part(tenantId)}#STATUS#${part(status)}`,
  documentsUploaded: (shard: number) => `DOCUMENTS_UPLOADED#${shard}`,
  documentsLeased: (shard: number) => `DOCUMENTS_LEASED#${shard}`,
  documentCounts: () => 'DOCUMENT_COUNTS',

  user: (id: string) => ({ pk: `USER#${part(id)}`, sk: 'USER' }),
  usersOfTenant: (tenantId: string) => `USERS#${part(tenantId)}`,
  email: (email: string) => ({ pk: `EMAIL#${part(email)}`, sk: 'EMAIL' }),
  userCounter: () => ({ pk: 'COUNTER#USERS', sk: 'COUNTER' }),
  refreshToken: (id: string) => ({ pk: `REFRESH#${part(id)}`, sk: 'REFRESH' }),
  refreshHash: (hash: string) => ({ pk: `REFRESH_HASH#${part(hash)}`, sk: 'REFRESH_HASH' }),
  refreshFamily: (familyId: string) => ({ pk: `REFRESH_FAMILY#${part(familyId)}`, sk: 'REFRESH_FAMILY' }),
  refreshFamilyIndex: (familyId: string) => `REFRESH_FAMILY#${part(familyId)}`,
  refreshUserIndex: (userId: string) => `REFRESH_USER#${part(userId)}`,

  audit: (tenantId: string) => `AUDIT#${part(tenantId)}`,
  auditByAction: (tenantId: string, action: string) => `AUDIT#${part(tenantId)}#ACTION#${part(action)}`,
  auditByActor: (tenantId: string, actorId: string) => `AUDIT#${part(tenantId)}#ACTOR#${part(actorId)}`,

  products: (tenantId: string) => `PRODUCTS#${part(tenantId)}`,

  idempotency: (tenantId: string, principalId: string, key: string) => ({
    pk: `IDEMPOTENCY#${part(tenantId)}#${part(principalId)}#${part(key)}`,
    sk: 'IDEMPOTENCY',
  }),
  idempotencyExpiry: (shard: number) => `IDEMPOTENCY_EXPIRY#${shard}`,

  job: (id: string) => ({ pk: `JOB#${part(id)}`, sk: 'JOB' }),
  jobsDue: (queue: string, shard: number) => `JOBS_DUE#${part(queue)}#${shard}`,
  jobDuePosition: (dueAt: Date, id: string) => `${dueAt.toISOString()}#${part(id)}`,
  jobSingleton: (queue: string, key: string) => ({
    pk: `JOB_SINGLETON#${part(queue)}#${part(key)}`,
    sk: 'JOB_SINGLETON',
  }),
  jobCounts: () => 'JOB_COUNTS',
  jobCounter: (queue: string, state: 'queued' | 'active', shard: number) =>
    `${part(queue)}#${state}#${shard}`,
  jobFailedCounter: (queue: string, day: string, shard: number) => `${part(queue)}#failed#${day}#${shard}`,

  sheet: (tenantId: string, bookingId: string) => ({
    pk: `SHEET#${part(tenantId)}#${part(bookingId)}`,
    sk: 'SHEET',
  }),
  sheetVersion: (tenantId: string, bookingId: string, version: number) => ({
    pk: `SHEET#${part(tenantId)}#${part(bookingId)}`,
    sk: sheetVersionKey(version),
  }),
  sheetsByStatus: (tenantId: string, status: string) => `SHEETS#${part(tenantId)}#STATUS#${part(status)}`,
  sheetQueuePosition: (statusChangedAt: Date, bookingId: string) =>
    `${statusChangedAt.toISOString()}#${bookingId}`,
  sheetCounts: () => 'SHEET_COUNTS',

  run: (tenantId: string, id: string) => ({ pk: `RUN#${part(tenantId)}#${part(id)}`, sk: 'RUN' }),
  runsOfBooking: (tenantId: string, bookingId: string) => `RUNS#${part(tenantId)}#${part(bookingId)}`,
  runsQueued: (shard: number) => `RUNS_QUEUED#${shard}`,
  runsLeased: (shard: number) => `RUNS_LEASED#${shard}`,
  succeededRuns: (tenantId: string, bookingId: string) =>
    `RUNS_SUCCEEDED#${part(tenantId)}#${part(bookingId)}`,
  succeededRunsOfSchema: (tenantId: string, bookingId: string, schemaName: string) =>
    `RUNS_SUCCEEDED#${part(tenantId)}#${part(bookingId)}#SCHEMA#${part(schemaName)}`,
};

export const DOCUMENT_SK_PREFIX = 'DOCUMENT#';
/** Page numbers padded so that their string order is their numeric order. */
export const pageKey = (page: number) => String(page).padStart(8, '0');

/** Version numbers padded so that their string order is their numeric order. */
export const sheetVersionKey = (version: number) => `VERSION#${String(version).padStart(10, '0')}`;
