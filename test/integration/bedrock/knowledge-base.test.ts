import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import { newId } from '../../../src/lib/ids.js';
import { createDependencyBreaker } from '../../../src/lib/bedrock/aws-call.js';
import { createBedrockClients } from '../../../src/lib/bedrock/clients.js';
import type { BedrockClients } from '../../../src/lib/bedrock/clients.js';
import { createKnowledgeBase, metadataSidecar, sidecarKey } from '../../../src/lib/bedrock/knowledge-base.js';
import type { KbDocument, KnowledgeBaseOptions } from '../../../src/lib/bedrock/knowledge-base.js';
import { FAKE_CREDENTIALS, reply, startBedrockStub } from '../../helpers/bedrock-stub.js';
import type { BedrockStub } from '../../helpers/bedrock-stub.js';

const KB = 'KBSTUB0001';
const S3_DS = 'DSS3000001';
const CUSTOM_DS = 'DSCUSTOM01';
const TENANT = 'tenant-a';

let stub: BedrockStub;
let clients: BedrockClients;

beforeAll(async () => {
  stub = await startBedrockStub();
  clients = createBedrockClients({
    region: 'eu-west-1',
    endpoint: stub.endpoint,
    credentials: FAKE_CREDENTIALS,
    requestTimeoutMs: 5_000,
  });
});

beforeEach(() => {
  stub.addKnowledgeBase({
    id: KB,
    dataSources: [
      { id: S3_DS, type: 'S3' },
      { id: CUSTOM_DS, type: 'CUSTOM' },
    ],
  });
});

afterEach(() => stub.resetState());

afterAll(async () => {
  clients.destroy();
  await stub.close();
});

function kb(overrides: Partial<KnowledgeBaseOptions> = {}) {
  return createKnowledgeBase({
    clients,
    kbId: KB,
    dataSourceId: S3_DS,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    ...overrides,
  });
}

describe('retrieve', () => {
  it("sends the booking and tenant filter and gets only that booking's passages", async () => {
    const mine = newId();
    const other = newId();
    stub.addPassages(KB, [
      {
        text: 'The facility amount is USD 5,000,000.00 for Acme Corp.',
        metadata: { booking_id: mine, tenant_id: TENANT, document_id: 'doc-1', page: 3 },
        s3Uri: `s3://docs/${mine}/doc-1.pdf`,
      },
      {
        text: 'The facility amount is USD 9,999,999.00 for Globex.',
        metadata: { booking_id: other, tenant_id: TENANT, document_id: 'doc-2' },
        s3Uri: `s3://docs/${other}/doc-2.pdf`,
      },
      {
        text: 'Same booking id, another tenant: facility amount USD 1.00.',
        metadata: { booking_id: mine, tenant_id: 'tenant-b', document_id: 'doc-3' },
        s3Uri: `s3://docs/${mine}/doc-3.pdf`,
      },
      {
        text: 'Maturity date is 2030-06-30.',
        metadata: {
          booking_id: mine,
          tenant_id: TENANT,
          document_id: 'doc-1',
          'x-amz-bedrock-kb-document-page-number': 7,
        },
        s3Uri: `s3://docs/${mine}/doc-1.pdf`,
      },
    ]);

    const { passages, discarded } = await kb().retrieve({
      query: 'facility amount',
      bookingId: mine,
      tenantId: TENANT,
      numberOfResults: 15,
    });

    const [request] = stub.requestsFor('Retrieve');
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe(`/knowledgebases/${KB}/retrieve`);
    expect(request!.body).toEqual({
      retrievalQuery: { text: 'facility amount' },
      retrievalConfiguration: {
        vectorSearchConfiguration: {
          numberOfResults: 15,
          filter: {
            andAll: [
              { equals: { key: 'booking_id', value: mine } },
              { equals: { key: 'tenant_id', value: TENANT } },
            ],
          },
        },
      },
    });
    expect(discarded).toBe(0);
    expect(passages.map((p) => p.text)).toEqual([
      'The facility amount is USD 5,000,000.00 for Acme Corp.',
      'Maturity date is 2030-06-30.',
    ]);
    expect(passages[0]).toMatchObject({
      score: 1,
      location: `s3://docs/${mine}/doc-1.pdf`,
      documentId: 'doc-1',
      page: 3,
      metadata: { booking_id: mine, tenant_id: TENANT, document_id: 'doc-1', page: 3 },
    });
    expect(passages[1]!.page).toBe(7);
  });

  it('discards passages of another booking even if the index ignores the filter', async () => {
    const mine = newId();
    stub.handle('Retrieve', () =>
      reply.json({
        retrievalResults: [
          {
            content: { type: 'TEXT', text: 'mine' },
            score: 0.9,
            metadata: { booking_id: mine, tenant_id: TENANT, tags: ['signed'], nested: { ignored: true } },
          },
          {
            content: { type: 'TEXT', text: 'theirs' },
            score: 0.8,
            metadata: { booking_id: newId(), tenant_id: TENANT },
          },
          { content: { type: 'TEXT', text: 'no metadata' }, score: 0.7 },
        ],
      }),
    );
    const { passages, discarded } = await kb().retrieve({ query: 'q', bookingId: mine, tenantId: TENANT });
    expect(passages.map((p) => p.text)).toEqual(['mine']);
    expect(passages[0]!.metadata).toEqual({ booking_id: mine, tenant_id: TENANT, tags: ['signed'] });
    expect(discarded).toBe(2);
  });

  it('caps numberOfResults at what the API accepts', async () => {
    await kb().retrieve({ query: 'q', bookingId: newId(), tenantId: TENANT, numberOfResults: 500 });
    expect(
      stub.requestsFor('Retrieve')[0]!.body.retrievalConfiguration.vectorSearchConfiguration.numberOfResults,
    ).toBe(100);
  });

  it('retries throttling and maps an unknown knowledge base to UPSTREAM_ERROR', async () => {
    stub.throttle('Retrieve', 1);
    const ok = await kb().retrieve({ query: 'q', bookingId: newId(), tenantId: TENANT });
    expect(ok.passages).toEqual([]);
    expect(stub.count('Retrieve')).toBe(2);

    const error = await kb({ kbId: 'NOSUCHKB01' })
      .retrieve({ query: 'q', bookingId: newId(), tenantId: TENANT })
      .catch((e: unknown) => e);
    expect((error as AppError).code).toBe('UPSTREAM_ERROR');
    expect((error as AppError).message).not.toContain('NOSUCHKB01');
  });

  it('finds inline documents it ingested, by their metadata (end to end on a CUSTOM data source)', async () => {
    const booking = newId();
    const base = kb({ dataSourceId: CUSTOM_DS, dataSourceType: 'CUSTOM' });
    await base.ingestDocuments([
      {
        id: 'doc-a',
        text: 'Borrower: Acme Corp',
        metadata: { booking_id: booking, tenant_id: TENANT, document_id: 'doc-a' },
      },
      {
        id: 'doc-b',
        text: 'Borrower: Globex',
        metadata: { booking_id: newId(), tenant_id: TENANT, document_id: 'doc-b' },
      },
    ]);
    const { passages } = await base.retrieve({ query: 'borrower', bookingId: booking, tenantId: TENANT });
    expect(passages.map((p) => [p.text, p.documentId])).toEqual([['Borrower: Acme Corp', 'doc-a']]);
  });
});

describe('ingestion jobs', () => {
  it('starts a job and follows it STARTING -> IN_PROGRESS -> COMPLETE with statistics', async () => {
    stub.planIngestion({
      outcome: 'COMPLETE',
      inProgressPolls: 2,
      statistics: { numberOfDocumentsScanned: 4, numberOfNewDocumentsIndexed: 3, numberOfDocumentsFailed: 1 },
    });
    const base = kb();
    const started = await base.startIngestion({ description: 'booking upload' });
    expect(started.status).toBe('STARTING');

    const [startRequest] = stub.requestsFor('StartIngestionJob');
    expect(startRequest!.method).toBe('PUT');
    expect(startRequest!.path).toBe(`/knowledgebases/${KB}/datasources/${S3_DS}/ingestionjobs/`);
    expect(Object.keys(startRequest!.body).sort()).toEqual(['clientToken', 'description']);
    expect(startRequest!.body.clientToken.length).toBeGreaterThanOrEqual(33);

    const seen = [];
    for (let i = 0; i < 4; i += 1) seen.push(await base.getIngestionJob(started.jobId));
    expect(seen.map((j) => j.status)).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'COMPLETE', 'COMPLETE']);
    const done = seen[2]!;
    expect(done.jobId).toBe(started.jobId);
    expect(done.statistics).toEqual({
      documentsScanned: 4,
      metadataDocumentsScanned: 0,
      newDocumentsIndexed: 3,
      modifiedDocumentsIndexed: 0,
      metadataDocumentsModified: 0,
      documentsDeleted: 0,
      documentsFailed: 1,
      documentsSkipped: 0,
    });
    expect(done.failureReasons).toEqual([]);
    expect(done.startedAt).toBeInstanceOf(Date);
    expect(stub.requestsFor('GetIngestionJob')[0]!.path).toBe(
      `/knowledgebases/${KB}/datasources/${S3_DS}/ingestionjobs/${started.jobId}`,
    );
  });

  it('reports a failed job with its reasons', async () => {
    stub.planIngestion({
      outcome: 'FAILED',
      inProgressPolls: 0,
      failureReasons: ['Metadata file is not valid JSON'],
    });
    const base = kb();
    const { jobId } = await base.startIngestion();
    const job = await base.getIngestionJob(jobId);
    expect(job.status).toBe('FAILED');
    expect(job.failureReasons).toEqual(['Metadata file is not valid JSON']);
  });

  it('keeps one client token across retries, so a lost response does not start a second job', async () => {
    // The stub creates the job, then drops the connection before answering.
    stub.enqueue('StartIngestionJob', reply.reset(true));
    const started = await kb().startIngestion();
    const requests = stub.requestsFor('StartIngestionJob');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.body.clientToken).toBe(requests[0]!.body.clientToken);
    expect(stub.jobs.size).toBe(1);
    expect(stub.jobs.has(started.jobId)).toBe(true);
  });

  it('maps an unknown job to JOB_NOT_FOUND without retrying', async () => {
    const error = await kb()
      .getIngestionJob('NOSUCHJOB1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('JOB_NOT_FOUND');
    expect(stub.count('GetIngestionJob')).toBe(1);
  });
});

describe('ingestDocuments', () => {
  it('sends inline text with its metadata as inline attributes to a CUSTOM data source', async () => {
    const booking = newId();
    const statuses = await kb({ dataSourceId: CUSTOM_DS, dataSourceType: 'CUSTOM' }).ingestDocuments([
      {
        id: 'doc-1',
        text: 'Page one text',
        metadata: { booking_id: booking, tenant_id: TENANT, document_id: 'doc-1', page: 1, ocr: false },
      },
    ]);
    expect(statuses).toEqual([{ identifier: 'doc-1', status: 'STARTING', statusReason: undefined }]);
    const [request] = stub.requestsFor('IngestKnowledgeBaseDocuments');
    expect(request!.method).toBe('PUT');
    expect(request!.path).toBe(`/knowledgebases/${KB}/datasources/${CUSTOM_DS}/documents`);
    expect(request!.body.documents).toEqual([
      {
        content: {
          dataSourceType: 'CUSTOM',
          custom: {
            customDocumentIdentifier: { id: 'doc-1' },
            sourceType: 'IN_LINE',
            inlineContent: { type: 'TEXT', textContent: { data: 'Page one text' } },
          },
        },
        metadata: {
          type: 'IN_LINE_ATTRIBUTE',
          inlineAttributes: [
            { key: 'booking_id', value: { type: 'STRING', stringValue: booking } },
            { key: 'tenant_id', value: { type: 'STRING', stringValue: TENANT } },
            { key: 'document_id', value: { type: 'STRING', stringValue: 'doc-1' } },
            { key: 'page', value: { type: 'NUMBER', numberValue: 1 } },
            { key: 'ocr', value: { type: 'BOOLEAN', booleanValue: false } },
          ],
        },
      },
    ]);
  });

  it('writes the metadata sidecar and points an S3 document at it', async () => {
    const booking = newId();
    const written = new Map<string, string>();
    const uri = `s3://loan-docs/tenants/${TENANT}/bookings/${booking}/doc-9`;
    const statuses = await kb({
      putSidecar: (target, body) => {
        written.set(target, body);
        return Promise.resolve();
      },
    }).ingestDocuments([
      { s3Uri: uri, metadata: { booking_id: booking, tenant_id: TENANT, document_id: 'doc-9' } },
    ]);

    expect(written.get(`${uri}.metadata.json`)).toBe(
      JSON.stringify({
        metadataAttributes: { booking_id: booking, tenant_id: TENANT, document_id: 'doc-9' },
      }),
    );
    expect(stub.requestsFor('IngestKnowledgeBaseDocuments')[0]!.body.documents).toEqual([
      {
        content: { dataSourceType: 'S3', s3: { s3Location: { uri } } },
        metadata: { type: 'S3_LOCATION', s3Location: { uri: `${uri}.metadata.json` } },
      },
    ]);
    expect(statuses).toEqual([{ identifier: uri, status: 'STARTING', statusReason: undefined }]);
  });

  it('sends S3 content with S3 metadata to a CUSTOM data source', async () => {
    const uri = 's3://loan-docs/x/doc-2';
    await kb({
      dataSourceId: CUSTOM_DS,
      dataSourceType: 'CUSTOM',
      putSidecar: () => Promise.resolve(),
    }).ingestDocuments([{ id: 'doc-2', s3Uri: uri, metadata: { booking_id: 'b', tenant_id: TENANT } }]);
    expect(stub.requestsFor('IngestKnowledgeBaseDocuments')[0]!.body.documents[0]).toEqual({
      content: {
        dataSourceType: 'CUSTOM',
        custom: { customDocumentIdentifier: { id: 'doc-2' }, sourceType: 'S3_LOCATION', s3Location: { uri } },
      },
      metadata: { type: 'S3_LOCATION', s3Location: { uri: `${uri}.metadata.json` } },
    });
  });

  it('refuses, before any call, what the API would reject or silently lose', async () => {
    const inlineOnS3: KbDocument = { id: 'd', text: 't', metadata: { booking_id: 'b' } };
    // A bad document anywhere in the list stops the whole call, even one behind a valid first batch.
    const valid: KbDocument[] = Array.from({ length: 26 }, (_, i) => ({
      s3Uri: `s3://b/k${i}`,
      metadata: {},
    }));
    await expect(kb().ingestDocuments([...valid, inlineOnS3])).rejects.toMatchObject({
      code: 'INTERNAL_ERROR',
    });
    await expect(
      kb({
        dataSourceId: CUSTOM_DS,
        dataSourceType: 'CUSTOM',
        putSidecar: () => Promise.resolve(),
      }).ingestDocuments([{ s3Uri: 's3://b/no-id', metadata: { booking_id: 'b' } }]),
    ).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    // Without a sidecar writer the chunks would carry no booking id at all.
    await expect(
      kb().ingestDocuments([{ s3Uri: 's3://b/k', metadata: { booking_id: 'b' } }]),
    ).rejects.toMatchObject({
      code: 'INTERNAL_ERROR',
    });
    await expect(
      kb({ dataSourceId: CUSTOM_DS, dataSourceType: 'CUSTOM' }).ingestDocuments([
        { id: 'd', text: 't', metadata: { 'x-amz-bedrock-kb-source-uri': 'spoof' } },
      ]),
    ).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    await expect(
      kb({ dataSourceId: CUSTOM_DS, dataSourceType: 'CUSTOM' }).ingestDocuments([
        { id: 'd', text: 't', metadata: tooMany },
      ]),
    ).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    expect(stub.count('IngestKnowledgeBaseDocuments')).toBe(0);
  });

  it('refuses to retrieve without both a booking and a tenant', async () => {
    await expect(kb().retrieve({ query: 'q', bookingId: '', tenantId: TENANT })).rejects.toMatchObject({
      code: 'INTERNAL_ERROR',
    });
    expect(stub.count('Retrieve')).toBe(0);
  });

  it('splits more than 25 documents into batches, each with its own client token', async () => {
    const docs: KbDocument[] = Array.from({ length: 30 }, (_, i) => ({
      id: `doc-${i}`,
      text: `text ${i}`,
      metadata: { booking_id: 'b', tenant_id: TENANT },
    }));
    const statuses = await kb({ dataSourceId: CUSTOM_DS, dataSourceType: 'CUSTOM' }).ingestDocuments(docs, {
      clientToken: 'c'.repeat(40),
    });
    const requests = stub.requestsFor('IngestKnowledgeBaseDocuments');
    expect(requests.map((r) => (r.body.documents as unknown[]).length)).toEqual([25, 5]);
    expect(requests.map((r) => r.body.clientToken as string)).toEqual([
      `${'c'.repeat(40)}-0`,
      `${'c'.repeat(40)}-1`,
    ]);
    expect(statuses).toHaveLength(30);
    expect(stub.ingestedDocuments).toHaveLength(30);
  });

  it('retries a throttled batch with the same client token', async () => {
    stub.throttle('IngestKnowledgeBaseDocuments', 1);
    await kb({ dataSourceId: CUSTOM_DS, dataSourceType: 'CUSTOM' }).ingestDocuments([
      { id: 'd', text: 't', metadata: { booking_id: 'b', tenant_id: TENANT } },
    ]);
    const [first, second] = stub.requestsFor('IngestKnowledgeBaseDocuments');
    expect(second!.body.clientToken).toBe(first!.body.clientToken);
    expect(stub.ingestedDocuments).toHaveLength(1);
  });
});

describe('metadata sidecar', () => {
  it('is the documented {"metadataAttributes": {...}} object', () => {
    const body = metadataSidecar({
      booking_id: 'b-1',
      tenant_id: 't-1',
      document_id: 'd-1',
      page: 2,
      scanned: true,
    });
    expect(JSON.parse(body)).toEqual({
      metadataAttributes: { booking_id: 'b-1', tenant_id: 't-1', document_id: 'd-1', page: 2, scanned: true },
    });
    expect(sidecarKey('tenants/t-1/bookings/b-1/d-1')).toBe('tenants/t-1/bookings/b-1/d-1.metadata.json');
  });

  it('rejects values and keys the service would not accept', () => {
    expect(() => metadataSidecar({ page: Number.NaN })).toThrow(AppError);
    expect(() => metadataSidecar({ '': 'x' })).toThrow(AppError);
    expect(() => metadataSidecar({ 'x-amz-bedrock-kb-chunk-id': 'x' })).toThrow(AppError);
  });
});

describe('check', () => {
  it('is ready when the knowledge base is ACTIVE and the data source AVAILABLE', async () => {
    await expect(kb().check()).resolves.toEqual({
      ok: true,
      knowledgeBaseStatus: 'ACTIVE',
      dataSourceStatus: 'AVAILABLE',
    });
    expect(stub.requestsFor('GetKnowledgeBase')[0]!.path).toBe(`/knowledgebases/${KB}`);
    expect(stub.requestsFor('GetDataSource')[0]!.path).toBe(`/knowledgebases/${KB}/datasources/${S3_DS}`);
  });

  it('is not ready while the knowledge base is updating', async () => {
    stub.setKnowledgeBaseStatus(KB, 'UPDATING');
    await expect(kb().check()).resolves.toMatchObject({ ok: false, reason: 'KNOWLEDGE_BASE_NOT_ACTIVE' });
  });

  it('is not ready when the knowledge base does not exist, and does not retry', async () => {
    await expect(kb({ kbId: 'MISSING001' }).check()).resolves.toEqual({
      ok: false,
      reason: 'UPSTREAM_ERROR',
    });
    expect(stub.count('GetKnowledgeBase')).toBe(1);
  });

  it('reports an open breaker without calling Bedrock', async () => {
    const breaker = createDependencyBreaker({ failureThreshold: 1, resetTimeoutMs: 60_000 });
    stub.enqueue('Retrieve', reply.serviceUnavailable());
    const base = kb({ breaker, retry: { maxAttempts: 1 } });
    await expect(base.retrieve({ query: 'q', bookingId: 'b', tenantId: TENANT })).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
    });
    await expect(base.check()).resolves.toEqual({ ok: false, reason: 'DEPENDENCY_UNAVAILABLE' });
    expect(stub.count('GetKnowledgeBase')).toBe(0);
  });
});
