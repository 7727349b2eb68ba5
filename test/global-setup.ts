import { startDynamoDbLocal, type RunningDynamoDbLocal } from './helpers/dynamodb-local.js';

/**
 * Global setup for the suite: services that tests share are started here, on free loopback ports,
 * and their addresses handed to test files through environment variables (read only by tests).
 */
let dynamoDbLocal: RunningDynamoDbLocal | undefined;

export async function setup(): Promise<void> {
  process.env.TZ = 'UTC';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // One DynamoDB Local for the whole run; each test file isolates itself with its own table prefix.
  if (!process.env.TEST_DYNAMODB_ENDPOINT) {
    dynamoDbLocal = await startDynamoDbLocal();
    process.env.TEST_DYNAMODB_ENDPOINT = dynamoDbLocal.endpoint;
  }
}

export async function teardown(): Promise<void> {
  await dynamoDbLocal?.stop();
  dynamoDbLocal = undefined;
}
