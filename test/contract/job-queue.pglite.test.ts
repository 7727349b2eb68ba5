import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createDatabase, type Database } from '../../src/db/database.js';
import { createPgBossQueue } from '../../src/lib/job-queue/pg-boss-queue.js';
import { jobQueueContract } from './job-queue.contract.js';

// One in-memory PGlite for the file; each case gets a pg-boss schema of its own.
let database: Database | undefined;
beforeAll(async () => {
  database = await createDatabase({ kind: 'pglite', dataDir: undefined, migrate: false });
});
afterAll(async () => {
  await database?.close();
});

jobQueueContract({
  name: 'pg-boss on PGlite',
  async storage() {
    const db = database!;
    const schema = `jq_${randomBytes(6).toString('hex')}`;
    return {
      open: (tuning) =>
        createPgBossQueue(db, {
          schema,
          pollingIntervalSeconds: tuning.pollingIntervalSeconds,
          policies: tuning.policies,
          // Expired jobs are looked for every second (pg-boss's smallest interval).
          maintenanceIntervalSeconds: 1,
        }),
      // pg-boss completes a job without awaiting it, so a completion may still be on its way when
      // the case ends: the schema stays until the whole database goes with the file.
      async dispose() {},
    };
  },
});
