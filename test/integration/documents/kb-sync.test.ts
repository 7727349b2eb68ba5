import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { startBedrockStub, FAKE_CREDENTIALS, type BedrockStub } from '../../helpers/bedrock-stub.js';
import { startS3rver, S3RVER_CREDENTIALS, type RunningS3rver } from '../../helpers/s3rver.js';
import { makeTextPdf } from '../../helpers/fixtures.js';
import { createBooking, uploadOk, waitFor, waitForStatus, type Caller } from '../../http/documents/support.js';
import { startWorkers, type Workers } from '../../../src/jobs.js';

/**
 * Knowledge base sync through the real AWS SDK clients against the local bedrock-agent stub:
 * direct ingestion of page texts for local storage (CUSTOM data source), and for S3 storage the
 * metadata sidecar next to each object, StartIngestionJob and durable polling until it settles.
 * Search then goes through Retrieve, filtered to the booking and tenant.
 */

interface SyncStatus {
  state: string;
  job_id: string | null;
  error: string | null;
}

async function syncStatus(t: TestApp, who: Caller, booking: string): Promise<SyncStatus> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${booking}/sync-status`, headers: { authorization: who.authorization } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<SyncStatus>();
}

function waitForSync(t: TestApp, who: Caller, booking: string, states: string[]): Promise<SyncStatus> {
  return waitFor(`booking ${booking} sync ${states.join('/')}`, async () => {
    const s = await syncStatus(t, who, booking);
    return states.includes(s.state) ? s : undefined;
  }, 45_000, 200);
}

const AGREEMENT = makeTextPdf([
  'CREDIT AGREEMENT dated as of March 1, 2024\namong ACME CORP as Borrower and FIRST BANK',
  'This Agreement shall be governed by the law\nof the State of New York.',
]);

describe('knowledge base sync (bedrock-agent stub)', () => {
  let stub: BedrockStub;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  beforeAll(async () => {
    stub = await startBedrockStub();
    stub.addKnowledgeBase({ id: 'KBLOCAL', dataSources: [{ id: 'DSCUSTOM', type: 'CUSTOM' }] });
    stub.addKnowledgeBase({ id: 'KBS3', dataSources: [{ id: 'DSS3', type: 'S3' }] });
  });
  afterAll(async () => {
    await stub?.close();
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  });

  const kbEnv = (kbId: string, dsId: string) => ({
    KB_ID: kbId,
    DATA_SOURCE_ID: dsId,
    BEDROCK_AGENT_ENDPOINT: stub.endpoint,
    BEDROCK_AGENT_RUNTIME_ENDPOINT: stub.endpoint,
    AWS_REGION: 'us-east-1',
  });

  describe('local disk storage: direct ingestion (CUSTOM data source)', () => {
    let t: TestApp;
    let workers: Workers;
    let analyst: Caller;
    beforeAll(async () => {
      process.env.AWS_ACCESS_KEY_ID = FAKE_CREDENTIALS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = FAKE_CREDENTIALS.secretAccessKey;
      t = await createTestApp({ env: kbEnv('KBLOCAL', 'DSCUSTOM') });
      workers = await startWorkers(t.app.services, { kbPollSeconds: 1 });
      analyst = await t.auth('analyst');
    });
    afterAll(async () => {
      await workers?.stop();
      await t?.close();
    });

    it('ingests every page with the booking\'s metadata and marks the booking indexed; search goes through Retrieve with the booking filter', async () => {
      const booking = await createBooking(t, analyst);
      const other = await createBooking(t, analyst, 'Other Borrower');
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'agreement.pdf', type: 'application/pdf', data: AGREEMENT }]);
      const [otherDoc] = await uploadOk(t, analyst, other, [{ name: 'other.txt', type: 'text/plain', data: Buffer.from('Governing law of England for the other borrower.') }]);
      await waitForStatus(t, analyst, doc!.id);
      await waitForStatus(t, analyst, otherDoc!.id);
      const synced = await waitForSync(t, analyst, booking, ['indexed', 'failed']);
      expect(synced).toMatchObject({ state: 'indexed', error: null });
      await waitForSync(t, analyst, other, ['indexed', 'failed']);

      const mine = stub.ingestedDocuments.filter((d) => JSON.stringify(d.document).includes(doc!.id));
      expect(mine).toHaveLength(2);
      for (const [i, d] of mine.entries()) {
        expect(d).toMatchObject({ knowledgeBaseId: 'KBLOCAL', dataSourceId: 'DSCUSTOM' });
        expect(d.document.content.custom).toMatchObject({ sourceType: 'IN_LINE', customDocumentIdentifier: { id: `${doc!.id}-p${i + 1}` } });
        const attrs = Object.fromEntries((d.document.metadata.inlineAttributes as { key: string; value: Record<string, unknown> }[]).map((a) => [a.key, a.value.stringValue ?? a.value.numberValue]));
        expect(attrs).toMatchObject({ booking_id: booking, tenant_id: analyst.tenantId, document_id: doc!.id, file_name: 'agreement.pdf', page: i + 1 });
      }

      const res = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${booking}/search?q=governed%20law`, headers: { authorization: analyst.authorization } });
      expect(res.statusCode, res.body).toBe(200);
      const hits = res.json<{ items: { document_id: string; document_name: string; page: number; text: string }[] }>().items;
      expect(hits.length).toBeGreaterThan(0);
      // Only this booking's passages come back: the other booking's "Governing law" is filtered out by the KB.
      for (const h of hits) expect(h.document_id).toBe(doc!.id);
      expect(hits[0]).toMatchObject({ document_name: 'agreement.pdf', page: 2 });
      expect(hits[0]!.text).toContain('governed by the law');
      const retrieve = stub.requestsFor('Retrieve').at(-1)!;
      expect(retrieve.params.knowledgeBaseId).toBe('KBLOCAL');
      expect(retrieve.body.retrievalQuery.text).toBe('governed law');
      expect(retrieve.body.retrievalConfiguration.vectorSearchConfiguration.filter).toEqual({
        andAll: [{ equals: { key: 'booking_id', value: booking } }, { equals: { key: 'tenant_id', value: analyst.tenantId } }],
      });

      // Deleted: the index still holds its passages, the search leaves them out.
      const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/documents/${doc!.id}`, headers: { authorization: analyst.authorization } });
      expect(del.statusCode).toBe(204);
      const retrievesBefore = stub.count('Retrieve');
      const after = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${booking}/search?q=governed%20law`, headers: { authorization: analyst.authorization } });
      expect(stub.count('Retrieve')).toBe(retrievesBefore + 1);
      expect(after.json<{ items: unknown[] }>().items).toEqual([]);
    });
  });

  describe('S3 storage: metadata sidecar + StartIngestionJob, polled to the end', () => {
    let s3: RunningS3rver;
    let t: TestApp;
    let workers: Workers;
    let analyst: Caller;
    beforeAll(async () => {
      s3 = await startS3rver('cls-kb');
      // s3rver and the stub both accept any signature; one set of keys serves both SDK clients.
      process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
      t = await createTestApp({
        env: { ...kbEnv('KBS3', 'DSS3'), BLOB_STORE: 's3', S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', S3_SSE: 'none' },
      });
      workers = await startWorkers(t.app.services, { kbPollSeconds: 1 });
      analyst = await t.auth('analyst');
    });
    afterAll(async () => {
      await workers?.stop();
      await t?.close();
      await s3?.stop();
    });

    it('writes the sidecar next to the object, starts an ingestion and marks the booking indexed when it completes', async () => {
      stub.planIngestion({ outcome: 'COMPLETE', inProgressPolls: 1, statistics: { numberOfDocumentsScanned: 1, numberOfNewDocumentsIndexed: 1, numberOfDocumentsFailed: 0 } });
      const booking = await createBooking(t, analyst);
      const startsBefore = stub.count('StartIngestionJob');
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'agreement.pdf', type: 'application/pdf', data: AGREEMENT }]);
      await waitForStatus(t, analyst, doc!.id);
      const synced = await waitForSync(t, analyst, booking, ['indexed', 'failed']);
      expect(synced.state, synced.error ?? '').toBe('indexed');

      const key = `tenants/${analyst.tenantId}/loan-bookings/${booking}/documents/${doc!.id}/original`;
      const sidecar = await t.app.services.blob.get(`${key}.metadata.json`);
      const chunks: Buffer[] = [];
      for await (const c of sidecar) chunks.push(c as Buffer);
      expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toEqual({
        metadataAttributes: { booking_id: booking, tenant_id: analyst.tenantId, document_id: doc!.id, file_name: 'agreement.pdf', document_type: 'credit_agreement' },
      });
      expect(stub.count('StartIngestionJob')).toBe(startsBefore + 1);
      const start = stub.requestsFor('StartIngestionJob').at(-1)!;
      expect(start.params).toMatchObject({ knowledgeBaseId: 'KBS3', dataSourceId: 'DSS3' });
      const job = [...stub.jobs.values()].find((j) => j.clientToken === start.body.clientToken)!;
      expect(job.status).toBe('COMPLETE');
      expect(synced.job_id).toBe(job.ingestionJobId);
      // It was followed with GetIngestionJob until it completed (one IN_PROGRESS answer, then COMPLETE).
      expect(stub.requestsFor('GetIngestionJob').filter((r) => r.params.ingestionJobId === job.ingestionJobId)).toHaveLength(2);
    });

    it('a FAILED ingestion marks the booking failed with the reason', async () => {
      stub.planIngestion({ outcome: 'FAILED', inProgressPolls: 0, failureReasons: ['The data source bucket is not accessible'] });
      const booking = await createBooking(t, analyst);
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'memo.txt', type: 'text/plain', data: Buffer.from('A memo about the Acme term loan facility.') }]);
      await waitForStatus(t, analyst, doc!.id);
      const synced = await waitForSync(t, analyst, booking, ['indexed', 'failed']);
      expect(synced).toMatchObject({ state: 'failed', error: 'The data source bucket is not accessible' });
      expect(synced.job_id).toBeTruthy();
    });

    it('search goes through Retrieve filtered to the booking; a deleted document leaves the results and the bucket at once and the index at the next sync', async () => {
      const booking = await createBooking(t, analyst);
      const [kept, removed] = await uploadOk(t, analyst, booking, [
        { name: 'agreement.txt', type: 'text/plain', data: Buffer.from('CREDIT AGREEMENT. Interest accrues at SOFR plus the Applicable Margin.') },
        { name: 'old-draft.txt', type: 'text/plain', data: Buffer.from('Old draft. Interest accrues at a rate to be agreed.') },
      ]);
      await waitForStatus(t, analyst, kept!.id);
      await waitForStatus(t, analyst, removed!.id);
      await waitForSync(t, analyst, booking, ['indexed', 'failed']);
      const meta = (doc: { id: string }, name: string, page: number) => ({ booking_id: booking, tenant_id: analyst.tenantId, document_id: doc.id, file_name: name, page });
      stub.addPassages('KBS3', [
        { text: 'Interest accrues at SOFR plus the Applicable Margin.', metadata: meta(kept!, 'agreement.txt', 1) },
        { text: 'Interest accrues at a rate to be agreed.', metadata: meta(removed!, 'old-draft.txt', 1) },
        { text: 'Interest accrues at a fixed rate for someone else.', metadata: { ...meta(kept!, 'x.txt', 1), booking_id: 'another-booking' } },
        { text: 'Interest accrues in another tenant.', metadata: { ...meta(kept!, 'y.txt', 1), tenant_id: 'tenant-z' } },
      ]);
      const search = async () => {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${booking}/search?q=interest%20accrues&limit=5`, headers: { authorization: analyst.authorization } });
        expect(res.statusCode, res.body).toBe(200);
        return res.json<{ items: { document_id: string; document_name: string; page: number; text: string }[] }>().items;
      };
      expect((await search()).map((h) => h.document_id).sort()).toEqual([kept!.id, removed!.id].sort());
      const retrieve = stub.requestsFor('Retrieve').at(-1)!;
      expect(retrieve.params.knowledgeBaseId).toBe('KBS3');
      expect(retrieve.body.retrievalConfiguration.vectorSearchConfiguration).toMatchObject({
        numberOfResults: 5,
        filter: { andAll: [{ equals: { key: 'booking_id', value: booking } }, { equals: { key: 'tenant_id', value: analyst.tenantId } }] },
      });

      const removedKey = `tenants/${analyst.tenantId}/loan-bookings/${booking}/documents/${removed!.id}/original`;
      expect(await t.app.services.blob.head(`${removedKey}.metadata.json`)).toBeDefined();
      const startsBefore = stub.count('StartIngestionJob');
      const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/documents/${removed!.id}`, headers: { authorization: analyst.authorization } });
      expect(del.statusCode).toBe(204);
      expect(await t.app.services.blob.head(removedKey)).toBeUndefined();
      expect(await t.app.services.blob.head(`${removedKey}.metadata.json`)).toBeUndefined();
      const after = await search();
      expect(after).toEqual([{ document_id: kept!.id, document_name: 'agreement.txt', page: 1, start: 0, end: 52, text: 'Interest accrues at SOFR plus the Applicable Margin.', score: expect.any(Number), highlights: [] }]);
      // The booking is synced again so that the data source drops the deleted object.
      await waitFor('a new ingestion after the delete', async () => (stub.count('StartIngestionJob') > startsBefore ? true : undefined), 30_000, 200);
      const token = stub.requestsFor('StartIngestionJob').at(-1)!.body.clientToken as string;
      const resync = [...stub.jobs.values()].find((j) => j.clientToken === token)!;
      const settled = await waitFor('the booking to follow the new ingestion to its end', async () => {
        const st = await syncStatus(t, analyst, booking);
        return st.job_id === resync.ingestionJobId && st.state !== 'pending' ? st : undefined;
      }, 30_000, 200);
      expect(settled.state).toBe('indexed');
    });
  });
});
