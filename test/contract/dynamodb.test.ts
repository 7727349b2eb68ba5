import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import {
  Conditions,
  createDocumentClient,
  queryNewestFirst,
  withConflictRetry,
} from '../../src/dynamo/client.js';
import { ensureTables } from '../../src/dynamo/create-tables.js';
import { createDynamoRecordStores } from '../../src/dynamo/dynamo-stores.js';
import { tableDefinitions } from '../../src/dynamo/tables.js';
import { matchPassage, parseQuery } from '../../src/dynamo/text-search.js';
import { AppError } from '../../src/lib/errors.js';
import { newId } from '../../src/lib/ids.js';
import { createRecordStores } from '../../src/stores.js';
import {
  deleteTestTables,
  DYNAMODB_LOCAL_CREDENTIALS,
  DYNAMODB_LOCAL_REGION,
  dynamoTestStoreConfig,
} from '../helpers/dynamodb-local.js';
import { auditStoreContract } from './audit-store.contract.js';
import { authStoreContract } from './auth-store.contract.js';
import { bookingSheetStoreContract } from './booking-sheets.contract.js';
import { documentStoreContract } from './documents-store.contract.js';
import { extractionRunStoreContract } from './extraction-runs.contract.js';
import { useBackend } from './harness.js';
import { idempotencyStoreContract } from './idempotency-store.contract.js';
import { loanBookingStoreContract } from './loan-booking-store.contract.js';
import { productStoreContract } from './product-store.contract.js';

// DynamoDB Local, started once by the global setup; this file's tables carry their own random prefix.
const config = dynamoTestStoreConfig();
const backend = useBackend('dynamodb', async () => {
  const stores = await createDynamoRecordStores(config, { credentials: DYNAMODB_LOCAL_CREDENTIALS });
  return {
    stores,
    async close() {
      await stores.close();
      await deleteTestTables(config);
    },
  };
});

describe('record store contract: DynamoDB (DynamoDB Local)', () => {
  authStoreContract(backend);
  auditStoreContract(backend);
  productStoreContract(backend);
  idempotencyStoreContract(backend);
  loanBookingStoreContract(backend);
  documentStoreContract(backend);
  extractionRunStoreContract(backend);
  bookingSheetStoreContract(backend);
});

describe('DynamoDB adapter', () => {
  const client = new DynamoDBClient({
    endpoint: config.endpoint,
    region: DYNAMODB_LOCAL_REGION,
    credentials: DYNAMODB_LOCAL_CREDENTIALS,
  });
  const extraConfigs: ReturnType<typeof dynamoTestStoreConfig>[] = [];
  afterAll(async () => {
    for (const c of extraConfigs) await deleteTestTables(c);
    client.destroy();
  });

  it('creates tables idempotently, adds an index a newer version defines, and enables TTL', async () => {
    const c = dynamoTestStoreConfig();
    extraConfigs.push(c);
    // An older platform table: two indexes instead of three.
    const platform = tableDefinitions(c.tables).find((d) => d.TableName === c.tables.platform)!;
    const older = {
      ...platform,
      GlobalSecondaryIndexes: platform.GlobalSecondaryIndexes!.slice(0, 2),
      AttributeDefinitions: platform.AttributeDefinitions!.filter(
        (a) => !a.AttributeName!.startsWith('gsi3'),
      ),
    };
    await client.send(new CreateTableCommand(older));
    await ensureTables(client, c.tables);
    await ensureTables(client, c.tables);
    for (const def of tableDefinitions(c.tables)) {
      const table = (await client.send(new DescribeTableCommand({ TableName: def.TableName }))).Table!;
      expect(table.TableStatus).toBe('ACTIVE');
      expect((table.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort()).toEqual(
        def.GlobalSecondaryIndexes!.map((i) => i.IndexName).sort(),
      );
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: def.TableName }));
      expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');
    }
  });

  it('reports healthy tables and fails the check when a table is missing', async () => {
    await expect(backend.stores.check()).resolves.toBeUndefined();
    const missing = dynamoTestStoreConfig();
    const stores = await createDynamoRecordStores(
      { ...missing, createTables: false },
      { credentials: DYNAMODB_LOCAL_CREDENTIALS },
    );
    try {
      await expect(stores.check()).rejects.toThrow();
    } finally {
      await stores.close();
    }
  });

  it('is what createRecordStores builds for STORE=dynamodb', async () => {
    const c = dynamoTestStoreConfig();
    extraConfigs.push(c);
    // The SDK's default credential chain reads these; DynamoDB Local accepts any.
    process.env.AWS_ACCESS_KEY_ID ??= DYNAMODB_LOCAL_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY ??= DYNAMODB_LOCAL_CREDENTIALS.secretAccessKey;
    const appConfig = loadConfig({
      envFile: false,
      env: {
        APP_ENV: 'test',
        STORE: 'dynamodb',
        AWS_REGION: DYNAMODB_LOCAL_REGION,
        DYNAMODB_ENDPOINT: c.endpoint,
        LOAN_BOOKING_TABLE: c.tables.loanBookings,
        BOOKING_SHEET_TABLE: c.tables.bookingSheets,
        PLATFORM_TABLE: c.tables.platform,
      },
    });
    const stores = await createRecordStores(appConfig, undefined);
    try {
      expect(stores.kind).toBe('dynamodb');
      await stores.check();
      await stores.products.seed('t-wiring', [
        {
          id: 'p1',
          name: 'P',
          description: '',
          active: true,
          createdAt: new Date(0),
          updatedAt: new Date(0),
        },
      ]);
      expect((await stores.products.list('t-wiring')).map((p) => p.id)).toEqual(['p1']);
    } finally {
      await stores.close();
    }
  });

  it('bounds the Queries of a filtered page and resumes where reading stopped', async () => {
    const doc = createDocumentClient(client);
    const pk = `PAGING#${newId()}`;
    const start = Date.now();
    const ids = Array.from({ length: 20 }, (_, i) => newId(start + i));
    const hits = new Set([ids[17]!, ids[9]!, ids[2]!]);
    for (const id of ids) {
      await doc.send(
        new PutCommand({
          TableName: config.tables.platform,
          Item: { pk, sk: id, tag: hits.has(id) ? 'hit' : 'miss' },
        }),
      );
    }
    const base = {
      table: config.tables.platform,
      pkAttr: 'pk',
      skAttr: 'sk',
      pk,
      consistent: true,
      readSize: 4,
    };
    const filter = () => new Conditions().compare('tag', '=', 'hit');

    // Unbounded: the two newest matches at once, and a position after them.
    const first = await queryNewestFirst(doc, { ...base, filter: filter(), limit: 2, maxPages: Infinity });
    expect(first.items.map((i) => i.sk)).toEqual([ids[17], ids[9]]);
    expect(first.nextBeforeId).toBe(ids[9]);

    // One Query of 4 items per call: short (even empty) pages, each with where to go on.
    const seen: string[] = [];
    const pages: number[] = [];
    let beforeId: string | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const page = await queryNewestFirst(doc, {
        ...base,
        filter: filter(),
        limit: 2,
        maxPages: 1,
        beforeId,
      });
      seen.push(...page.items.map((i) => i.sk as string));
      pages.push(page.items.length);
      if (page.nextBeforeId === undefined) break;
      beforeId = page.nextBeforeId;
    }
    expect(seen).toEqual([ids[17], ids[9], ids[2]]);
    // Five reads of four items, plus possibly one that finds the end (DynamoDB may report a last
    // key when a read stops exactly at its limit).
    expect(pages.length).toBeGreaterThanOrEqual(5);
    expect(pages.length).toBeLessThanOrEqual(6);
    expect(pages.slice(0, 5)).toEqual([1, 0, 1, 0, 1]);

    // Unfiltered pages are exact.
    const plain = await queryNewestFirst(doc, { ...base, limit: 5, maxPages: 1 });
    expect(plain.items.map((i) => i.sk)).toEqual([...ids].reverse().slice(0, 5));
    expect(plain.nextBeforeId).toBe(ids[15]);
  });

  it('exposes the bounded list page of bookings with its continuation', async () => {
    const t = `t-${newId()}`;
    const made: string[] = [];
    const start = Date.now();
    for (let i = 0; i < 6; i++) {
      const id = newId(start + i);
      made.push(id);
      await backend.stores.loanBookings.create({
        id,
        tenantId: t,
        customerName: i % 2 === 0 ? 'Acme' : 'Beta',
        productId: 'p',
        externalReference: null,
        notes: null,
        status: 'draft',
        version: 1,
        createdBy: 'u',
        createdAt: new Date(0),
        updatedBy: 'u',
        updatedAt: new Date(0),
        deletedAt: null,
        deletedBy: null,
        sync: { state: 'not_started', jobId: null, error: null, updatedAt: null },
      });
    }
    const stores = backend.stores as Awaited<ReturnType<typeof createDynamoRecordStores>>;
    const page = await stores.loanBookings.listPage(t, { customerNamePrefix: 'acme' }, { limit: 2 }, 1);
    expect(page.items.map((r) => r.id)).toEqual([made[4], made[2]]);
    expect(page.nextBeforeId).toBe(made[2]);
    const rest = await stores.loanBookings.listPage(
      t,
      { customerNamePrefix: 'acme' },
      { limit: 2, beforeId: page.nextBeforeId },
      1,
    );
    expect(rest.items.map((r) => r.id)).toEqual([made[0]]);
    expect(rest.nextBeforeId).toBeUndefined();
  });

  it('retries a transaction cancelled by a conflict, never one cancelled by a condition', async () => {
    const cancelled = (...codes: string[]) =>
      Object.assign(new Error('cancelled'), {
        name: 'TransactionCanceledException',
        CancellationReasons: codes.map((Code) => ({ Code })),
      });
    let calls = 0;
    await expect(
      withConflictRetry(async () => {
        calls++;
        if (calls < 3) throw cancelled('None', 'TransactionConflict');
        return 'done';
      }),
    ).resolves.toBe('done');
    expect(calls).toBe(3);

    calls = 0;
    const lost = cancelled('ConditionalCheckFailed', 'TransactionConflict');
    await expect(
      withConflictRetry(async () => {
        calls++;
        throw lost;
      }),
    ).rejects.toBe(lost);
    expect(calls).toBe(1);

    calls = 0;
    const err = await withConflictRetry(async () => {
      calls++;
      throw cancelled('TransactionConflict');
    }, 3).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('CONFLICT');
  });

  it('searches passages with websearch syntax: phrases, or, exclusions, stop words', () => {
    const text = 'The Borrower shall repay the Term Loan; the Lenders may not assign the Loans.';
    const hit = (q: string) => matchPassage(parseQuery(q), text);
    expect(hit('"term loan"')?.highlights.map((h) => text.slice(h.start, h.end))).toEqual([
      'Term',
      'Loan',
      'Loans',
    ]);
    expect(hit('"loan term"')).toBeUndefined();
    expect(hit('borrower -lenders')).toBeUndefined();
    expect(hit('borrower -guarantor')).toBeDefined();
    expect(hit('guarantor or lender')?.highlights.map((h) => text.slice(h.start, h.end))).toEqual([
      'Lenders',
    ]);
    expect(hit('guarantor lender')).toBeUndefined();
    expect(hit('the of')).toBeUndefined();
    expect(hit('-lender')).toBeUndefined();
    expect(hit('"repay the term"')).toBeDefined();
    expect(hit('"repay term"')).toBeUndefined();
    expect(hit('LOANS')?.score).toBeCloseTo(0.2);
  });
});
