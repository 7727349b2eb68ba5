import { describe } from 'vitest';
import { createDatabase } from '../../src/db/database.js';
import { createSqlRecordStores } from '../../src/stores.js';
import { bookingSheetStoreContract } from './booking-sheets.contract.js';
import { extractionRunStoreContract } from './extraction-runs.contract.js';
import { useBackend } from './harness.js';

// An in-memory PGlite, migrated, for this file only.
const backend = useBackend('pglite', async () => {
  const database = await createDatabase({ kind: 'pglite', dataDir: undefined, migrate: true });
  return {
    stores: createSqlRecordStores(database),
    close: () => database.close(),
  };
});

describe('extraction and booking sheet store contract: PGlite', () => {
  extractionRunStoreContract(backend);
  bookingSheetStoreContract(backend);
});
