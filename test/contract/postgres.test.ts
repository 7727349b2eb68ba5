import { describe } from 'vitest';
import { createDatabase } from '../../src/db/database.js';
import { createSqlRecordStores } from '../../src/stores.js';
import { createTestPostgresDatabase } from '../helpers/postgres.js';
import { auditStoreContract } from './audit-store.contract.js';
import { authStoreContract } from './auth-store.contract.js';
import { bookingSheetStoreContract } from './booking-sheets.contract.js';
import { documentStoreContract } from './documents-store.contract.js';
import { extractionRunStoreContract } from './extraction-runs.contract.js';
import { useBackend } from './harness.js';
import { idempotencyStoreContract } from './idempotency-store.contract.js';
import { loanBookingStoreContract } from './loan-booking-store.contract.js';
import { productStoreContract } from './product-store.contract.js';

// A fresh database on the local PostgreSQL for this file, dropped afterwards.
const backend = useBackend('postgres', async () => {
  const testDb = await createTestPostgresDatabase();
  try {
    const database = await createDatabase({
      kind: 'postgres',
      url: testDb.url,
      poolMax: 10,
      statementTimeoutMs: 10_000,
      connectTimeoutMs: 5000,
      migrate: true,
    });
    return {
      stores: createSqlRecordStores(database),
      async close() {
        await database.close();
        await testDb.drop();
      },
    };
  } catch (err) {
    await testDb.drop();
    throw err;
  }
});

describe('record store contract: PostgreSQL', () => {
  authStoreContract(backend);
  auditStoreContract(backend);
  productStoreContract(backend);
  idempotencyStoreContract(backend);
  loanBookingStoreContract(backend);
  documentStoreContract(backend);
  extractionRunStoreContract(backend);
  bookingSheetStoreContract(backend);
});
