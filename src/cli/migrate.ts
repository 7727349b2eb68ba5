import { loadConfigWithSecrets, ConfigError } from '../config/index.js';
import { createDatabase } from '../db/database.js';
import { runMigrations } from '../db/migrator.js';
import type { StoreConfig } from '../config/config.js';

/**
 * Applies the database migrations of the configured record store, then exits. Deployments that set
 * MIGRATE_ON_START=false run this once per release, before the new API and worker processes start.
 *   npm run migrate            (from a checkout)
 *   node dist/cli/migrate.js   (in the container image)
 */
async function main(): Promise<void> {
  let config;
  try {
    config = await loadConfigWithSecrets();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const store: StoreConfig = config.store;
  if (store.kind === 'dynamodb') {
    console.error('STORE=dynamodb has no SQL migrations: create or update its tables with `npm run dynamo:create-tables`.');
    process.exit(1);
  }
  const database =
    store.kind === 'pglite'
      ? await createDatabase({ kind: 'pglite', dataDir: store.dataDir, migrate: false })
      : await createDatabase({
          kind: 'postgres',
          url: store.url,
          poolMax: 1,
          statementTimeoutMs: store.statementTimeoutMs,
          connectTimeoutMs: store.connectTimeoutMs,
          migrate: false,
        });
  try {
    const applied = await runMigrations(database.db);
    process.stdout.write(
      applied.length === 0 ? `The ${store.kind} database is up to date.\n` : `Applied to ${store.kind}: ${applied.join(', ')}\n`,
    );
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  // The message only: a connection error's stack or config can carry the database URL.
  console.error('migration failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
