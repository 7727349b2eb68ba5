import { describe } from 'vitest';
import { createDatabase } from '../../src/db/database.js';
import { createSqlRecordStores } from '../../src/stores.js';
import { auditStoreContract } from './audit-store.contract.js';
import { authStoreContract } from './auth-store.contract.js';
import { bookingSheetStoreContract } from './booking-sheets.contract.js';
import { documentStoreContract } from './documents-store.contract.js';
import { extractionRunStoreContract } from './extraction-runs.contract.js';
import { useBackend } from './harness.js';
import { idempotencyStoreContract } from './idempotency-store.contract.js';
import { loanBookingStoreContract } from './loan-booking-store.contract.js';
import { productStoreContract } from './product-store.contract.js';

// An in-memory PGlite, migrated, for this file only.
const backend = useBackend('pglite', async () => {
  const database = await createDatabase({ kind: 'pglite', dataDir: undefined, migrate: true });
  return {
    stores: createSqlRecordStores(database),
    close: () => database.close(),
  };
});

describe('record store contract: PGlite', () => {
  authStoreContract(backend);
  auditStoreContract(backend);
  productStoreContract(backend);
  idempotencyStoreContract(backend);
  loanBookingStoreContract(backend);
  documentStoreContract(backend);
  extractionRunStoreContract(backend);
  bookingSheetStoreContract(backend);
});
