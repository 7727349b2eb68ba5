import { RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import type { RetrievalFilter } from '@aws-sdk/client-bedrock-agent-runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBedrockClients } from '../../../src/lib/bedrock/clients.js';
import type { BedrockClients } from '../../../src/lib/bedrock/clients.js';
import { FAKE_CREDENTIALS, filterMatches, startBedrockStub } from '../../helpers/bedrock-stub.js';
import type { BedrockStub } from '../../helpers/bedrock-stub.js';

/**
 * The stub stands in for Bedrock in the other tests, so it must reject what Bedrock rejects and
 * filter the way the vector store does; otherwise those tests would pass against a lenient fake.
 */

let stub: BedrockStub;
let clients: BedrockClients;

beforeAll(async () => {
  stub = await startBedrockStub();
  clients = createBedrockClients({
    region: 'us-east-1',
    endpoint: stub.endpoint,
    credentials: FAKE_CREDENTIALS,
    requestTimeoutMs: 5_000,
  });
});

afterEach(() => stub.resetState());

afterAll(async () => {
  clients.destroy();
  await stub.close();
});

describe('stub metadata filter', () => {
  const metadata = { booking_id: 'b-1', tenant_id: 't-1', page: 4, tags: ['signed', 'final'] };

  it('evaluates comparison, list and logical operators', () => {
    expect(filterMatches({ equals: { key: 'booking_id', value: 'b-1' } }, metadata)).toBe(true);
    expect(filterMatches({ equals: { key: 'booking_id', value: 'b-2' } }, metadata)).toBe(false);
    expect(filterMatches({ notEquals: { key: 'booking_id', value: 'b-2' } }, metadata)).toBe(true);
    expect(filterMatches({ greaterThan: { key: 'page', value: 3 } }, metadata)).toBe(true);
    expect(filterMatches({ lessThanOrEquals: { key: 'page', value: 3 } }, metadata)).toBe(false);
    expect(filterMatches({ in: { key: 'tenant_id', value: ['t-0', 't-1'] } }, metadata)).toBe(true);
    expect(filterMatches({ notIn: { key: 'tenant_id', value: ['t-1'] } }, metadata)).toBe(false);
    expect(filterMatches({ startsWith: { key: 'booking_id', value: 'b-' } }, metadata)).toBe(true);
    expect(filterMatches({ listContains: { key: 'tags', value: 'signed' } }, metadata)).toBe(true);
    expect(filterMatches({ stringContains: { key: 'tags', value: 'fin' } }, metadata)).toBe(true);
    expect(
      filterMatches(
        {
          orAll: [
            { equals: { key: 'booking_id', value: 'nope' } },
            {
              andAll: [
                { equals: { key: 'tenant_id', value: 't-1' } },
                { greaterThanOrEquals: { key: 'page', value: 4 } },
              ],
            },
          ],
        },
        metadata,
      ),
    ).toBe(true);
  });

  it('rejects malformed filters', () => {
    expect(() => filterMatches({ andAll: [{ equals: { key: 'a', value: 1 } }] }, metadata)).toThrow(/2 to 5/);
    expect(() =>
      filterMatches({ equals: { key: 'a', value: 1 }, notEquals: { key: 'a', value: 1 } }, metadata),
    ).toThrow(/exactly one/);
    expect(() => filterMatches({ matches: { key: 'a', value: 1 } }, metadata)).toThrow(/Unknown filter/);
  });
});

describe('stub over the wire', () => {
  it('answers a malformed Retrieve with a ValidationException the SDK understands', async () => {
    stub
      .addKnowledgeBase({ id: 'KB1', dataSources: [] })
      .addPassages('KB1', [{ text: 'x', metadata: { booking_id: 'b' } }]);
    const filter: RetrievalFilter = { andAll: [{ equals: { key: 'booking_id', value: 'b' } }] };
    const error = await clients.agentRuntime
      .send(
        new RetrieveCommand({
          knowledgeBaseId: 'KB1',
          retrievalQuery: { text: 'q' },
          retrievalConfiguration: { vectorSearchConfiguration: { filter } },
        }),
      )
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('ValidationException');
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
  });

  it('answers an unknown knowledge base with ResourceNotFoundException and an unknown route with 404', async () => {
    const error = await clients.agentRuntime
      .send(new RetrieveCommand({ knowledgeBaseId: 'NOPE', retrievalQuery: { text: 'q' } }))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('ResourceNotFoundException');
    const res = await fetch(`${stub.endpoint}/no/such/route`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^UnknownOperationException:/);
  });
});
