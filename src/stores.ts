import type { Config } from './config/config.js';
import type { Database } from './db/database.js';
import type { AuthStore } from './modules/auth/auth.store.js';
import type { AuditStore } from './modules/audit/audit.store.js';
import { createKyselyAuthStore } from './modules/auth/stores/auth.kysely-store.js';
import { createKyselyAuditStore } from './modules/audit/stores/audit.kysely-store.js';
import type { LoanBookingStore } from './modules/loan-bookings/loan-bookings.store.js';
import type { ProductStore } from './modules/products/products.store.js';
import type { IdempotencyStore } from './modules/idempotency/idempotency.store.js';
import type { DocumentStore } from './modules/documents/documents.store.js';
import { createKyselyDocumentStore } from './modules/documents/stores/documents.kysely-store.js';
import { createKyselyLoanBookingStore } from './modules/loan-bookings/stores/loan-bookings.kysely-store.js';
import { createKyselyProductStore } from './modules/products/stores/products.kysely-store.js';
import { createKyselyIdempotencyStore } from './modules/idempotency/stores/idempotency.kysely-store.js';
import type { ExtractionRunStore } from './modules/extraction/extraction.store.js';
import type { BookingSheetStore } from './modules/booking-sheets/booking-sheets.store.js';
import { createKyselyExtractionRunStore } from './modules/extraction/stores/extraction.kysely-store.js';
import { createKyselyBookingSheetStore } from './modules/booking-sheets/stores/booking-sheets.kysely-store.js';

/** The record store: one port per module, all from the same backend (SQL or DynamoDB). */
export interface RecordStores {
  kind: 'pglite' | 'postgres' | 'dynamodb';
  auth: AuthStore;
  audit: AuditStore;
  loanBookings: LoanBookingStore;
  products: ProductStore;
  idempotency: IdempotencyStore;
  documents: DocumentStore;
  extractionRuns: ExtractionRunStore;
  bookingSheets: BookingSheetStore;
  check(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export async function createRecordStores(config: Config, database: Database | undefined): Promise<RecordStores> {
  if (config.store.kind === 'dynamodb') {
    // Loaded only when chosen: SQL deployments never load the DynamoDB client.
    const { createDynamoRecordStores } = await import('./dynamo/dynamo-stores.js');
    return createDynamoRecordStores(config.store);
  }
  if (!database) throw new Error('SQL record store needs a database');
  return createSqlRecordStores(database);
}

export function createSqlRecordStores(database: Database): RecordStores {
  const db = database.db;
  return {
    kind: database.kind,
    auth: createKyselyAuthStore(db),
    audit: createKyselyAuditStore(db),
    loanBookings: createKyselyLoanBookingStore(db),
    products: createKyselyProductStore(db),
    idempotency: createKyselyIdempotencyStore(db),
    extractionRuns: createKyselyExtractionRunStore(db),
    bookingSheets: createKyselyBookingSheetStore(db),
    documents: createKyselyDocumentStore(db),
    check: () => database.check(),
    // The database is owned (and closed) by whoever created it.
    close: async () => undefined,
  };
}
