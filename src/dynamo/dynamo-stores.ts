import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { StoreConfig } from '../config/config.js';
import type { RecordStores } from '../stores.js';
import { createDynamoAuditStore, type DynamoAuditStore } from './audit.dynamo-store.js';
import { createDynamoAuthStore } from './auth.dynamo-store.js';
import { createDynamoBookingSheetStore } from './booking-sheets.dynamo-store.js';
import { createDocumentClient, type DynamoContext } from './client.js';
import { createDynamoDocumentStore } from './documents.dynamo-store.js';
import { ensureTables } from './create-tables.js';
import { createDynamoExtractionRunStore } from './extraction-runs.dynamo-store.js';
import { createDynamoIdempotencyStore } from './idempotency.dynamo-store.js';
import { createDynamoLoanBookingStore, type DynamoLoanBookingStore } from './loan-bookings.dynamo-store.js';
import { createDynamoProductStore } from './products.dynamo-store.js';

export type DynamoStoreConfig = Extract<StoreConfig, { kind: 'dynamodb' }>;

export interface DynamoStoreOptions {
  /** Explicit credentials (DynamoDB Local in tests); the SDK's default chain otherwise. */
  credentials?: DynamoDBClientConfig['credentials'];
  maxAttempts?: number;
}

export interface DynamoRecordStores extends RecordStores {
  kind: 'dynamodb';
  audit: DynamoAuditStore;
  loanBookings: DynamoLoanBookingStore;
  /** The low-level client, for tests and maintenance commands. */
  client: DynamoDBClient;
}

export function createDynamoClient(
  config: DynamoStoreConfig,
  options: DynamoStoreOptions = {},
): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? 3,
  });
}

/** The DynamoDB record store: every port over three tables (see tables.ts for the key design). */
export async function createDynamoRecordStores(
  config: DynamoStoreConfig,
  options: DynamoStoreOptions = {},
): Promise<DynamoRecordStores> {
  const client = createDynamoClient(config, options);
  try {
    if (config.createTables) await ensureTables(client, config.tables);
  } catch (err) {
    client.destroy();
    throw err;
  }
  const ctx: DynamoContext = { doc: createDocumentClient(client), tables: config.tables };
  let closed = false;
  return {
    kind: 'dynamodb',
    client,
    auth: createDynamoAuthStore(ctx),
    audit: createDynamoAuditStore(ctx),
    loanBookings: createDynamoLoanBookingStore(ctx),
    products: createDynamoProductStore(ctx),
    idempotency: createDynamoIdempotencyStore(ctx),
    documents: createDynamoDocumentStore(ctx),
    extractionRuns: createDynamoExtractionRunStore(ctx),
    bookingSheets: createDynamoBookingSheetStore(ctx),
    async check(signal) {
      for (const name of Object.values(config.tables)) {
        const res = await client.send(new DescribeTableCommand({ TableName: name }), { abortSignal: signal });
        if (res.Table?.TableStatus !== 'ACTIVE' && res.Table?.TableStatus !== 'UPDATING') {
          throw new Error(`DynamoDB table ${name} is ${res.Table?.TableStatus ?? 'missing'}`);
        }
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      client.destroy();
    },
  };
}
