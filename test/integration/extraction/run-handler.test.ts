import { createHash } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../../src/db/database.js';
import { createBedrockClients, type BedrockClients } from '../../../src/lib/bedrock/clients.js';
import { createDependencyBreaker } from '../../../src/lib/bedrock/aws-call.js';
import { systemClock } from '../../../src/lib/clock.js';
import { newId } from '../../../src/lib/ids.js';
import type { JobContext } from '../../../src/lib/job-queue/job-queue.js';
import { splitPassages } from '../../../src/modules/documents/passages.js';
import { createEngineProvider, type EngineProviderOptions } from '../../../src/modules/extraction/engine-provider.js';
import { TOOL_NAME } from '../../../src/modules/extraction/engines/bedrock/bedrock-engine.js';
import { createExtractionRunHandler, type ExtractionRunHandlerDeps } from '../../../src/modules/extraction/extraction.job.js';
import type { ExtractionJobData } from '../../../src/modules/extraction/extraction.service.js';
import type { ExtractionRunRecord } from '../../../src/modules/extraction/extraction.store.js';
import { createSqlRecordStores, type RecordStores } from '../../../src/stores.js';
import { FAKE_CREDENTIALS, reply, startBedrockStub, type BedrockStub } from '../../helpers/bedrock-stub.js';
import { AGREEMENT_PAGES } from './agreement-fixture.js';

const TENANT = 'tenant-run-handler';
const MODEL_ID = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const fastRetry = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 };

let database: Database;
let stores: RecordStores;
let stub: BedrockStub;
let clients: BedrockClients;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  database = await createDatabase({ kind: 'pglite', dataDir: undefined, migrate: true });
  stores = createSqlRecordStores(database);
  stub = await startBedrockStub();
  clients = createBedrockClients({ region: 'us-east-1', endpoint: stub.endpoint, credentials: FAKE_CREDENTIALS, requestTimeoutMs: 5_000 });
});
afterEach(() => stub.resetState());
afterAll(async () => {
  clients.destroy();
  await stub.close();
  await database.close();
});

async function bookingWithDocument(pages: readonly string[] = AGREEMENT_PAGES): Promise<{ bookingId: string; documentId: string }> {
  const now = new Date();
  const booking = await stores.loanBookings.create({
    id: newId(),
    tenantId: TENANT,
    customerName: 'Harborview Logistics, Inc.',
    productId: 'syndicated-loans',
    externalReference: null,
    notes: null,
    status: 'documents_received',
    version: 1,
    createdBy: 'u',
    createdAt: now,
    updatedBy: 'u',
    updatedAt: now,
    deletedAt: null,
    deletedBy: null,
    sync: { state: 'indexed', jobId: null, error: null, updatedAt: null },
  });
  const id = newId();
  await stores.documents.createDocuments([
    {
      id,
      tenantId: TENANT,
      bookingId: booking.id,
      fileName: 'agreement.pdf',
      contentType: 'application/pdf',
      kind: 'pdf',
      sizeBytes: 100,
      sha256: createHash('sha256').update(id).digest('hex'),
      blobKey: `k/${id}`,
      status: 'uploaded',
      errorCode: null,
      errorMessage: null,
      pageCount: null,
      ocrPages: null,
      documentType: null,
      documentTypeConfidence: null,
      uploadedBy: 'u',
      uploadedAt: now,
      processedAt: null,
      attempts: 0,
      leaseToken: null,
      leaseExpiresAt: null,
      deletedAt: null,
    },
  ]);
  const claim = await stores.documents.claimForProcessing(TENANT, id, now, 60_000);
  if (!claim.claimed) throw new Error('not claimed');
  await stores.documents.completeProcessing(TENANT, id, claim.token, {
    pages: pages.map((text, i) => ({ page: i + 1, text, method: 'text' })),
    passages: pages.flatMap((text, i) => splitPassages(i + 1, text)),
    pageCount: pages.length,
    ocrPages: 0,
    documentType: 'credit_agreement',
    documentTypeConfidence: 0.9,
    processedAt: now,
  });
  return { bookingId: booking.id, documentId: id };
}

async function queuedRun(bookingId: string, engine = 'rules'): Promise<ExtractionRunRecord> {
  return stores.extractionRuns.createRun({
    id: newId(),
    tenantId: TENANT,
    bookingId,
    schemaName: 'credit_agreement',
    schemaVersion: '1.0.0',
    engine,
    engineUsed: null,
    documentIds: null,
    status: 'queued',
    attempts: 0,
    leaseToken: null,
    leaseExpiresAt: null,
    fields: null,
    warnings: [],
    usage: null,
    timings: null,
    documentCount: null,
    pageCount: null,
    errorCode: null,
    errorMessage: null,
    createdBy: 'u',
    createdAt: new Date(),
    startedAt: null,
    finishedAt: null,
  });
}

function job(runId: string, opts: { final?: boolean; signal?: AbortSignal; data?: Record<string, unknown> } = {}): JobContext<ExtractionJobData> {
  return {
    id: newId(),
    name: 'extraction.run',
    data: (opts.data ?? { tenantId: TENANT, runId }) as ExtractionJobData,
    retryCount: opts.final ? 2 : 0,
    isFinalAttempt: opts.final ?? false,
    signal: opts.signal ?? new AbortController().signal,
  };
}

function handlerWith(engineOptions: Partial<EngineProviderOptions> = {}, overrides: Partial<ExtractionRunHandlerDeps> = {}) {
  const metrics = new Registry();
  const engines = createEngineProvider({
    defaultEngine: 'rules',
    fallbackToRules: false,
    bedrock: {
      client: clients.runtime,
      modelId: MODEL_ID,
      timeoutMs: 2_000,
      breaker: createDependencyBreaker({ failureThreshold: 50, resetTimeoutMs: 1_000 }),
      retry: fastRetry,
    },
    ...engineOptions,
  });
  const handler = createExtractionRunHandler({ runs: stores.extractionRuns, documents: stores.documents, engines, clock: systemClock, metrics, log, ...overrides });
  return { handler, metrics };
}

const find = async (id: string) => (await stores.extractionRuns.findRun(TENANT, id))!;

describe('extraction.run job handler', () => {
  it('runs a queued run and stores its results; a redelivery of the finished run changes nothing', async () => {
    const { bookingId } = await bookingWithDocument();
    const run = await queuedRun(bookingId);
    const { handler, metrics } = handlerWith();
    await handler(job(run.id));
    const done = await find(run.id);
    expect(done).toMatchObject({ status: 'succeeded', engineUsed: 'rules', attempts: 1, documentCount: 1, pageCount: 3, leaseToken: null });
    expect(done.fields!.governing_law!.value).toBe('New York');
    expect(done.timings!.total_ms).toBeGreaterThanOrEqual(done.timings!.extract_ms);

    await handler(job(run.id));
    await handler(job(run.id, { final: true }));
    expect(await find(run.id)).toEqual(done);
    const text = await metrics.metrics();
    expect(text).toMatch(/extraction_runs_total\{engine="rules",status="succeeded"\} 1/);
  });

  it('leaves a run another worker holds: retry later, or let the holder finish on the last attempt', async () => {
    const { bookingId } = await bookingWithDocument();
    const run = await queuedRun(bookingId);
    const held = await stores.extractionRuns.claimRun(TENANT, run.id, new Date(), 60_000);
    expect(held.claimed).toBe(true);
    const { handler } = handlerWith();
    await expect(handler(job(run.id))).rejects.toThrow(/held by another worker/);
    await handler(job(run.id, { final: true }));
    expect((await find(run.id)).status).toBe('running');
  });

  it('gives a transiently failed run back to the queue, and fails it with the error code on the final attempt', async () => {
    const { bookingId } = await bookingWithDocument();
    const run = await queuedRun(bookingId, 'bedrock');
    const { handler, metrics } = handlerWith();
    stub.enqueue('Converse', reply.serviceUnavailable(), reply.serviceUnavailable());
    await expect(handler(job(run.id))).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(await find(run.id)).toMatchObject({ status: 'queued', attempts: 1, leaseToken: null, errorCode: null });

    stub.enqueue('Converse', reply.serviceUnavailable(), reply.serviceUnavailable());
    await handler(job(run.id, { final: true }));
    const failed = await find(run.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, errorCode: 'DEPENDENCY_UNAVAILABLE', fields: null });
    expect(failed.errorMessage).toMatch(/bedrock-runtime is busy/);
    expect(failed.errorMessage).not.toMatch(/ServiceUnavailable|stub/);
    expect(await metrics.metrics()).toMatch(/extraction_runs_total\{engine="bedrock",status="failed"\} 1/);
  });

  it('answers from the rules engine when the model is down and fallback is on, and says so', async () => {
    const { bookingId } = await bookingWithDocument();
    const run = await queuedRun(bookingId, 'bedrock');
    const { handler, metrics } = handlerWith({ fallbackToRules: true });
    stub.enqueue('Converse', reply.internal(), reply.internal());
    await handler(job(run.id));
    const done = await find(run.id);
    expect(done).toMatchObject({ status: 'succeeded', engine: 'bedrock', engineUsed: 'rules' });
    expect(done.warnings[0]).toMatch(/bedrock engine failed/);
    expect(await metrics.metrics()).toMatch(/extraction_engine_fallbacks_total\{from="bedrock"\} 1/);
  });

  it('stores the model\'s answer with its token usage', async () => {
    const { bookingId, documentId } = await bookingWithDocument();
    const run = await queuedRun(bookingId, 'bedrock');
    const usage: number[] = [];
    const { handler } = handlerWith({ onUsage: (u) => usage.push(u.input_tokens, u.output_tokens) });
    stub.enqueue(
      'Converse',
      reply.toolUse(
        TOOL_NAME,
        { governing_law: { value: 'New York', confidence: 0.9, evidence: [{ document_id: documentId, page: 3, quote: 'THE LAW OF THE STATE OF NEW YORK' }] } },
        { inputTokens: 2048, outputTokens: 256 },
      ),
    );
    await handler(job(run.id));
    const done = await find(run.id);
    expect(done).toMatchObject({ status: 'succeeded', engineUsed: 'bedrock', usage: { input_tokens: 2048, output_tokens: 256 } });
    expect(done.fields!.governing_law).toMatchObject({ value: 'New York', needs_review: false });
    expect(done.fields!.governing_law!.evidence[0]).toMatchObject({ document_id: documentId, page: 3 });
    expect(done.fields!.total_commitment!.review_reasons).toEqual(expect.arrayContaining(['malformed_output', 'missing_required']));
    expect(usage).toEqual([2048, 256]);
  });

  it('ranks pages with the booking\'s full-text search when the documents exceed the model\'s budget', async () => {
    const filler = (n: number) => `Schedule ${n}. ${'Intentionally generic schedule text without terms. '.repeat(30)}`;
    const pages = [AGREEMENT_PAGES[0]!, ...Array.from({ length: 12 }, (_, i) => filler(i + 2)), AGREEMENT_PAGES[2]!];
    const { bookingId } = await bookingWithDocument(pages);
    const run = await queuedRun(bookingId, 'bedrock');
    const budget = AGREEMENT_PAGES[0]!.length + AGREEMENT_PAGES[2]!.length + 2 * filler(2).length + 10;
    const searched: string[] = [];
    const ranked = handlerWith({
      search: async (tenantId, id, query, limit) => {
        searched.push(query);
        return stores.documents.search(tenantId, id, query, limit);
      },
      bedrock: {
        client: clients.runtime,
        modelId: MODEL_ID,
        timeoutMs: 2_000,
        breaker: createDependencyBreaker({ failureThreshold: 50, resetTimeoutMs: 1_000 }),
        retry: fastRetry,
        contextBudgetChars: budget,
      },
    });
    stub.enqueue('Converse', reply.toolUse(TOOL_NAME, { governing_law: { value: null, confidence: 0.5, evidence: [] } }));
    await ranked.handler(job(run.id));
    expect((await find(run.id)).status).toBe('succeeded');
    expect(searched.length).toBeGreaterThan(0);
    expect(searched[0]).toMatch(/ or /);
    const prompt: string = stub.requestsFor('Converse')[0]!.body.messages[0].content[0].text;
    // The governing law page is last: only the search can have brought it in.
    expect(prompt).toContain(`page="${pages.length}"`);
    expect(prompt).toContain('THE LAW OF THE STATE OF NEW YORK');
    expect((await find(run.id)).warnings.join(' ')).toMatch(/most relevant search results/);
  });

  it('fails a run whose documents have no text left with NO_DOCUMENT_TEXT', async () => {
    const { bookingId, documentId } = await bookingWithDocument();
    const run = await queuedRun(bookingId);
    await stores.documents.softDelete(TENANT, documentId, new Date());
    const { handler } = handlerWith();
    await handler(job(run.id));
    expect(await find(run.id)).toMatchObject({ status: 'failed', errorCode: 'NO_DOCUMENT_TEXT' });
  });

  it('fails a run that outlives its deadline with EXTRACTION_TIMEOUT, without retrying it', async () => {
    const { bookingId } = await bookingWithDocument();
    const run = await queuedRun(bookingId, 'bedrock');
    const { handler } = handlerWith({}, { runTimeoutMs: 300 });
    stub.enqueue('Converse', reply.delay(3_000));
    await handler(job(run.id));
    const failed = await find(run.id);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'EXTRACTION_TIMEOUT' });
    expect(failed.errorMessage).toMatch(/did not finish within/);
  });

  it('gives the run back when the worker stops mid-run', async () => {
    const { bookingId } = await bookingWithDocument();
    const run = await queuedRun(bookingId, 'bedrock');
    const { handler } = handlerWith();
    stub.enqueue('Converse', reply.delay(3_000));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('worker stopping')), 200);
    await expect(handler(job(run.id, { signal: controller.signal, final: true }))).rejects.toThrow('worker stopping');
    expect(await find(run.id)).toMatchObject({ status: 'queued', leaseToken: null });
  });

  it('drops a job without ids, and ignores a run that does not exist', async () => {
    const { handler } = handlerWith();
    await handler(job('x', { data: { runId: 5 } }));
    await handler(job(newId()));
  });
});
