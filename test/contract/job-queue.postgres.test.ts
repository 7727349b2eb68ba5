import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createDatabase, type Database } from '../../src/db/database.js';
import { createPgBossQueue } from '../../src/lib/job-queue/pg-boss-queue.js';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../helpers/postgres.js';
import { jobQueueContract } from './job-queue.contract.js';

// A fresh database on the local PostgreSQL for the file; each case gets a pg-boss schema of its own.
let testDb: TestPostgresDatabase | undefined;
let database: Database | undefined;
beforeAll(async () => {
  testDb = await createTestPostgresDatabase();
  database = await createDatabase({
    kind: 'postgres',
    url: testDb.url,
    poolMax: 10,
    statementTimeoutMs: 10_000,
    connectTimeoutMs: 5000,
    migrate: false,
  });
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

jobQueueContract({
  name: 'pg-boss on PostgreSQL',
  async storage() {
    const db = database!;
    const schema = `jq_${randomBytes(6).toString('hex')}`;
    return {
      open: (tuning) =>
        createPgBossQueue(db, {
          schema,
          pollingIntervalSeconds: tuning.pollingIntervalSeconds,
          policies: tuning.policies,
          maintenanceIntervalSeconds: 1,
        }),
      // pg-boss completes a job without awaiting it, so a completion may still be on its way when
      // the case ends: the schema stays until the whole database goes with the file.
      async dispose() {},
    };
  },
});
