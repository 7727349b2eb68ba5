import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBedrockClients, type BedrockClients } from '../../../src/lib/bedrock/clients.js';
import { createDependencyBreaker } from '../../../src/lib/bedrock/aws-call.js';
import { createKnowledgeBase } from '../../../src/lib/bedrock/knowledge-base.js';
import { AppError } from '../../../src/lib/errors.js';
import type { ExtractionOutput, SourcePage } from '../../../src/modules/extraction/engine.js';
import { createEngineProvider, type EngineProviderOptions } from '../../../src/modules/extraction/engine-provider.js';
import { TOOL_NAME, createBedrockEngine, type BedrockEngineOptions } from '../../../src/modules/extraction/engines/bedrock/bedrock-engine.js';
import { FAKE_CREDENTIALS, reply, startBedrockStub, type BedrockStub } from '../../helpers/bedrock-stub.js';
import { AGREEMENT_FACTS, AGREEMENT_PAGES, pagesOf } from './agreement-fixture.js';

const MODEL_ID = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const DOC = '0190a000-0000-7000-8000-000000000001';
const PAGES = pagesOf(DOC, AGREEMENT_PAGES, 'credit-agreement.pdf');
const fastRetry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

let stub: BedrockStub;
let clients: BedrockClients;

beforeAll(async () => {
  stub = await startBedrockStub();
  clients = createBedrockClients({ region: 'us-east-1', endpoint: stub.endpoint, credentials: FAKE_CREDENTIALS, requestTimeoutMs: 5_000 });
});
afterEach(() => stub.resetState());
afterAll(async () => {
  clients.destroy();
  await stub.close();
});

function engine(overrides: Partial<BedrockEngineOptions> = {}) {
  return createBedrockEngine({
    client: clients.runtime,
    modelId: MODEL_ID,
    timeoutMs: 2_000,
    breaker: createDependencyBreaker({ failureThreshold: 5, resetTimeoutMs: 60_000, name: 'bedrock-runtime' }),
    retry: fastRetry,
    ...overrides,
  });
}

/** What a careful model answers for the fixture agreement: each value with a verbatim quote. */
function modelAnswer(): Record<string, unknown> {
  const cite = (page: number, quote: string) => [{ document_id: DOC, page, quote }];
  const none = { value: null, confidence: 0.9, evidence: [] };
  return {
    agreement_execution_date: { value: AGREEMENT_FACTS.executionDate, confidence: 0.98, evidence: cite(1, 'entered into as of March 15, 2024') },
    borrower_names: { value: [AGREEMENT_FACTS.borrower], confidence: 0.97, evidence: cite(1, 'HARBORVIEW LOGISTICS, INC., a Delaware corporation (the "Borrower")') },
    guarantors: none,
    lender_parties: {
      value: [{ role: 'Administrative Agent', name: AGREEMENT_FACTS.agent }],
      confidence: 0.9,
      evidence: cite(1, 'FIRST NATIONAL BANK OF COMMERCE, a national banking association, as Administrative Agent'),
    },
    total_commitment: {
      value: AGREEMENT_FACTS.commitment,
      confidence: 0.93,
      evidence: cite(2, 'The initial amount of the Aggregate Commitments in effect on the Closing Date is $150,000,000.'),
    },
    facility_details: none,
    interest_rate_details: none,
    key_fees: {
      value: [{ fee_type: 'Commitment Fee', fee_rate_or_amount: '0.25% per annum', payment_frequency: 'quarterly in arrears' }],
      confidence: 0.85,
      evidence: cite(3, 'a commitment fee equal to 0.25% per annum'),
    },
    maturity_date_final: { value: AGREEMENT_FACTS.maturity, confidence: 0.96, evidence: cite(2, '"Maturity Date" means March 15, 2029.') },
    maturity_date_rule: none,
    // The model smooths the capitals and the line break away: still the page's own words.
    governing_law: { value: 'New York', confidence: 0.95, evidence: cite(3, 'THE LAW OF THE STATE OF NEW YORK') },
    definition_business_day: none,
    financial_covenants: none,
  };
}

function fieldsOf(out: ExtractionOutput) {
  return out.fields;
}

describe('bedrock engine against the Converse wire protocol (real SDK client, local stub)', () => {
  it('asks through a forced tool at temperature 0 with the schema as input schema, and keeps verified evidence', async () => {
    stub.enqueue('Converse', reply.toolUse(TOOL_NAME, modelAnswer(), { inputTokens: 5120, outputTokens: 880 }));
    const usage: unknown[] = [];
    const out = await engine({ onUsage: (u) => usage.push(u) }).extract({ schemaName: 'credit_agreement', pages: PAGES });

    const [request] = stub.requestsFor('Converse');
    expect(request!.params.modelId).toBe(MODEL_ID);
    expect(request!.body.inferenceConfig.temperature).toBe(0);
    expect(request!.body.toolConfig.toolChoice).toEqual({ tool: { name: TOOL_NAME } });
    const schema = request!.body.toolConfig.tools[0].toolSpec.inputSchema.json;
    expect(schema.required).toContain('total_commitment');
    expect(schema.properties.total_commitment.properties.value.anyOf[0].properties.currency.pattern).toBe('^[A-Z]{3}$');
    expect(schema.properties.total_commitment.required).toEqual(['value', 'confidence', 'evidence']);
    // The whole (small) agreement is in the prompt, every page labelled with its document and page.
    const prompt: string = request!.body.messages[0].content[0].text;
    expect(prompt).toContain(`<page document_id="${DOC}" document_name="credit-agreement.pdf" page="3">`);
    expect(prompt).toContain('THE LAW OF THE STATE OF NEW YORK');
    expect(request!.body.system[0].text).toMatch(/never guess/);

    const f = fieldsOf(out);
    expect(f.total_commitment).toMatchObject({ value: AGREEMENT_FACTS.commitment, engine: 'bedrock', needs_review: false, review_reasons: [] });
    expect(f.total_commitment!.confidence).toBe(0.93);
    // The model said 0.98: no model value is trusted beyond 0.95.
    expect(f.agreement_execution_date!.confidence).toBe(0.95);
    for (const result of Object.values(f)) {
      for (const e of result.evidence) {
        const page = PAGES.find((p) => p.documentId === e.document_id && p.page === e.page)!;
        expect(page.text.slice(e.start, e.end)).toBe(e.quote);
      }
    }
    const law = f.governing_law!.evidence[0]!;
    expect(law.page).toBe(3);
    expect(law.quote).toBe('THE LAW OF THE STATE OF NEW YORK');
    expect(f.guarantors).toMatchObject({ value: null, evidence: [], needs_review: false });
    expect(out.usage).toEqual({ input_tokens: 5120, output_tokens: 880 });
    expect(usage).toEqual([{ input_tokens: 5120, output_tokens: 880 }]);
  });

  it('locates a quote copied with other whitespace and typographic quotes', async () => {
    const answer = modelAnswer();
    answer.maturity_date_final = { value: '2029-03-15', confidence: 0.9, evidence: [{ document_id: DOC, page: 2, quote: '\u201cMaturity   Date\u201d means\nMarch 15, 2029' }] };
    stub.enqueue('Converse', reply.toolUse(TOOL_NAME, answer));
    const out = await engine().extract({ schemaName: 'credit_agreement', pages: PAGES });
    const e = out.fields.maturity_date_final!.evidence[0]!;
    expect(e.quote).toBe('"Maturity Date" means March 15, 2029');
    expect(PAGES[1]!.text.slice(e.start, e.end)).toBe(e.quote);
    expect(out.fields.maturity_date_final!.needs_review).toBe(false);
  });

  it('retries throttling with backoff and then succeeds', async () => {
    stub.throttle('Converse', 2).enqueue('Converse', reply.toolUse(TOOL_NAME, modelAnswer()));
    const retries: number[] = [];
    const out = await engine({ retry: { ...fastRetry, onRetry: (e) => retries.push(e.delayMs) } }).extract({ schemaName: 'credit_agreement', pages: PAGES });
    expect(stub.count('Converse')).toBe(3);
    expect(retries).toHaveLength(2);
    expect(out.fields.governing_law!.value).toBe('New York');
  });

  it('refuses an answer that is not the structured extraction (broken JSON, prose, an empty object)', async () => {
    stub.enqueue('Converse', reply.malformedToolInput(TOOL_NAME, '{"total_commitment": {"value": '));
    const broken = await engine().extract({ schemaName: 'credit_agreement', pages: PAGES }).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(AppError);
    expect((broken as AppError).code).toBe('UPSTREAM_ERROR');

    stub.enqueue('Converse', reply.text('I could not find a credit agreement in the context.'));
    expect(((await engine().extract({ schemaName: 'credit_agreement', pages: PAGES }).catch((e: unknown) => e)) as AppError).code).toBe('UPSTREAM_ERROR');

    stub.enqueue('Converse', reply.toolUse(TOOL_NAME, {}));
    expect(((await engine().extract({ schemaName: 'credit_agreement', pages: PAGES }).catch((e: unknown) => e)) as AppError).code).toBe('UPSTREAM_ERROR');
  });

  it('uses a JSON answer the model wrote as text instead of through the tool, and says so', async () => {
    stub.enqueue('Converse', reply.text(`Here is the extraction:\n${JSON.stringify(modelAnswer())}\nDone.`));
    const out = await engine().extract({ schemaName: 'credit_agreement', pages: PAGES });
    expect(out.fields.total_commitment!.value).toEqual(AGREEMENT_FACTS.commitment);
    expect(out.warnings.join(' ')).toMatch(/answered in text/);
  });

  it('keeps the valid fields of a partly invalid answer and flags the rest', async () => {
    const answer = modelAnswer();
    // Invalid: money as prose, an impossible date, a field in the wrong shape.
    answer.total_commitment = { value: { amount: '150 million', currency: 'USD' }, confidence: 0.9, evidence: [{ document_id: DOC, page: 2, quote: '$150,000,000' }] };
    answer.maturity_date_final = { value: '2029-02-30', confidence: 0.9, evidence: [] };
    answer.borrower_names = 'HARBORVIEW LOGISTICS, INC.';
    // Valid value, but the quote is not on the page it names (an invented citation).
    answer.governing_law = { value: 'New York', confidence: 0.95, evidence: [{ document_id: DOC, page: 1, quote: 'governed by the laws of New York' }] };
    delete answer.key_fees;
    stub.enqueue('Converse', reply.toolUse(TOOL_NAME, answer));

    const out = await engine().extract({ schemaName: 'credit_agreement', pages: PAGES });
    const f = out.fields;
    expect(f.agreement_execution_date).toMatchObject({ value: '2024-03-15', needs_review: false });
    expect(f.lender_parties!.value).toEqual([{ role: 'Administrative Agent', name: AGREEMENT_FACTS.agent }]);

    expect(f.total_commitment).toMatchObject({ value: null, confidence: 0, needs_review: true, evidence: [] });
    expect(f.total_commitment!.review_reasons).toEqual(expect.arrayContaining(['validation_failed', 'missing_required']));
    expect(f.total_commitment!.validation_errors.join(' ')).toMatch(/total_commitment\/amount/);
    expect(f.maturity_date_final).toMatchObject({ value: null, needs_review: true });
    expect(f.maturity_date_final!.validation_errors.length).toBeGreaterThan(0);

    expect(f.borrower_names!.value).toBeNull();
    expect(f.borrower_names!.review_reasons).toEqual(expect.arrayContaining(['malformed_output', 'validation_failed']));

    expect(f.governing_law).toMatchObject({ value: 'New York', evidence: [], needs_review: true });
    expect(f.governing_law!.confidence).toBeLessThanOrEqual(0.4);
    expect(f.governing_law!.review_reasons).toEqual(expect.arrayContaining(['evidence_not_verified', 'low_confidence']));

    expect(f.key_fees).toMatchObject({ value: null, confidence: 0, needs_review: true });
    expect(f.key_fees!.review_reasons).toContain('malformed_output');
    expect(out.warnings.join(' ')).toMatch(/malformed/);
  });

  it('fails with UPSTREAM_TIMEOUT when every attempt runs past its deadline', async () => {
    stub.enqueue('Converse', reply.delay(3_000), reply.delay(3_000));
    const error = await engine({ timeoutMs: 300, retry: { ...fastRetry, maxAttempts: 2 } })
      .extract({ schemaName: 'credit_agreement', pages: PAGES })
      .catch((e: unknown) => e);
    expect((error as AppError).code).toBe('UPSTREAM_TIMEOUT');
    expect(stub.count('Converse')).toBe(2);
  });

  it('sends only leading and retrieved pages when the booking exceeds the context budget (knowledge base)', async () => {
    const KB = 'KBEXTRACT1';
    stub.addKnowledgeBase({ id: KB, dataSources: [{ id: 'DS00000001', type: 'CUSTOM' }] });
    const filler = (n: number) => `Schedule page ${n}. ${'Lorem ipsum dolor sit amet. '.repeat(40)}`;
    const bigDoc = '0190a000-0000-7000-8000-000000000002';
    const pages: SourcePage[] = [
      ...pagesOf(bigDoc, [AGREEMENT_PAGES[0]!, ...Array.from({ length: 20 }, (_, i) => filler(i + 2)), AGREEMENT_PAGES[2]!]),
    ];
    const lawPage = pages.length; // the governing law clause is on the last page
    stub.addPassages(KB, [
      { text: 'THE LAW OF THE STATE OF NEW YORK', metadata: { booking_id: 'booking-1', tenant_id: 'tenant-a', document_id: bigDoc, page: lawPage } },
      { text: 'the same clause in another booking', metadata: { booking_id: 'booking-2', tenant_id: 'tenant-a', document_id: 'other', page: 1 } },
    ]);
    const kb = createKnowledgeBase({ clients, kbId: KB, dataSourceId: 'DS00000001', dataSourceType: 'CUSTOM', retry: fastRetry });
    const answer = modelAnswer();
    answer.governing_law = { value: 'New York', confidence: 0.95, evidence: [{ document_id: bigDoc, page: lawPage, quote: 'THE LAW OF THE STATE OF NEW YORK' }] };
    stub.handle('Converse', () => reply.toolUse(TOOL_NAME, answer));

    const provider = createEngineProvider({
      defaultEngine: 'bedrock',
      fallbackToRules: false,
      bedrock: { client: clients.runtime, modelId: MODEL_ID, timeoutMs: 2_000, breaker: createDependencyBreaker({ failureThreshold: 5, resetTimeoutMs: 1000 }), retry: fastRetry, knowledgeBase: kb, contextBudgetChars: 6_000 },
    });
    const { output, engineUsed } = await provider.run('bedrock', { tenantId: 'tenant-a', bookingId: 'booking-1' }, { schemaName: 'credit_agreement', pages });
    expect(engineUsed).toBe('bedrock');
    const retrieves = stub.requestsFor('Retrieve');
    expect(retrieves.length).toBeGreaterThan(0);
    expect(retrieves[0]!.body.retrievalConfiguration.vectorSearchConfiguration.filter).toEqual({
      andAll: [
        { equals: { key: 'booking_id', value: 'booking-1' } },
        { equals: { key: 'tenant_id', value: 'tenant-a' } },
      ],
    });
    const prompt: string = stub.requestsFor('Converse')[0]!.body.messages[0].content[0].text;
    expect(prompt).toContain(`page="${lawPage}"`);
    expect(prompt).toContain(`page="1"`);
    expect(prompt).not.toContain('Schedule page 10.');
    expect(output.warnings.join(' ')).toMatch(/context budget/);
    expect(output.fields.governing_law!.evidence[0]).toMatchObject({ page: lawPage, quote: 'THE LAW OF THE STATE OF NEW YORK' });
  });
});

describe('engine provider: choice, configuration and fallback to rules', () => {
  function provider(overrides: Partial<EngineProviderOptions> = {}, breaker = createDependencyBreaker({ failureThreshold: 1, resetTimeoutMs: 60_000, name: 'bedrock-runtime' })) {
    return createEngineProvider({
      defaultEngine: 'rules',
      fallbackToRules: true,
      bedrock: { client: clients.runtime, modelId: MODEL_ID, timeoutMs: 2_000, breaker, retry: { ...fastRetry, maxAttempts: 1 } },
      ...overrides,
    });
  }
  const scope = { tenantId: 'tenant-a', bookingId: 'booking-1' };

  it('refuses bedrock with EXTRACTION_ENGINE_UNAVAILABLE when no model is configured', () => {
    const p = createEngineProvider({ defaultEngine: 'rules', fallbackToRules: true });
    expect(p.available()).toEqual(['rules']);
    expect(p.resolve(undefined)).toBe('rules');
    const error = (() => {
      try {
        p.resolve('bedrock');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('EXTRACTION_ENGINE_UNAVAILABLE');
    expect((error as AppError).status).toBe(422);
  });

  it('falls back to rules when the model fails, and again without calling it while the breaker is open', async () => {
    stub.enqueue('Converse', reply.serviceUnavailable());
    const fallbacks: string[] = [];
    const p = provider({ onFallback: (from, e) => fallbacks.push(`${from}:${(e as AppError).code}`) });
    const first = await p.run('bedrock', scope, { schemaName: 'credit_agreement', pages: PAGES });
    expect(first.engineUsed).toBe('rules');
    expect(first.output.warnings[0]).toMatch(/bedrock engine failed \(DEPENDENCY_UNAVAILABLE\)/);
    expect(first.output.fields.maturity_date_final).toMatchObject({ value: '2029-03-15', engine: 'rules' });
    expect(stub.count('Converse')).toBe(1);

    // The breaker opened on that failure: the next run never reaches the model.
    const second = await p.run('bedrock', scope, { schemaName: 'credit_agreement', pages: PAGES });
    expect(second.engineUsed).toBe('rules');
    expect(stub.count('Converse')).toBe(1);
    expect(fallbacks).toEqual(['bedrock:DEPENDENCY_UNAVAILABLE', 'bedrock:DEPENDENCY_UNAVAILABLE']);
  });

  it('falls back on a malformed answer, and reports the failure when fallback is off', async () => {
    stub.enqueue('Converse', reply.text('no idea'));
    const fell = await provider().run('bedrock', scope, { schemaName: 'credit_agreement', pages: PAGES });
    expect(fell.engineUsed).toBe('rules');
    expect(fell.output.warnings[0]).toMatch(/UPSTREAM_ERROR/);

    stub.enqueue('Converse', reply.text('no idea'));
    const error = await provider({ fallbackToRules: false })
      .run('bedrock', scope, { schemaName: 'credit_agreement', pages: PAGES })
      .catch((e: unknown) => e);
    expect((error as AppError).code).toBe('UPSTREAM_ERROR');
  });

  it('does not fall back when the caller cancelled the run', async () => {
    stub.enqueue('Converse', reply.delay(3_000));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('worker stopping')), 100);
    const error = await provider()
      .run('bedrock', scope, { schemaName: 'credit_agreement', pages: PAGES, signal: controller.signal })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('worker stopping');
  });
});
