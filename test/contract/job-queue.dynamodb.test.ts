import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { afterAll, expect } from 'vitest';
import { tableDefinitions } from '../../src/dynamo/tables.js';
import { createDynamoQueue } from '../../src/lib/job-queue/dynamo-queue.js';
import { DYNAMODB_LOCAL_CREDENTIALS, dynamoTestStoreConfig } from '../helpers/dynamodb-local.js';
import { jobQueueContract } from './job-queue.contract.js';

// DynamoDB Local from the global setup; each case gets a platform table of its own.
const base = dynamoTestStoreConfig();
const client = new DynamoDBClient({
  endpoint: base.endpoint,
  region: base.region,
  credentials: DYNAMODB_LOCAL_CREDENTIALS,
});
// Every request the queues make, to prove that none is a Scan.
const commands = new Set<string>();
client.middlewareStack.add(
  (next, context) => async (args) => {
    commands.add(context.commandName ?? 'unknown');
    return next(args);
  },
  { step: 'initialize', name: 'recordCommandNames' },
);
afterAll(() => {
  client.destroy();
  expect([...commands].filter((c) => c.includes('Scan'))).toEqual([]);
  expect(commands).toContain('QueryCommand');
});

jobQueueContract({
  name: 'DynamoDB (DynamoDB Local)',
  async storage() {
    const { tables } = dynamoTestStoreConfig();
    const definition = tableDefinitions(tables).find((d) => d.TableName === tables.platform)!;
    await client.send(new CreateTableCommand(definition));
    for (let i = 0; i < 100; i++) {
      const t = (await client.send(new DescribeTableCommand({ TableName: tables.platform }))).Table;
      if (t?.TableStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Background work has no caller to fail: anything it reports fails the case instead.
    const errors: unknown[] = [];
    return {
      open: (tuning) =>
        createDynamoQueue(client, tables.platform, {
          pollingIntervalSeconds: tuning.pollingIntervalSeconds,
          policies: tuning.policies,
          onError: (err) => errors.push(err),
        }),
      async dispose() {
        await client.send(new DeleteTableCommand({ TableName: tables.platform }));
        expect(errors).toEqual([]);
      },
    };
  },
});
