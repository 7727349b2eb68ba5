import { loadConfigWithSecrets, ConfigError } from '../config/index.js';
import { ensureTables } from '../dynamo/create-tables.js';
import { createDynamoClient } from '../dynamo/dynamo-stores.js';

/**
 * Creates the DynamoDB tables of the configured record store (STORE=dynamodb), with their indexes
 * and TTL. Idempotent: run it again after an upgrade to add indexes a new version defines.
 *   npx tsx src/cli/dynamo-create-tables.ts
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
  if (config.store.kind !== 'dynamodb') {
    console.error(`The record store is ${config.store.kind}, not dynamodb (set STORE=dynamodb).`);
    process.exit(1);
  }
  const client = createDynamoClient(config.store);
  try {
    await ensureTables(client, config.store.tables);
    process.stdout.write(`DynamoDB tables ready: ${Object.values(config.store.tables).join(', ')}\n`);
  } finally {
    client.destroy();
  }
}

main().catch((err: unknown) => {
  console.error('could not create the DynamoDB tables:', err instanceof Error ? err.message : err);
  process.exit(1);
});
