/* eslint-disable @typescript-eslint/no-unsafe-call -- response bodies are JSON checked field by field */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/lib/ids.js';
import type { JobContext } from '../../../src/lib/job-queue/job-queue.js';
import { createExtractionRunHandler } from '../../../src/modules/extraction/extraction.job.js';
import type { ExtractionJobData } from '../../../src/modules/extraction/extraction.service.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { AGREEMENT_FACTS, AGREEMENT_PAGES, CONFLICTING_TERM_SHEET_PAGES } from '../../integration/extraction/agreement-fixture.js';
import { createBooking, seedDocument, startRun, type Caller } from '../extraction/helpers.js';

describe('booking sheets over HTTP', () => {
  let t: TestApp;
  let analyst: Caller;
  let analyst2: Caller;
  let approver: Caller;
  let admin: Caller;
  let viewer: Caller;
  let stranger: Caller;
  let runJob: (data: ExtractionJobData) => Promise<void>;

  beforeAll(async () => {
    t = await createTestApp();
    const s = t.app.services;
    // The worker's handler, called directly with a job context: the run executes exactly as on the queue.
    const handler = createExtractionRunHandler({ runs: s.stores.extractionRuns, documents: s.stores.documents, engines: s.engines, clock: s.clock, metrics: s.metrics, log: s.log });
    runJob = (data) => {
      const job: JobContext<ExtractionJobData> = { id: newId(), name: 'extraction.run', data, retryCount: 0, isFinalAttempt: false, signal: new AbortController().signal };
      return handler(job);
    };
    analyst = await t.auth('analyst');
    analyst2 = await t.auth('analyst');
    approver = await t.auth('approver');
    admin = await t.auth('admin');
    viewer = await t.auth('viewer');
    stranger = await t.auth('admin', 'tenant-b');
  });
  afterAll(async () => t.close());

  const url = (bookingId: string, suffix = '') => `/api/v1/loan-bookings/${bookingId}/booking-sheet${suffix}`;
  const req = (method: 'GET' | 'POST' | 'PATCH', path: string, caller: Caller, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url: path, headers: { authorization: caller.authorization, ...headers }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  /** A booking with documents and one succeeded run; returns the booking and run ids. */
  async function bookingWithRun(pages: readonly (readonly string[])[] = [AGREEMENT_PAGES], schema = 'credit_agreement') {
    const bookingId = await createBooking(t, analyst);
    for (const p of pages) await seedDocument(t, analyst.tenantId, bookingId, p);
    const runId = await runOnce(bookingId, schema);
    return { bookingId, runId };
  }

  async function runOnce(bookingId: string, schema = 'credit_agreement'): Promise<string> {
    const res = await startRun(t, analyst, bookingId, { schema });
    expect(res.statusCode, res.body).toBe(202);
    const runId = res.json().id as string;
    await runJob({ tenantId: analyst.tenantId, runId });
    const run = await req('GET', `/api/v1/loan-bookings/${bookingId}/extractions/${runId}`, analyst);
    expect(run.json().status).toBe('succeeded');
    return runId;
  }

  async function createSheet(bookingId: string, caller: Caller = analyst, body: Record<string, unknown> = {}) {
    const res = await req('POST', url(bookingId), caller, body);
    expect(res.statusCode, res.body).toBe(201);
    return res;
  }

  const bookingStatus = async (bookingId: string) => (await req('GET', `/api/v1/loan-bookings/${bookingId}`, analyst)).json().status as string;

  describe('creating and reading', () => {
    it('builds the sheet from the latest succeeded run (201), with every field, its source, evidence and validation', async () => {
      const { bookingId, runId } = await bookingWithRun();
      const res = await createSheet(bookingId);
      expect(res.headers.location).toBe(url(bookingId));
      expect(res.headers.etag).toBe('"v1"');
      const sheet = res.json();
      expect(sheet).toMatchObject({ booking_id: bookingId, schema: 'credit_agreement', source_run_id: runId, status: 'draft', version: 1, created_by: analyst.userId, last_edited_by: analyst.userId });
      expect(Object.keys(sheet.fields)).toHaveLength(13);
      expect(sheet.fields.maturity_date_final).toMatchObject({ value: AGREEMENT_FACTS.maturity, source: 'extracted', engine: 'rules', extracted_value: AGREEMENT_FACTS.maturity });
      expect(sheet.fields.maturity_date_final.evidence[0].quote).toContain('March 15, 2029');
      expect(sheet.fields.maturity_date_final.confidence).toBeGreaterThan(0);
      expect(sheet.validation).toMatchObject({ approvable: expect.any(Boolean), error_count: expect.any(Number) });

      const got = await req('GET', url(bookingId), viewer);
      expect(got.statusCode).toBe(200);
      expect(got.headers.etag).toBe('"v1"');
      expect(got.json()).toEqual(sheet);
      const cached = await req('GET', url(bookingId), viewer, undefined, { 'if-none-match': '"v1"' });
      expect(cached.statusCode).toBe(304);

      const versions = await req('GET', url(bookingId, '/versions'), viewer);
      expect(versions.json().items).toHaveLength(1);
      expect(versions.json().items[0]).toMatchObject({ version: 1, action: 'create', status: 'draft', actor: analyst.userId, source_run_id: runId });
      expect(versions.json().items[0].changes.find((c: { field: string }) => c.field === 'governing_law')).toEqual({
        field: 'governing_law',
        from: null,
        to: 'New York',
        from_source: null,
        to_source: 'extracted',
      });
    });

    it('never silently overwrites: 409 when a sheet exists, replace needs If-Match and keeps manual values', async () => {
      const { bookingId } = await bookingWithRun();
      await createSheet(bookingId);
      const again = await req('POST', url(bookingId), analyst, {});
      expect(again.statusCode).toBe(409);
      expect(again.json().error_code).toBe('CONFLICT');
      expect(again.json().details.current_version).toBe(1);

      const edited = await req('PATCH', url(bookingId), analyst, { fields: { governing_law: 'Delaware' } }, { 'if-match': '"v1"' });
      expect(edited.statusCode, edited.body).toBe(200);
      const newRun = await runOnce(bookingId);

      const noPrecondition = await req('POST', url(bookingId), analyst, { replace: true, run_id: newRun });
      expect(noPrecondition.statusCode).toBe(428);
      const stale = await req('POST', url(bookingId), analyst, { replace: true, run_id: newRun }, { 'if-match': '"v1"' });
      expect(stale.statusCode).toBe(412);
      const replaced = await req('POST', url(bookingId), analyst2, { replace: true, run_id: newRun }, { 'if-match': '"v2"' });
      expect(replaced.statusCode, replaced.body).toBe(200);
      expect(replaced.headers.etag).toBe('"v3"');
      const sheet = replaced.json();
      expect(sheet.source_run_id).toBe(newRun);
      expect(sheet.fields.governing_law).toMatchObject({ value: 'Delaware', source: 'manual', extracted_value: 'New York' });
      expect(sheet.fields.maturity_date_final.source).toBe('extracted');
      expect(sheet.last_edited_by).toBe(analyst2.userId);
      const versions = (await req('GET', url(bookingId, '/versions'), analyst)).json().items;
      expect(versions.map((v: { action: string }) => v.action)).toEqual(['replace', 'edit', 'create']);
    });

    it('refuses runs it cannot build from: another booking\'s (404), one not finished (409), none at all (409)', async () => {
      const { runId: foreignRun } = await bookingWithRun();
      const { bookingId } = await bookingWithRun();
      const foreign = await req('POST', url(bookingId), analyst, { run_id: foreignRun });
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json().error_code).toBe('EXTRACTION_RUN_NOT_FOUND');
      const queued = await startRun(t, analyst, bookingId);
      const pending = await req('POST', url(bookingId), analyst, { run_id: queued.json().id });
      expect(pending.statusCode).toBe(409);
      expect(pending.json().error_code).toBe('INVALID_STATE');

      const bare = await createBooking(t, analyst);
      const none = await req('POST', url(bare), analyst, {});
      expect(none.statusCode).toBe(409);
      expect(none.json().detail).toMatch(/no succeeded extraction run/);
      const missing = await req('GET', url(bare), analyst);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error_code).toBe('BOOKING_SHEET_NOT_FOUND');
      const badBody = await req('POST', url(bookingId), analyst, { run_id: 'x' });
      expect(badBody.statusCode).toBe(422);
      const badParam = await req('GET', url('nope'), analyst);
      expect(badParam.statusCode).toBe(400);
    });
  });

  describe('editing (JSON merge patch)', () => {
    it('needs If-Match (428), refuses a stale one (412), and records who changed what from what to what', async () => {
      const { bookingId } = await bookingWithRun();
      await createSheet(bookingId);
      const none = await req('PATCH', url(bookingId), analyst, { fields: { governing_law: 'Texas' } });
      expect(none.statusCode).toBe(428);
      expect(none.json().error_code).toBe('PRECONDITION_REQUIRED');
      const garbage = await req('PATCH', url(bookingId), analyst, { fields: { governing_law: 'Texas' } }, { 'if-match': 'W/"v1"' });
      expect(garbage.statusCode).toBe(412);

      const ok = await req('PATCH', url(bookingId), analyst2, { fields: { governing_law: 'Texas' }, change_reason: 'per amendment' }, { 'if-match': '"v1"' });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.headers.etag).toBe('"v2"');
      expect(ok.json().fields.governing_law).toMatchObject({ value: 'Texas', source: 'manual', confidence: null, evidence: [], updated_by: analyst2.userId, extracted_value: 'New York' });
      expect(ok.json().last_edited_by).toBe(analyst2.userId);

      const stale = await req('PATCH', url(bookingId), analyst, { fields: { governing_law: 'Ohio' } }, { 'if-match': '"v1"' });
      expect(stale.statusCode).toBe(412);
      expect(stale.json().error_code).toBe('VERSION_MISMATCH');
      expect((await req('GET', url(bookingId), analyst)).json().fields.governing_law.value).toBe('Texas');

      const v = (await req('GET', url(bookingId, '/versions?limit=1'), analyst)).json();
      expect(v.items[0]).toMatchObject({
        version: 2,
        action: 'edit',
        actor: analyst2.userId,
        reason: 'per amendment',
        changes: [{ field: 'governing_law', from: 'New York', to: 'Texas', from_source: 'extracted', to_source: 'manual' }],
      });
      expect(v.has_more).toBe(true);
      const older = (await req('GET', url(bookingId, `/versions?limit=1&cursor=${v.next_cursor}`), analyst)).json();
      expect(older.items.map((x: { version: number }) => x.version)).toEqual([1]);
      expect(older.has_more).toBe(false);
    });

    it('applies merge-patch semantics: null empties a field, objects merge, arrays are replaced', async () => {
      const { bookingId } = await bookingWithRun();
      const created = (await createSheet(bookingId)).json();
      const before = created.fields.interest_rate_details.value;
      expect(before).not.toBeNull();

      const res = await req(
        'PATCH',
        url(bookingId),
        analyst,
        {
          fields: {
            maturity_date_rule: null,
            guarantors: ['Harborview Holdings LLC', 'Harborview Fleet LLC'],
            interest_rate_details: { rate_floor: '0.50%', default_rate: null },
            total_commitment: { amount: '150000000.00' },
          },
        },
        { 'if-match': '"v1"', 'content-type': 'application/merge-patch+json' },
      );
      expect(res.statusCode, res.body).toBe(200);
      const f = res.json().fields;
      expect(f.maturity_date_rule).toMatchObject({ value: null, source: 'manual' });
      expect(f.guarantors.value).toEqual(['Harborview Holdings LLC', 'Harborview Fleet LLC']);
      expect(f.interest_rate_details.value).toEqual({ ...before, rate_floor: '0.50%', default_rate: null });
      expect(f.total_commitment.value).toEqual({ amount: '150000000.00', currency: 'USD' });

      const replaced = await req('PATCH', url(bookingId), analyst, { fields: { guarantors: ['Only One LLC'] } }, { 'if-match': '"v2"' });
      expect(replaced.json().fields.guarantors.value).toEqual(['Only One LLC']);

      // The same value set again by a person changes nothing: no new version.
      const same = await req('PATCH', url(bookingId), analyst, { fields: { guarantors: ['Only One LLC'] } }, { 'if-match': '"v3"' });
      expect(same.statusCode).toBe(200);
      expect(same.headers.etag).toBe('"v3"');
    });

    it('refuses an unknown field or an invalid value with 422 naming it, and changes nothing', async () => {
      const { bookingId } = await bookingWithRun();
      await createSheet(bookingId);
      const unknown = await req('PATCH', url(bookingId), analyst, { fields: { governing_law: 'Texas', interest_holiday: true } }, { 'if-match': '"v1"' });
      expect(unknown.statusCode).toBe(422);
      expect(unknown.json().error_code).toBe('VALIDATION_FAILED');
      expect(Object.keys(unknown.json().field_errors)).toEqual(['fields.interest_holiday']);

      const invalid = await req(
        'PATCH',
        url(bookingId),
        analyst,
        { fields: { governing_law: 'Texas', maturity_date_final: '15/03/2029', total_commitment: { amount: '150,000,000' } } },
        { 'if-match': '"v1"' },
      );
      expect(invalid.statusCode).toBe(422);
      const errors = invalid.json().field_errors;
      expect(Object.keys(errors).sort()).toEqual(['fields.maturity_date_final', 'fields.total_commitment']);
      expect(errors['fields.total_commitment'].join(' ')).toMatch(/amount/);
      // Nested: a member a strict object does not have.
      const nested = await req('PATCH', url(bookingId), analyst, { fields: { interest_rate_details: { spread: '1%' } } }, { 'if-match': '"v1"' });
      expect(nested.statusCode).toBe(422);
      expect(Object.keys(nested.json().field_errors)).toEqual(['fields.interest_rate_details']);
      const emptyPatch = await req('PATCH', url(bookingId), analyst, { fields: {} }, { 'if-match': '"v1"' });
      expect(emptyPatch.statusCode).toBe(422);

      const sheet = await req('GET', url(bookingId), analyst);
      expect(sheet.headers.etag).toBe('"v1"');
      expect(sheet.json().fields.governing_law.value).toBe('New York');
    });
  });

  describe('workflow', () => {
    it('submits, enforces maker-checker and the approval rules, approves, and moves the booking along', async () => {
      const { bookingId } = await bookingWithRun();
      await createSheet(bookingId, admin);
      const submitted = await req('POST', url(bookingId, '/submit'), analyst, undefined);
      expect(submitted.statusCode, submitted.body).toBe(200);
      expect(submitted.json()).toMatchObject({ status: 'in_review', submitted_by: analyst.userId, version: 2 });
      expect(await bookingStatus(bookingId)).toBe('ready_for_review');
      const twice = await req('POST', url(bookingId, '/submit'), analyst, undefined);
      expect(twice.statusCode).toBe(409);

      // The admin built the sheet: its last edit is theirs, so they cannot approve it.
      const own = await req('POST', url(bookingId, '/approve'), admin, undefined);
      expect(own.statusCode).toBe(403);
      expect(own.json().error_code).toBe('MAKER_CHECKER_VIOLATION');
      const byAnalyst = await req('POST', url(bookingId, '/approve'), analyst, undefined);
      expect(byAnalyst.statusCode).toBe(403);
      expect(byAnalyst.json().error_code).toBe('FORBIDDEN');

      // An edit in review: the analyst becomes the maker; a blocking problem stops the approval.
      const broke = await req('PATCH', url(bookingId), analyst, { fields: { governing_law: null } }, { 'if-match': '"v2"' });
      expect(broke.statusCode).toBe(200);
      expect(broke.json().validation.approvable).toBe(false);
      const blocked = await req('POST', url(bookingId, '/approve'), approver, undefined);
      expect(blocked.statusCode).toBe(422);
      expect(blocked.json().field_errors['fields.governing_law'][0]).toMatch(/required before approval/);

      const fixed = await req('PATCH', url(bookingId), analyst, { fields: { governing_law: 'New York' } }, { 'if-match': '"v3"' });
      expect(fixed.json().validation.approvable, JSON.stringify(fixed.json().validation.issues)).toBe(true);
      const staleApproval = await req('POST', url(bookingId, '/approve'), approver, undefined, { 'if-match': '"v3"' });
      expect(staleApproval.statusCode).toBe(412);
      const approved = await req('POST', url(bookingId, '/approve'), approver, undefined, { 'if-match': '"v4"' });
      expect(approved.statusCode, approved.body).toBe(200);
      expect(approved.json()).toMatchObject({ status: 'approved', decided_by: approver.userId, version: 5 });
      expect(await bookingStatus(bookingId)).toBe('approved');

      const audit = await req('GET', '/api/v1/audit-events?limit=100', admin);
      const actions = audit.json().items.filter((e: { target_id: string }) => e.target_id === bookingId).map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`);
      expect(actions).toEqual(expect.arrayContaining(['booking_sheet.create:success', 'booking_sheet.submit:success', 'booking_sheet.approve:denied', 'booking_sheet.approve:success']));
    });

    it('rejects with a reason, reopens, and sends an edited approved sheet back to review with its change reason', async () => {
      const { bookingId } = await bookingWithRun();
      await createSheet(bookingId);
      await req('POST', url(bookingId, '/submit'), analyst, undefined);
      const noReason = await req('POST', url(bookingId, '/reject'), approver, {});
      expect(noReason.statusCode).toBe(422);
      const rejected = await req('POST', url(bookingId, '/reject'), approver, { reason: 'Maturity disagrees with the term sheet' });
      expect(rejected.statusCode).toBe(200);
      expect(rejected.json()).toMatchObject({ status: 'rejected', decision_reason: 'Maturity disagrees with the term sheet', decided_by: approver.userId });
      expect(await bookingStatus(bookingId)).toBe('rejected');
      expect((await req('POST', url(bookingId, '/approve'), approver, undefined)).statusCode).toBe(409);

      const reopened = await req('POST', url(bookingId, '/reopen'), analyst, { reason: 'Checked with the agent' });
      expect(reopened.statusCode).toBe(200);
      expect(reopened.json()).toMatchObject({ status: 'draft', decided_by: null, decision_reason: null });
      expect(await bookingStatus(bookingId)).toBe('ready_for_review');
      expect((await req('POST', url(bookingId, '/reopen'), analyst, { reason: 'again' })).statusCode).toBe(409);

      await req('POST', url(bookingId, '/submit'), analyst, undefined);
      const approved = await req('POST', url(bookingId, '/approve'), approver, undefined);
      expect(approved.statusCode, approved.body).toBe(200);
      const version = approved.json().version as number;

      const withoutReason = await req('PATCH', url(bookingId), analyst, { fields: { governing_law: 'Delaware' } }, { 'if-match': `"v${version}"` });
      expect(withoutReason.statusCode).toBe(422);
      expect(withoutReason.json().field_errors.change_reason).toBeDefined();
      const edited = await req('PATCH', url(bookingId), analyst, { fields: { governing_law: 'Delaware' }, change_reason: 'Amendment No. 1 moved the law' }, { 'if-match': `"v${version}"` });
      expect(edited.statusCode, edited.body).toBe(200);
      expect(edited.json()).toMatchObject({ status: 'in_review', decided_by: null, last_edited_by: analyst.userId });
      expect(await bookingStatus(bookingId)).toBe('ready_for_review');
      const last = (await req('GET', url(bookingId, '/versions?limit=1'), analyst)).json().items[0];
      expect(last).toMatchObject({ action: 'edit', status: 'in_review', reason: 'Amendment No. 1 moved the law' });
      const actions = (await req('GET', url(bookingId, '/versions'), analyst)).json().items.map((v: { action: string }) => v.action);
      expect(actions).toEqual(['edit', 'approve', 'submit', 'reopen', 'reject', 'submit', 'create']);
    });

    it('blocks approval while documents disagree, until a person confirms the value', async () => {
      const { bookingId } = await bookingWithRun([AGREEMENT_PAGES, CONFLICTING_TERM_SHEET_PAGES]);
      const sheet = (await createSheet(bookingId)).json();
      const conflict = sheet.validation.issues.find((i: { rule: string; fields: string[] }) => i.rule === 'cross_document_consistency' && i.fields[0] === 'total_commitment');
      expect(conflict).toBeDefined();
      expect(new Set(conflict.evidence.map((e: { document_id: string }) => e.document_id)).size).toBe(2);
      expect(sheet.validation.approvable).toBe(false);
      await req('POST', url(bookingId, '/submit'), analyst, undefined);
      expect((await req('POST', url(bookingId, '/approve'), approver, undefined)).statusCode).toBe(422);
      const current = (await req('GET', url(bookingId), analyst)).json();
      const patch: Record<string, unknown> = { total_commitment: AGREEMENT_FACTS.commitment, facility_details: null };
      for (const issue of current.validation.issues as { rule: string; fields: string[] }[]) {
        if (issue.rule === 'cross_document_consistency' && issue.fields[0] !== 'total_commitment') patch[issue.fields[0]!] = current.fields[issue.fields[0]!].value;
      }
      const confirmed = await req('PATCH', url(bookingId), analyst, { fields: patch }, { 'if-match': `"v${current.version}"` });
      expect(confirmed.statusCode, confirmed.body).toBe(200);
      expect(confirmed.json().validation.issues.filter((i: { severity: string }) => i.severity === 'error')).toEqual([]);
      expect((await req('POST', url(bookingId, '/approve'), approver, undefined)).statusCode).toBe(200);
    });

    it('lists the review queue of the tenant, longest waiting first, with who may approve', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { bookingId } = await bookingWithRun();
        await createSheet(bookingId, i === 0 ? admin : analyst);
        ids.push(bookingId);
      }
      for (const id of ids) expect((await req('POST', url(id, '/submit'), analyst, undefined)).statusCode).toBe(200);
      const all: { booking_id: string; can_approve: boolean; customer_name: string; last_edited_by: string }[] = [];
      let cursor: string | null = null;
      do {
        const page = await req('GET', `/api/v1/review-queue?limit=2${cursor ? `&cursor=${cursor}` : ''}`, admin);
        expect(page.statusCode).toBe(200);
        all.push(...page.json().items);
        cursor = page.json().next_cursor;
      } while (cursor);
      const mine = all.filter((i) => ids.includes(i.booking_id));
      expect(mine.map((i) => i.booking_id)).toEqual(ids);
      expect(mine[0]).toMatchObject({ customer_name: 'Harborview Logistics, Inc.', last_edited_by: admin.userId, can_approve: false });
      expect(mine[1]!.can_approve).toBe(true);
      const asAnalyst = (await req('GET', '/api/v1/review-queue', analyst)).json().items.filter((i: { booking_id: string }) => ids.includes(i.booking_id));
      expect(asAnalyst.every((i: { can_approve: boolean }) => !i.can_approve)).toBe(true);
      expect((await req('GET', '/api/v1/review-queue', stranger)).json().items).toEqual([]);

      await req('POST', url(ids[1]!, '/approve'), approver, undefined);
      const after = (await req('GET', '/api/v1/review-queue?limit=100', approver)).json().items.map((i: { booking_id: string }) => i.booking_id);
      expect(after).not.toContain(ids[1]);
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/booking_sheet_review_queue_size [1-9]/);
      expect(metrics.body).toMatch(/booking_sheets\{status="approved"\} [1-9]/);
    });
  });

  describe('export', () => {
    it('exports the values as JSON and as CSV with formula cells neutralised', async () => {
      const { bookingId } = await bookingWithRun();
      await createSheet(bookingId);
      await req('PATCH', url(bookingId), analyst, { fields: { definition_business_day: '=HYPERLINK("http://evil.example","x")', maturity_date_rule: '@SUM(1+1)' } }, { 'if-match': '"v1"' });
      const json = await req('GET', url(bookingId, '/export'), viewer);
      expect(json.statusCode).toBe(200);
      expect(json.headers['content-type']).toContain('application/json');
      expect(json.json()).toMatchObject({
        booking_id: bookingId,
        customer_name: 'Harborview Logistics, Inc.',
        schema: 'credit_agreement',
        sheet_version: 2,
        status: 'draft',
        approved_by: null,
      });
      expect(json.json().values.governing_law).toBe('New York');
      expect(json.json().sources.definition_business_day).toBe('manual');

      const csv = await req('GET', url(bookingId, '/export?format=csv'), viewer);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toBe(`attachment; filename="booking-sheet-${bookingId}-v2.csv"`);
      const lines = csv.body.split('\r\n');
      expect(lines[0]).toBe('"field","value","source","confidence","needs_review","review_reasons","validation_errors","evidence"');
      expect(lines).toContain('"definition_business_day","\'=HYPERLINK(""http://evil.example"",""x"")","manual","","false","","",""');
      expect(lines.find((l) => l.startsWith('"maturity_date_rule"'))).toBe('"maturity_date_rule","\'@SUM(1+1)","manual","","false","","",""');
      expect(lines.find((l) => l.startsWith('"governing_law"'))).toMatch(/^"governing_law","New York","extracted","0\.\d+","false"/);
      const bad = await req('GET', url(bookingId, '/export?format=xlsx'), viewer);
      expect(bad.statusCode).toBe(400);
    });
  });

  describe('access', () => {
    it('lets viewers read but not write, approvers decide but not edit, and hides other tenants\' sheets (404)', async () => {
      const { bookingId } = await bookingWithRun();
      expect((await req('POST', url(bookingId), viewer, {})).statusCode).toBe(403);
      expect((await req('POST', url(bookingId), approver, {})).statusCode).toBe(403);
      await createSheet(bookingId);
      expect((await req('GET', url(bookingId), viewer)).statusCode).toBe(200);
      expect((await req('PATCH', url(bookingId), viewer, { fields: { governing_law: 'X' } }, { 'if-match': '"v1"' })).statusCode).toBe(403);
      expect((await req('PATCH', url(bookingId), approver, { fields: { governing_law: 'X' } }, { 'if-match': '"v1"' })).statusCode).toBe(403);
      expect((await req('POST', url(bookingId, '/submit'), viewer, undefined)).statusCode).toBe(403);
      expect((await req('POST', url(bookingId, '/reopen'), approver, { reason: 'x' })).statusCode).toBe(403);
      expect((await req('GET', '/api/v1/review-queue', viewer)).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: url(bookingId) })).statusCode).toBe(401);

      for (const [method, path, payload] of [
        ['GET', url(bookingId), undefined],
        ['GET', url(bookingId, '/versions'), undefined],
        ['GET', url(bookingId, '/export?format=csv'), undefined],
        ['PATCH', url(bookingId), { fields: { governing_law: 'X' } }],
        ['POST', url(bookingId, '/submit'), undefined],
        ['POST', url(bookingId), { replace: true }],
      ] as const) {
        const res = await req(method, path, stranger, payload, { 'if-match': '"v1"' });
        expect(res.statusCode, `${method} ${path}`).toBe(404);
        expect(res.json().error_code).toBe('LOAN_BOOKING_NOT_FOUND');
      }
      expect((await req('GET', url(bookingId), analyst)).json().fields.governing_law.value).toBe('New York');
    });

    it('freezes the sheet of a booked or cancelled booking (409)', async () => {
      const { bookingId } = await bookingWithRun();
      await createSheet(bookingId);
      const booking = (await req('GET', `/api/v1/loan-bookings/${bookingId}`, analyst)).json();
      const cancelled = await req('PATCH', `/api/v1/loan-bookings/${bookingId}`, analyst, { status: 'cancelled' }, { 'if-match': `"v${booking.version}"` });
      expect(cancelled.statusCode, cancelled.body).toBe(200);
      const edit = await req('PATCH', url(bookingId), analyst, { fields: { governing_law: 'X' } }, { 'if-match': '"v1"' });
      expect(edit.statusCode).toBe(409);
      expect(edit.json().details.booking_status).toBe('cancelled');
      expect((await req('GET', url(bookingId), analyst)).statusCode).toBe(200);
    });
  });
});
