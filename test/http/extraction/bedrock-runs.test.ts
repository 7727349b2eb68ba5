import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type Workers } from '../../../src/jobs.js';
import { TOOL_NAME } from '../../../src/modules/extraction/engines/bedrock/bedrock-engine.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { FAKE_CREDENTIALS, reply, startBedrockStub, type BedrockStub } from '../../helpers/bedrock-stub.js';
import { AGREEMENT_PAGES } from '../../integration/extraction/agreement-fixture.js';
import { createBooking, runToEnd, seedDocument, startRun, type Caller } from './helpers.js';

describe('bedrock extraction runs over HTTP (real SDK client, local Converse stub)', () => {
  let stub: BedrockStub;
  let t: TestApp;
  let workers: Workers;
  let analyst: Caller;

  beforeAll(async () => {
    stub = await startBedrockStub();
    // The SDK's default credential chain reads these; the stub does not check signatures.
    process.env.AWS_ACCESS_KEY_ID = FAKE_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = FAKE_CREDENTIALS.secretAccessKey;
    t = await createTestApp({
      env: {
        BEDROCK_MODEL_ID: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
        BEDROCK_ENDPOINT: stub.endpoint,
        BEDROCK_TIMEOUT_MS: '3000',
        EXTRACTION_FALLBACK_TO_RULES: 'true',
      },
    });
    workers = await startWorkers(t.app.services);
    analyst = await t.auth('analyst');
  });
  afterEach(() => stub.resetState());
  afterAll(async () => {
    await workers.stop();
    await t.close();
    await stub.close();
  });

  async function bookingWithAgreement() {
    const bookingId = await createBooking(t, analyst);
    const documentId = await seedDocument(t, analyst.tenantId, bookingId, AGREEMENT_PAGES, { fileName: 'credit-agreement.pdf' });
    return { bookingId, documentId };
  }

  it('runs the bedrock engine when asked, with verified evidence and token usage', async () => {
    const { bookingId, documentId } = await bookingWithAgreement();
    stub.enqueue(
      'Converse',
      reply.toolUse(
        TOOL_NAME,
        {
          governing_law: { value: 'New York', confidence: 0.9, evidence: [{ document_id: documentId, page: 3, quote: 'THE LAW OF THE STATE OF NEW YORK' }] },
          maturity_date_final: { value: '2029-03-15', confidence: 0.9, evidence: [{ document_id: documentId, page: 2, quote: 'not on the page' }] },
        },
        { inputTokens: 3000, outputTokens: 400 },
      ),
    );
    const run = await runToEnd(t, analyst, bookingId, { schema: 'credit_agreement', engine: 'bedrock' });
    expect(run).toMatchObject({ status: 'succeeded', engine: 'bedrock', engine_used: 'bedrock', usage: { input_tokens: 3000, output_tokens: 400 } });
    expect(run.fields.governing_law).toMatchObject({ value: 'New York', engine: 'bedrock', needs_review: false });
    expect(run.fields.governing_law.evidence[0]).toMatchObject({ document_id: documentId, page: 3, quote: 'THE LAW OF THE STATE OF NEW YORK' });
    expect(run.fields.maturity_date_final).toMatchObject({ value: '2029-03-15', evidence: [], needs_review: true });
    expect(run.fields.maturity_date_final.review_reasons).toContain('evidence_not_verified');
    const [call] = stub.requestsFor('Converse');
    expect(call!.body.inferenceConfig.temperature).toBe(0);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/bedrock_tokens_total\{direction="input"\} 3000/);
    expect(metrics.body).toMatch(/bedrock_tokens_total\{direction="output"\} 400/);
  });

  it('retries a throttled model and succeeds', async () => {
    const { bookingId, documentId } = await bookingWithAgreement();
    stub.throttle('Converse', 2).enqueue(
      'Converse',
      reply.toolUse(TOOL_NAME, { governing_law: { value: 'New York', confidence: 0.9, evidence: [{ document_id: documentId, page: 3, quote: 'STATE OF NEW YORK' }] } }),
    );
    const run = await runToEnd(t, analyst, bookingId, { schema: 'credit_agreement', engine: 'bedrock' });
    expect(run).toMatchObject({ status: 'succeeded', engine_used: 'bedrock', attempts: 1 });
    expect(stub.count('Converse')).toBe(3);
  });

  it('falls back to the rules engine when the model keeps failing, and says so on the run', async () => {
    const { bookingId } = await bookingWithAgreement();
    stub.handle('Converse', () => reply.internal());
    const run = await runToEnd(t, analyst, bookingId, { schema: 'credit_agreement', engine: 'bedrock' });
    expect(run).toMatchObject({ status: 'succeeded', engine: 'bedrock', engine_used: 'rules' });
    expect(run.warnings[0]).toMatch(/the bedrock engine failed \(UPSTREAM_ERROR\); these results come from the rules engine/);
    expect(run.fields.governing_law).toMatchObject({ value: 'New York', engine: 'rules' });
  });

  it('uses the configured default engine when none is named', async () => {
    const { bookingId } = await bookingWithAgreement();
    const res = await startRun(t, analyst, bookingId, { schema: 'credit_agreement' });
    expect(res.json().engine).toBe('rules');
  });
});
