import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import { createBedrockClients } from '../../../src/lib/bedrock/clients.js';
import type { BedrockClients } from '../../../src/lib/bedrock/clients.js';
import { converseWithTool } from '../../../src/lib/bedrock/converse.js';
import type { ConverseWithToolOptions } from '../../../src/lib/bedrock/converse.js';
import { createDependencyBreaker } from '../../../src/lib/bedrock/aws-call.js';
import { FAKE_CREDENTIALS, reply, startBedrockStub } from '../../helpers/bedrock-stub.js';
import type { BedrockStub } from '../../helpers/bedrock-stub.js';

const MODEL_ID = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const TOOL = 'record_loan_terms';
const SCHEMA = {
  type: 'object',
  properties: {
    borrower_name: { type: ['string', 'null'] },
    loan_amount: { type: ['string', 'null'] },
    maturity_date: { type: ['string', 'null'], format: 'date' },
  },
  required: ['borrower_name', 'loan_amount', 'maturity_date'],
  additionalProperties: false,
};

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

/** No real waiting between attempts: the backoff maths is unit-tested. */
const fastRetry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

function options(overrides: Partial<ConverseWithToolOptions> = {}): ConverseWithToolOptions {
  return {
    client: clients.runtime,
    modelId: MODEL_ID,
    system: 'Answer only from the context. Use null when a value is absent.',
    userText: 'Context: Acme Corp borrows USD 1,250,000.00 maturing 2030-06-30.',
    toolName: TOOL,
    toolDescription: 'Record the loan terms found in the context.',
    inputSchema: SCHEMA,
    maxTokens: 4_000,
    retry: fastRetry,
    ...overrides,
  };
}

function fakeClock() {
  let now = Date.now();
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

describe('converseWithTool against the Bedrock Runtime wire protocol', () => {
  it('forces the tool at temperature 0 and returns its input and usage', async () => {
    const extracted = { borrower_name: 'Acme Corp', loan_amount: '1250000.00', maturity_date: '2030-06-30' };
    stub.enqueue('Converse', reply.toolUse(TOOL, extracted, { inputTokens: 812, outputTokens: 57 }));

    const result = await converseWithTool(options());

    expect(result).toEqual({
      toolInput: extracted,
      stopReason: 'tool_use',
      usage: { inputTokens: 812, outputTokens: 57 },
    });
    const [request] = stub.requestsFor('Converse');
    expect(request!.method).toBe('POST');
    expect(request!.params.modelId).toBe(MODEL_ID);
    expect(request!.path).toBe(`/model/${encodeURIComponent(MODEL_ID)}/converse`);
    expect(request!.body).toEqual({
      system: [{ text: 'Answer only from the context. Use null when a value is absent.' }],
      messages: [
        {
          role: 'user',
          content: [{ text: 'Context: Acme Corp borrows USD 1,250,000.00 maturing 2030-06-30.' }],
        },
      ],
      inferenceConfig: { maxTokens: 4_000, temperature: 0 },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: TOOL,
              description: 'Record the loan terms found in the context.',
              inputSchema: { json: SCHEMA },
            },
          },
        ],
        toolChoice: { tool: { name: TOOL } },
      },
    });
    // The real SDK signed it with SigV4 for the bedrock service.
    expect(request!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDSTUBSTUBSTUBSTUB\/\d{8}\/us-east-1\/bedrock\/aws4_request/,
    );
  });

  it('answers through the stub default when nothing is scripted (request passes its validation)', async () => {
    stub.defaultToolInput = { borrower_name: null, loan_amount: null, maturity_date: null };
    const result = await converseWithTool(options());
    expect(result.toolInput).toEqual({ borrower_name: null, loan_amount: null, maturity_date: null });
    expect(result.usage.inputTokens).toBeGreaterThan(0);
  });

  it('retries throttling twice and then succeeds', async () => {
    stub.throttle('Converse', 2).enqueue('Converse', reply.toolUse(TOOL, { borrower_name: 'Acme Corp' }));
    const retries: number[] = [];

    const result = await converseWithTool(
      options({ retry: { ...fastRetry, onRetry: (e) => retries.push(e.attempt) } }),
    );

    expect(result.toolInput).toEqual({ borrower_name: 'Acme Corp' });
    expect(stub.count('Converse')).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('maps throttling that outlasts the retries to DEPENDENCY_UNAVAILABLE without the AWS message', async () => {
    stub.throttle('Converse', 3);
    const error = await converseWithTool(options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect((error as AppError).message).not.toContain('Too many requests');
    expect((error as AppError).details).toEqual({ dependency: 'bedrock-runtime' });
    expect(((error as AppError).cause as Error).name).toBe('ThrottlingException');
    expect(stub.count('Converse')).toBe(3);
  });

  it('does not retry a validation error and reports UPSTREAM_ERROR', async () => {
    stub.enqueue(
      'Converse',
      reply.validation('The model arn:aws:bedrock:secret does not support tool choice'),
    );
    const error = await converseWithTool(options()).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('UPSTREAM_ERROR');
    expect((error as AppError).message).not.toMatch(/arn:|tool choice/);
    expect(((error as AppError).cause as Error).message).toContain('does not support tool choice');
    expect(stub.count('Converse')).toBe(1);
  });

  it('reads the error type from a __type body as well as from the header', async () => {
    stub.enqueue(
      'Converse',
      reply.error(500, 'InternalServerException', 'boom', 'body'),
      reply.toolUse(TOOL, { a: 1 }),
    );
    const result = await converseWithTool(options());
    expect(result.toolInput).toEqual({ a: 1 });
    expect(stub.count('Converse')).toBe(2);
  });

  it('turns a slow model into UPSTREAM_TIMEOUT after each attempt hits its deadline', async () => {
    stub.enqueue('Converse', reply.delay(5_000), reply.delay(5_000));
    const started = performance.now();
    const error = await converseWithTool(
      options({ timeoutMs: 500, retry: { ...fastRetry, maxAttempts: 2 } }),
    ).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('UPSTREAM_TIMEOUT');
    expect(stub.count('Converse')).toBe(2);
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  it('recovers when the first attempt times out and the second answers', async () => {
    stub.enqueue('Converse', reply.delay(5_000), reply.toolUse(TOOL, { borrower_name: 'B' }));
    const result = await converseWithTool(options({ timeoutMs: 500 }));
    expect(result.toolInput).toEqual({ borrower_name: 'B' });
    expect(stub.count('Converse')).toBe(2);
  });

  it('retries a dropped connection', async () => {
    stub.enqueue('Converse', reply.reset(), reply.toolUse(TOOL, { borrower_name: 'C' }));
    const result = await converseWithTool(options());
    expect(result.toolInput).toEqual({ borrower_name: 'C' });
    expect(stub.count('Converse')).toBe(2);
  });

  it('maps a connection that keeps dropping to UPSTREAM_ERROR, not a timeout', async () => {
    stub.enqueue('Converse', reply.reset(), reply.reset(), reply.reset());
    const error = await converseWithTool(options()).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('UPSTREAM_ERROR');
    expect(stub.count('Converse')).toBe(3);
  });

  it('passes a caller cancellation through and stops', async () => {
    stub.enqueue('Converse', reply.delay(5_000));
    const controller = new AbortController();
    const reason = new Error('request closed by client');
    setTimeout(() => controller.abort(reason), 100);
    await expect(converseWithTool(options({ signal: controller.signal }))).rejects.toBe(reason);
    expect(stub.count('Converse')).toBe(1);
  });

  it('opens the breaker after N failures, fails fast without calling the stub, then half-opens after the reset', async () => {
    const clock = fakeClock();
    const breaker = createDependencyBreaker({
      failureThreshold: 3,
      resetTimeoutMs: 30_000,
      clock,
      name: 'bedrock-runtime',
    });
    stub.handle('Converse', () => reply.internal());

    // One logical call, three failing attempts: the breaker counts each attempt.
    const first = await converseWithTool(options({ breaker })).catch((e: unknown) => e);
    expect((first as AppError).code).toBe('UPSTREAM_ERROR');
    expect(stub.count('Converse')).toBe(3);
    expect(breaker.currentState).toBe('open');

    const fast = await converseWithTool(options({ breaker })).catch((e: unknown) => e);
    expect((fast as AppError).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect((fast as AppError).details).toEqual({ dependency: 'bedrock-runtime', retry_after_seconds: 30 });
    expect(stub.count('Converse')).toBe(3);

    clock.advance(30_000);
    expect(breaker.currentState).toBe('half-open');
    stub.handle('Converse', undefined).enqueue('Converse', reply.toolUse(TOOL, { borrower_name: 'D' }));
    const probe = await converseWithTool(options({ breaker }));
    expect(probe.toolInput).toEqual({ borrower_name: 'D' });
    expect(stub.count('Converse')).toBe(4);
    expect(breaker.currentState).toBe('closed');
  });

  it('stops retrying as soon as the breaker opens mid-call', async () => {
    const breaker = createDependencyBreaker({
      failureThreshold: 2,
      resetTimeoutMs: 30_000,
      clock: fakeClock(),
    });
    stub.handle('Converse', () => reply.serviceUnavailable());
    const error = await converseWithTool(options({ breaker, retry: { ...fastRetry, maxAttempts: 5 } })).catch(
      (e: unknown) => e,
    );
    expect((error as AppError).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(stub.count('Converse')).toBe(2);
  });

  it('does not let validation errors open the breaker', async () => {
    const breaker = createDependencyBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 30_000,
      clock: fakeClock(),
    });
    stub.enqueue('Converse', reply.validation('bad request'));
    await expect(converseWithTool(options({ breaker }))).rejects.toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(breaker.currentState).toBe('closed');
  });

  it('returns the raw text when the model answers in prose instead of calling the tool', async () => {
    const prose = 'Here are the terms: {"borrower_name": "Acme Corp", "loan_amount": "1250000.00"';
    stub.enqueue('Converse', reply.text(prose));
    const result = await converseWithTool(options());
    expect(result.toolInput).toBeUndefined();
    expect(result.text).toBe(prose);
    expect(result.stopReason).toBe('end_turn');
  });

  it('returns the raw text when the tool input is broken JSON', async () => {
    const broken = '{"borrower_name": "Acme Corp", "loan_amount": ';
    stub.enqueue('Converse', reply.malformedToolInput(TOOL, broken));
    const result = await converseWithTool(options());
    expect(result.toolInput).toBeUndefined();
    expect(result.text).toBe(broken);
  });

  it('parses tool input that arrives as a JSON string', async () => {
    stub.enqueue('Converse', reply.malformedToolInput(TOOL, '{"borrower_name": "Acme Corp"}'));
    const result = await converseWithTool(options());
    expect(result.toolInput).toEqual({ borrower_name: 'Acme Corp' });
    expect(result.text).toBeUndefined();
  });

  it('hands back tool input that violates the schema untouched, for the caller to validate', async () => {
    const invalid = { borrower_name: 42, loan_amount: ['lots'], surprise: true };
    stub.enqueue('Converse', reply.toolUse(TOOL, invalid));
    const result = await converseWithTool(options());
    expect(result.toolInput).toEqual(invalid);
  });

  it('ignores a call to a tool it did not offer', async () => {
    stub.enqueue('Converse', reply.toolUse('some_other_tool', { x: 1 }));
    const result = await converseWithTool(options());
    expect(result.toolInput).toBeUndefined();
  });

  it('maps a 200 response that is not JSON to UPSTREAM_ERROR', async () => {
    stub.enqueue('Converse', reply.garbage());
    const error = await converseWithTool(options({ retry: { ...fastRetry, maxAttempts: 1 } })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('UPSTREAM_ERROR');
  });
});
