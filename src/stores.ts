import type { Config } from './config/config.js';
import type { Database } from './db/database.js';
import type { AuthStore } from './modules/auth/auth.store.js';
import type { AuditStore } from './modules/audit/audit.store.js';
import { createKyselyAuthStore } from './modules/auth/stores/auth.kysely-store.js';
import { createKyselyAuditStore } from './modules/audit/stores/audit.kysely-store.js';

/** The record store: one port per module, all from the same backend (SQL or DynamoDB). */
export interface RecordStores {
  kind: 'pglite' | 'postgres' | 'dynamodb';
  auth: AuthStore;
  audit: AuditStore;
  check(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export function createRecordStores(config: Config, database: Database | undefined): RecordStores {
  if (config.store.kind === 'dynamodb') {
    throw new Error('the DynamoDB record store is not available yet');
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
    check: () => database.check(),
    // The database is owned (and closed) by whoever created it.
    close: async () => undefined,
  };
}
