import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { tableDefinitions, TTL_ATTRIBUTE, type TableNames } from './tables.js';

export interface EnsureTablesOptions {
  /** Longest wait for one table (or one added index) to become active. */
  maxWaitMs?: number;
}

const errorName = (err: unknown) => (err as { name?: string } | null)?.name;

async function describe(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

const isActive = (t: TableDescription | undefined) =>
  t?.TableStatus === 'ACTIVE' && (t.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');

async function waitActive(
  client: DynamoDBClient,
  name: string,
  maxWaitMs: number,
): Promise<TableDescription> {
  const deadline = Date.now() + maxWaitMs;
  let delay = 200;
  for (;;) {
    const t = await describe(client, name);
    if (t && isActive(t)) return t;
    if (Date.now() > deadline)
      throw new Error(`DynamoDB table ${name} did not become active within ${maxWaitMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5000);
  }
}

/**
 * Creates the tables that are missing, adds indexes a newer version defines, and turns on TTL.
 * Idempotent and safe to run from several processes at once (development, tests, the CLI); in
 * production the tables come from infrastructure code with the same definitions.
 */
export async function ensureTables(
  client: DynamoDBClient,
  names: TableNames,
  options: EnsureTablesOptions = {},
): Promise<void> {
  const maxWaitMs = options.maxWaitMs ?? 300_000;
  for (const def of tableDefinitions(names)) {
    const name = def.TableName!;
    if (!(await describe(client, name))) {
      try {
        await client.send(new CreateTableCommand(def));
      } catch (err) {
        // Another process created it between our describe and create.
        if (errorName(err) !== 'ResourceInUseException') throw err;
      }
    }
    const table = await waitActive(client, name, maxWaitMs);

    // DynamoDB adds one index per UpdateTable call, each only once the previous is active.
    const present = new Set((table.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    for (const gsi of def.GlobalSecondaryIndexes ?? []) {
      if (present.has(gsi.IndexName)) continue;
      const attrs = new Set(gsi.KeySchema!.map((k) => k.AttributeName));
      try {
        await client.send(
          new UpdateTableCommand({
            TableName: name,
            AttributeDefinitions: def.AttributeDefinitions!.filter((a) => attrs.has(a.AttributeName)),
            GlobalSecondaryIndexUpdates: [{ Create: gsi }],
          }),
        );
      } catch (err) {
        // Tolerated only when a concurrent run is adding the same index.
        const now = await describe(client, name);
        if (!(now?.GlobalSecondaryIndexes ?? []).some((i) => i.IndexName === gsi.IndexName)) throw err;
      }
      await waitActive(client, name, maxWaitMs);
    }

    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== 'ENABLED' && status !== 'ENABLING') {
      try {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: name,
            TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE },
          }),
        );
      } catch (err) {
        // "TimeToLive is already enabled": a concurrent run got there first.
        if (errorName(err) !== 'ValidationException') throw err;
      }
    }
  }
}
