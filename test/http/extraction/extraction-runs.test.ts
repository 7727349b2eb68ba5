/* eslint-disable @typescript-eslint/no-unsafe-call -- response bodies are JSON checked field by field */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/lib/ids.js';
import { startWorkers, type Workers } from '../../../src/jobs.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { AGREEMENT_FACTS, AGREEMENT_PAGES, CONFLICTING_TERM_SHEET_PAGES } from '../../integration/extraction/agreement-fixture.js';
import { createBooking, runToEnd, seedDocument, startRun, waitForRun, type Caller } from './helpers.js';

describe('extraction schemas and runs over HTTP (rules engine, in-process worker)', () => {
  let t: TestApp;
  let workers: Workers;
  let analyst: Caller;
  let viewer: Caller;

  beforeAll(async () => {
    t = await createTestApp();
    workers = await startWorkers(t.app.services);
    analyst = await t.auth('analyst');
    viewer = await t.auth('viewer');
  });
  afterAll(async () => {
    await workers.stop();
    await t.close();
  });

  const get = (url: string, caller: Caller = analyst) => t.app.inject({ method: 'GET', url, headers: { authorization: caller.authorization } });

  describe('schemas', () => {
    it('lists the schemas with their fields and required flags', async () => {
      const res = await get('/api/v1/extraction-schemas', viewer);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.items.map((s: { name: string }) => s.name)).toEqual(['credit_agreement', 'loan_booking_sheet']);
      expect(body.has_more).toBe(false);
      const ca = body.items[0];
      expect(ca.fields.find((f: { name: string }) => f.name === 'total_commitment')).toEqual({
        name: 'total_commitment',
        description: 'Aggregate commitments of all lenders at closing',
        required: true,
      });
      expect(ca.fields.find((f: { name: string }) => f.name === 'guarantors').required).toBe(false);
      expect(body.items[1].fields).toHaveLength(55);
    });

    it('gets one schema with its JSON Schema, and 404 for an unknown one', async () => {
      const res = await get('/api/v1/extraction-schemas/loan_booking_sheet', viewer);
      expect(res.statusCode).toBe(200);
      expect(res.json().json_schema.properties.maturity_date.anyOf[0]).toMatchObject({ type: 'string', format: 'date' });
      const missing = await get('/api/v1/extraction-schemas/term_sheet', viewer);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error_code).toBe('EXTRACTION_SCHEMA_NOT_FOUND');
    });

    it('needs a token (401)', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/extraction-schemas' });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('runs', () => {
    it('queues a run (202 + Location), executes it on the queue, and shows per-field results with verified evidence', async () => {
      const bookingId = await createBooking(t, analyst);
      const docId = await seedDocument(t, analyst.tenantId, bookingId, AGREEMENT_PAGES, { fileName: 'credit-agreement.pdf' });
      const res = await startRun(t, analyst, bookingId, { schema: 'credit_agreement' });
      expect(res.statusCode, res.body).toBe(202);
      const queued = res.json();
      expect(res.headers.location).toBe(`/api/v1/loan-bookings/${bookingId}/extractions/${queued.id}`);
      expect(queued).toMatchObject({ booking_id: bookingId, schema: 'credit_agreement', engine: 'rules', status: 'queued', fields: null, created_by: analyst.userId });

      const run = await waitForRun(t, analyst, bookingId, queued.id);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(run).toMatchObject({ engine_used: 'rules', attempts: 1, document_count: 1, page_count: 3, error: null });
      expect(run.timings.total_ms).toBeGreaterThanOrEqual(0);
      expect(Object.keys(run.fields)).toHaveLength(13);
      expect(run.fields.agreement_execution_date.value).toBe(AGREEMENT_FACTS.executionDate);
      expect(run.fields.maturity_date_final.value).toBe(AGREEMENT_FACTS.maturity);
      expect(run.fields.total_commitment.value).toEqual(AGREEMENT_FACTS.commitment);
      expect(run.fields.governing_law).toMatchObject({ value: 'New York', engine: 'rules' });
      // Absent from the agreement: null, not guessed.
      expect(run.fields.financial_covenants.value).toBeNull();
      type Evidence = { document_id: string; page: number; quote: string; start: number; end: number };
      for (const field of Object.values<{ evidence: Evidence[] }>(run.fields)) {
        for (const e of field.evidence) {
          expect(e.document_id).toBe(docId);
          expect(AGREEMENT_PAGES[e.page - 1]!.slice(e.start, e.end)).toBe(e.quote);
        }
      }
      expect(run.needs_review_count).toBe(Object.values(run.fields).filter((f) => (f as { needs_review: boolean }).needs_review).length);
      const again = await get(`/api/v1/loan-bookings/${bookingId}/extractions/${queued.id}`, viewer);
      expect(again.headers['cache-control']).toContain('immutable');
    });

    it('lists a booking\'s runs newest first with a cursor, without field results', async () => {
      const bookingId = await createBooking(t, analyst);
      await seedDocument(t, analyst.tenantId, bookingId, AGREEMENT_PAGES);
      const first = await runToEnd(t, analyst, bookingId, { schema: 'credit_agreement' });
      const second = await runToEnd(t, analyst, bookingId, { schema: 'loan_booking_sheet' });
      const page1 = await get(`/api/v1/loan-bookings/${bookingId}/extractions?limit=1`, viewer);
      expect(page1.statusCode).toBe(200);
      expect(page1.json().items.map((r: { id: string }) => r.id)).toEqual([second.id]);
      expect(page1.json().items[0].fields).toBeUndefined();
      expect(page1.json().has_more).toBe(true);
      const page2 = await get(`/api/v1/loan-bookings/${bookingId}/extractions?limit=1&cursor=${page1.json().next_cursor}`, viewer);
      expect(page2.json().items.map((r: { id: string }) => r.id)).toEqual([first.id]);
      expect(page2.json().has_more).toBe(false);
      const bad = await get(`/api/v1/loan-bookings/${bookingId}/extractions?cursor=not-a-cursor`);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error_code).toBe('INVALID_CURSOR');
    });

    it('reads only the documents named, and flags values the documents disagree on with both evidences', async () => {
      const bookingId = await createBooking(t, analyst);
      const a = await seedDocument(t, analyst.tenantId, bookingId, AGREEMENT_PAGES, { fileName: 'agreement.pdf' });
      const b = await seedDocument(t, analyst.tenantId, bookingId, CONFLICTING_TERM_SHEET_PAGES, { fileName: 'term-sheet.pdf' });
      const only = await runToEnd(t, analyst, bookingId, { schema: 'credit_agreement', document_ids: [a] });
      expect(only.document_ids).toEqual([a]);
      expect(only.document_count).toBe(1);
      expect(only.fields.total_commitment.review_reasons).not.toContain('conflict');

      const both = await runToEnd(t, analyst, bookingId, { schema: 'credit_agreement' });
      expect(both.document_count).toBe(2);
      const commitment = both.fields.total_commitment;
      expect(commitment.needs_review).toBe(true);
      expect(commitment.review_reasons).toContain('conflict');
      expect(new Set(commitment.evidence.map((e: { document_id: string }) => e.document_id))).toEqual(new Set([a, b]));
    });

    it('replays a retried start with the same Idempotency-Key instead of queueing a second run', async () => {
      const bookingId = await createBooking(t, analyst);
      await seedDocument(t, analyst.tenantId, bookingId, AGREEMENT_PAGES);
      const headers = { 'idempotency-key': `run-${newId()}` };
      const a = await startRun(t, analyst, bookingId, { schema: 'credit_agreement' }, headers);
      const b = await startRun(t, analyst, bookingId, { schema: 'credit_agreement' }, headers);
      expect(a.statusCode).toBe(202);
      expect(b.statusCode).toBe(202);
      expect(b.headers['idempotency-replayed']).toBe('true');
      expect(b.json().id).toBe(a.json().id);
      await waitForRun(t, analyst, bookingId, a.json().id);
      const list = await get(`/api/v1/loan-bookings/${bookingId}/extractions`);
      expect(list.json().items).toHaveLength(1);
    });

    it('refuses bad requests with the right status and code', async () => {
      const bookingId = await createBooking(t, analyst);
      const otherBooking = await createBooking(t, analyst);
      const foreignDoc = await seedDocument(t, analyst.tenantId, otherBooking, AGREEMENT_PAGES);

      // No processed document yet: nothing to read.
      const empty = await startRun(t, analyst, bookingId);
      expect(empty.statusCode).toBe(409);
      expect(empty.json().error_code).toBe('INVALID_STATE');

      await seedDocument(t, analyst.tenantId, bookingId, AGREEMENT_PAGES);
      const invalidParam = await startRun(t, analyst, 'not-an-id');
      expect(invalidParam.statusCode).toBe(400);
      const unknownSchema = await startRun(t, analyst, bookingId, { schema: 'term_sheet' });
      expect(unknownSchema.statusCode).toBe(422);
      expect(unknownSchema.json().field_errors.schema).toBeDefined();
      const extra = await startRun(t, analyst, bookingId, { schema: 'credit_agreement', temperature: 0.5 });
      expect(extra.statusCode).toBe(422);
      const bedrock = await startRun(t, analyst, bookingId, { schema: 'credit_agreement', engine: 'bedrock' });
      expect(bedrock.statusCode).toBe(422);
      expect(bedrock.json().error_code).toBe('EXTRACTION_ENGINE_UNAVAILABLE');
      expect(bedrock.json().detail).toMatch(/not configured/);
      const notMine = await startRun(t, analyst, bookingId, { schema: 'credit_agreement', document_ids: [foreignDoc] });
      expect(notMine.statusCode).toBe(422);
      expect(notMine.json().field_errors.document_ids[0]).toContain(foreignDoc);
      const missingBooking = await startRun(t, analyst, newId());
      expect(missingBooking.statusCode).toBe(404);
      expect(missingBooking.json().error_code).toBe('LOAN_BOOKING_NOT_FOUND');
      const noRun = await get(`/api/v1/loan-bookings/${bookingId}/extractions/${newId()}`);
      expect(noRun.statusCode).toBe(404);
      expect(noRun.json().error_code).toBe('EXTRACTION_RUN_NOT_FOUND');
      const unsupported = await t.app.inject({
        method: 'POST',
        url: `/api/v1/loan-bookings/${bookingId}/extractions`,
        headers: { authorization: analyst.authorization, 'content-type': 'application/xml' },
        payload: '<run schema="credit_agreement"/>',
      });
      expect(unsupported.statusCode).toBe(415);
    });

    it('waits for documents still being processed (409), and fails a named failed document (422)', async () => {
      const bookingId = await createBooking(t, analyst);
      await seedDocument(t, analyst.tenantId, bookingId, AGREEMENT_PAGES);
      const pending = await seedDocument(t, analyst.tenantId, bookingId, AGREEMENT_PAGES, { status: 'uploaded' });
      const res = await startRun(t, analyst, bookingId);
      expect(res.statusCode).toBe(409);
      expect(res.json().details.pending_documents).toBe(1);
      const named = await startRun(t, analyst, bookingId, { schema: 'credit_agreement', document_ids: [pending] });
      expect(named.statusCode).toBe(409);

      const other = await createBooking(t, analyst);
      const good = await seedDocument(t, analyst.tenantId, other, AGREEMENT_PAGES);
      const broken = await seedDocument(t, analyst.tenantId, other, AGREEMENT_PAGES, { status: 'failed' });
      const failed = await startRun(t, analyst, other, { schema: 'credit_agreement', document_ids: [good, broken] });
      expect(failed.statusCode).toBe(422);
      expect(failed.json().field_errors.document_ids[0]).toMatch(/failed processing/);
      // Without naming documents, failed ones are simply not read.
      expect((await runToEnd(t, analyst, other)).document_count).toBe(1);
    });

    it('applies the access rules: viewers read, analysts run; another tenant sees nothing (404)', async () => {
      const bookingId = await createBooking(t, analyst);
      await seedDocument(t, analyst.tenantId, bookingId, AGREEMENT_PAGES);
      const run = await runToEnd(t, analyst, bookingId);

      const viewerStart = await startRun(t, viewer, bookingId);
      expect(viewerStart.statusCode).toBe(403);
      expect(viewerStart.json().error_code).toBe('FORBIDDEN');
      const approver = await t.auth('approver');
      expect((await startRun(t, approver, bookingId)).statusCode).toBe(403);
      expect((await get(`/api/v1/loan-bookings/${bookingId}/extractions/${run.id}`, approver)).statusCode).toBe(200);

      const stranger = await t.auth('admin', 'tenant-b');
      const foreignRun = await get(`/api/v1/loan-bookings/${bookingId}/extractions/${run.id}`, stranger);
      expect(foreignRun.statusCode).toBe(404);
      expect(foreignRun.json().error_code).toBe('LOAN_BOOKING_NOT_FOUND');
      expect((await get(`/api/v1/loan-bookings/${bookingId}/extractions`, stranger)).statusCode).toBe(404);
      expect((await startRun(t, stranger, bookingId)).statusCode).toBe(404);

      // A run id under another booking of the same tenant is not found either.
      const otherBooking = await createBooking(t, analyst);
      const crossed = await get(`/api/v1/loan-bookings/${otherBooking}/extractions/${run.id}`);
      expect(crossed.statusCode).toBe(404);
      expect(crossed.json().error_code).toBe('EXTRACTION_RUN_NOT_FOUND');
    });

    it('counts runs, durations and field confidences in the metrics', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/extraction_runs_total\{engine="rules",status="queued"\} [1-9]/);
      expect(res.body).toMatch(/extraction_runs_total\{engine="rules",status="succeeded"\} [1-9]/);
      expect(res.body).toMatch(/extraction_run_duration_seconds_count\{engine="rules",status="succeeded"\} [1-9]/);
      expect(res.body).toMatch(/extraction_field_confidence_count\{engine="rules"\} [1-9]/);
      expect(res.body).toContain('booking_sheet_review_queue_size');
    });
  });
});
