import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/lib/ids.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';

let t: TestApp;
let analyst: { authorization: string; userId: string; tenantId: string };
let admin: { authorization: string; userId: string; tenantId: string };

beforeAll(async () => {
  t = await createTestApp();
  analyst = await t.auth('analyst', 'tenant-crud');
  admin = await t.auth('admin', 'tenant-crud');
});
afterAll(async () => t.close());

interface Booking {
  id: string;
  customer_name: string;
  product_id: string;
  external_reference: string | null;
  notes: string | null;
  status: string;
  version: number;
  created_by: string;
  updated_by: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  sync_status: { state: string; job_id: string | null; error: string | null; updated_at: string | null };
}

async function create(payload: Record<string, unknown>, who = analyst) {
  return t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: who.authorization }, payload });
}

async function createOk(customer = 'Acme Corp.', product = 'term-loans'): Promise<Booking> {
  const res = await create({ customer_name: customer, product_id: product });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Booking>();
}

const url = (id: string) => `/api/v1/loan-bookings/${id}`;

describe('create', () => {
  it('answers 201 with Location, ETag and the booking', async () => {
    const res = await create({ customer_name: 'Acme Corp.', product_id: 'equipment-financing', external_reference: 'CORE-2024-0001', notes: 'First draw in Q3.' });
    expect(res.statusCode).toBe(201);
    const b = res.json<Booking>();
    expect(res.headers.location).toBe(url(b.id));
    expect(res.headers.etag).toBe('"v1"');
    expect(b).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      customer_name: 'Acme Corp.',
      product_id: 'equipment-financing',
      external_reference: 'CORE-2024-0001',
      notes: 'First draw in Q3.',
      status: 'draft',
      version: 1,
      created_by: analyst.userId,
      created_at: expect.any(String),
      updated_by: analyst.userId,
      updated_at: b.created_at,
      deleted_at: null,
      sync_status: { state: 'not_started', job_id: null, error: null, updated_at: null },
    });
    const got = await t.app.inject({ method: 'GET', url: res.headers.location as string, headers: { authorization: analyst.authorization } });
    expect(got.json()).toEqual(b);
  });

  it('accepts real company names in any script, normalised', async () => {
    const names: [string, string][] = [
      ['Société Générale', 'Société Générale'],
      ['Müller & Söhne GmbH', 'Müller & Söhne GmbH'],
      ['株式会社トヨタ', '株式会社トヨタ'],
      ["O'Neil (Holdings) Ltd. / Trading-As 3M", "O'Neil (Holdings) Ltd. / Trading-As 3M"],
      ['Ελληνική Τράπεζα', 'Ελληνική Τράπεζα'],
      ['  Acme \t  Corp\n ', 'Acme Corp'],
      // Decomposed "é" (e + combining acute) is stored composed (NFC).
      ['Socie\u0301te\u0301 Ge\u0301ne\u0301rale', 'Société Générale'],
    ];
    for (const [input, stored] of names) {
      const res = await create({ customer_name: input, product_id: 'term-loans' });
      expect(res.statusCode, `${input}: ${res.body}`).toBe(201);
      expect(res.json<Booking>().customer_name).toBe(stored);
    }
  });

  it('refuses names that are not plausible company names', async () => {
    const bad: [string, RegExp][] = [
      ['<script>alert(1)</script>', /may contain letters/],
      ['Robert"); DROP TABLE loan_bookings;--', /may contain letters/],
      ['Acme\u202Egnp.exe', /may contain letters/],
      ['   ', /must not be empty/],
      ['x'.repeat(201), /at most 200/],
      ['', /fewer than 1|must NOT have fewer/],
    ];
    for (const [name, message] of bad) {
      const res = await create({ customer_name: name, product_id: 'term-loans' });
      expect(res.statusCode, name).toBe(422);
      expect(res.json().error_code).toBe('VALIDATION_FAILED');
      expect(res.json<{ field_errors: Record<string, string[]> }>().field_errors.customer_name!.join(' '), name).toMatch(message);
    }
  });

  it('strips control and bidi-override characters from notes, keeping line breaks', async () => {
    const res = await create({
      customer_name: 'Notes Test Ltd',
      product_id: 'term-loans',
      notes: '  Line one\u0000\u0007\nLine two\twith tab\u202E reversed\u2066 isolate\u200F  ',
      external_reference: '',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json<Booking>().notes).toBe('Line one\nLine two\twith tab reversed isolate');
    expect(res.json<Booking>().external_reference).toBeNull();
    const blank = await create({ customer_name: 'Notes Test Ltd', product_id: 'term-loans', notes: '\u0000\u202E  ' });
    expect(blank.json<Booking>().notes).toBeNull();
  });

  it('refuses unknown fields, bad types and a non-ASCII external reference', async () => {
    const res = await create({ customer_name: 'Acme', product_id: 'term-loans', status: 'approved', id: newId(), created_by: 'someone' });
    expect(res.statusCode).toBe(422);
    expect(res.json().field_errors).toEqual({ status: ['is not an allowed field'], id: ['is not an allowed field'], created_by: ['is not an allowed field'] });
    const ref = await create({ customer_name: 'Acme', product_id: 'term-loans', external_reference: 'réf-ü' });
    expect(ref.statusCode).toBe(422);
    expect(ref.json().field_errors).toHaveProperty('external_reference');
    const arr = await create([{ customer_name: 'Acme', product_id: 'term-loans' }] as unknown as Record<string, unknown>);
    expect(arr.statusCode).toBe(422);
  });

  it('refuses an unknown product, naming the valid ones', async () => {
    const res = await create({ customer_name: 'Acme', product_id: 'crypto-loans' });
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.error_code).toBe('UNKNOWN_PRODUCT');
    const valid = ['LOC-loans', 'SBA-loans', 'equipment-financing', 'syndicated-loans', 'term-loans', 'working-capital-loans'];
    expect([...body.details.valid_product_ids].sort()).toEqual([...valid].sort());
    for (const id of valid) expect(body.detail).toContain(id);
    expect(body.field_errors.product_id[0]).toMatch(/^must be one of: /);
    // Product ids are exact: the legacy ids keep their case.
    expect((await create({ customer_name: 'Acme', product_id: 'sba-loans' })).statusCode).toBe(422);
  });
});

describe('read', () => {
  it('answers 304 to a matching If-None-Match and 200 otherwise', async () => {
    const b = await createOk();
    const h = { authorization: analyst.authorization };
    const got = await t.app.inject({ method: 'GET', url: url(b.id), headers: h });
    expect(got.headers.etag).toBe('"v1"');
    expect(got.headers['cache-control']).toBe('private, no-cache');
    for (const inm of ['"v1"', 'W/"v1"', '"v0", "v1"', '*']) {
      const res = await t.app.inject({ method: 'GET', url: url(b.id), headers: { ...h, 'if-none-match': inm } });
      expect(res.statusCode, inm).toBe(304);
      expect(res.body).toBe('');
      expect(res.headers.etag).toBe('"v1"');
    }
    expect((await t.app.inject({ method: 'GET', url: url(b.id), headers: { ...h, 'if-none-match': '"v2"' } })).statusCode).toBe(200);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const missing = await t.app.inject({ method: 'GET', url: url(newId()), headers: { authorization: analyst.authorization } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error_code).toBe('LOAN_BOOKING_NOT_FOUND');
    expect((await t.app.inject({ method: 'GET', url: url('12'), headers: { authorization: analyst.authorization } })).statusCode).toBe(400);
  });

  it('lets a viewer read but not write', async () => {
    const b = await createOk();
    const viewer = await t.auth('viewer', 'tenant-crud');
    expect((await t.app.inject({ method: 'GET', url: url(b.id), headers: { authorization: viewer.authorization } })).statusCode).toBe(200);
    expect((await create({ customer_name: 'Acme', product_id: 'term-loans' }, viewer)).statusCode).toBe(403);
  });
});

describe('update', () => {
  const patch = (id: string, payload: Record<string, unknown>, ifMatch?: string, who = analyst) =>
    t.app.inject({ method: 'PATCH', url: url(id), headers: { authorization: who.authorization, ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) }, payload });

  it('needs If-Match (428), refuses a stale or malformed one (412), and bumps the version', async () => {
    const b = await createOk();
    const none = await patch(b.id, { notes: 'x' });
    expect(none.statusCode).toBe(428);
    expect(none.json().error_code).toBe('PRECONDITION_REQUIRED');
    for (const stale of ['"v2"', '"v0"', 'W/"v1"', 'v1', '"abc"']) {
      const res = await patch(b.id, { notes: 'x' }, stale);
      expect(res.statusCode, stale).toBe(412);
      expect(res.json().error_code).toBe('VERSION_MISMATCH');
    }
    const ok = await patch(b.id, { customer_name: ' Müller  AG ', notes: 'updated', external_reference: 'EXT-9', product_id: 'SBA-loans' }, '"v1"');
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.headers.etag).toBe('"v2"');
    expect(ok.json<Booking>()).toMatchObject({ customer_name: 'Müller AG', notes: 'updated', external_reference: 'EXT-9', product_id: 'SBA-loans', version: 2 });
    const any = await patch(b.id, { notes: null }, '*');
    expect(any.statusCode).toBe(200);
    expect(any.json<Booking>()).toMatchObject({ notes: null, version: 3 });
  });

  it('validates like create', async () => {
    const b = await createOk();
    expect((await patch(b.id, {}, '"v1"')).statusCode).toBe(422);
    expect((await patch(b.id, { customer_name: '<b>bold</b>' }, '"v1"')).json().field_errors).toHaveProperty('customer_name');
    expect((await patch(b.id, { product_id: 'crypto-loans' }, '"v1"')).json().error_code).toBe('UNKNOWN_PRODUCT');
    expect((await patch(b.id, { status: 'approved' }, '"v1"')).statusCode).toBe(422);
    expect((await patch(b.id, { created_by: 'me' }, '"v1"')).json().field_errors).toEqual({ created_by: ['is not an allowed field'] });
    expect((await patch(newId(), { notes: 'x' }, '"v1"')).statusCode).toBe(404);
    // Nothing above changed it.
    const got = await t.app.inject({ method: 'GET', url: url(b.id), headers: { authorization: analyst.authorization } });
    expect(got.json<Booking>().version).toBe(1);
  });

  it('allows cancelling and marking booked only from the right statuses', async () => {
    const b = await createOk();
    const booked = await patch(b.id, { status: 'booked' }, '"v1"');
    expect(booked.statusCode).toBe(409);
    expect(booked.json()).toMatchObject({ error_code: 'INVALID_STATE', details: { from: 'draft', to: 'booked' } });
    const cancelled = await patch(b.id, { status: 'cancelled' }, '"v1"');
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json<Booking>().status).toBe('cancelled');
    expect((await patch(b.id, { status: 'cancelled' }, '"v2"')).statusCode).toBe(409);

    const approved = await createOk();
    await t.app.services.loanBookings.transition(analyst.tenantId, approved.id, 'approved', ['draft'], 'workflow');
    const done = await patch(approved.id, { status: 'booked' }, '"v2"');
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json<Booking>()).toMatchObject({ status: 'booked', version: 3 });
    expect((await patch(approved.id, { status: 'cancelled' }, '"v3"')).statusCode).toBe(409);
  });

  it('lets exactly one of two racing writers with the same If-Match win', async () => {
    const b = await createOk();
    const [x, y] = await Promise.all([patch(b.id, { notes: 'writer x' }, '"v1"'), patch(b.id, { notes: 'writer y' }, '"v1"')]);
    expect([x.statusCode, y.statusCode].sort()).toEqual([200, 412]);
    const winner = x.statusCode === 200 ? x : y;
    const got = await t.app.inject({ method: 'GET', url: url(b.id), headers: { authorization: analyst.authorization } });
    expect(got.json<Booking>()).toMatchObject({ version: 2, notes: winner.json<Booking>().notes });
  });
});

describe('delete', () => {
  const del = (id: string, who = analyst, ifMatch?: string) =>
    t.app.inject({ method: 'DELETE', url: url(id), headers: { authorization: who.authorization, ...(ifMatch ? { 'if-match': ifMatch } : {}) } });

  it('soft-deletes: gone from every view, listed for admins only, audited; twice is 404', async () => {
    const b = await createOk('Deleted Customer Ltd');
    expect((await del(b.id, analyst, '"v9"')).statusCode).toBe(412);
    const res = await del(b.id, analyst, '"v1"');
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await del(b.id)).statusCode).toBe(404);
    const h = { authorization: analyst.authorization };
    expect((await t.app.inject({ method: 'GET', url: url(b.id), headers: h })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `${url(b.id)}/sync-status`, headers: h })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'PATCH', url: url(b.id), headers: { ...h, 'if-match': '*' }, payload: { notes: 'x' } })).statusCode).toBe(404);
    const live = await t.app.inject({ method: 'GET', url: '/api/v1/loan-bookings?customer_name_prefix=Deleted', headers: h });
    expect(live.json().items).toEqual([]);

    const forbidden = await t.app.inject({ method: 'GET', url: '/api/v1/loan-bookings?deleted=true', headers: h });
    expect(forbidden.statusCode).toBe(403);
    const deleted = await t.app.inject({ method: 'GET', url: '/api/v1/loan-bookings?deleted=true&customer_name_prefix=deleted', headers: { authorization: admin.authorization } });
    expect(deleted.statusCode).toBe(200);
    const [item] = deleted.json<{ items: Booking[] }>().items;
    expect(item).toMatchObject({ id: b.id, version: 2, updated_by: analyst.userId });
    expect(Date.parse(item!.deleted_at!)).not.toBeNaN();

    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/audit-events?action=loan_booking.delete', headers: { authorization: admin.authorization } });
    expect(audit.json().items).toEqual(expect.arrayContaining([expect.objectContaining({ target_id: b.id, actor_id: analyst.userId, outcome: 'success' })]));
  });
});

describe('sync status', () => {
  const put = (id: string, payload: Record<string, unknown>, who = admin) =>
    t.app.inject({ method: 'PUT', url: `${url(id)}/sync-status`, headers: { authorization: who.authorization }, payload });
  const get = (id: string) => t.app.inject({ method: 'GET', url: `${url(id)}/sync-status`, headers: { authorization: analyst.authorization } });

  it('starts as not_started', async () => {
    const b = await createOk();
    const res = await get(b.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ state: 'not_started', job_id: null, error: null, updated_at: null });
  });

  it('can be overridden by an admin, audited, with the error sanitised and kept only for failed', async () => {
    const b = await createOk();
    const failed = await put(b.id, { state: 'failed', error: 'KB ingestion\u0000 rejected\u202E the file', job_id: 'job-42' });
    expect(failed.statusCode, failed.body).toBe(200);
    expect(failed.json()).toMatchObject({ state: 'failed', job_id: 'job-42', error: 'KB ingestion rejected the file' });
    expect(Date.parse(failed.json().updated_at)).not.toBeNaN();
    expect((await get(b.id)).json()).toEqual(failed.json());

    const defaulted = await put(b.id, { state: 'failed' });
    expect(defaulted.json()).toMatchObject({ error: 'Set by an administrator', job_id: 'job-42' });

    const indexed = await put(b.id, { state: 'indexed', error: 'ignored when not failed' });
    expect(indexed.json()).toMatchObject({ state: 'indexed', error: null, job_id: 'job-42' });
    const cleared = await put(b.id, { state: 'pending', job_id: null });
    expect(cleared.json()).toMatchObject({ state: 'pending', job_id: null });

    const audit = await t.app.inject({ method: 'GET', url: `/api/v1/audit-events?action=loan_booking.sync_override&actor_id=${admin.userId}`, headers: { authorization: admin.authorization } });
    const mine = audit.json<{ items: { target_id: string; details: Record<string, unknown> }[] }>().items.filter((e) => e.target_id === b.id);
    expect(mine.map((e) => e.details)).toEqual([
      { from: 'indexed', to: 'pending' },
      { from: 'failed', to: 'indexed' },
      { from: 'failed', to: 'failed' },
      { from: 'not_started', to: 'failed' },
    ]);
    // The booking itself is not versioned by a sync override.
    const booking = await t.app.inject({ method: 'GET', url: url(b.id), headers: { authorization: analyst.authorization } });
    expect(booking.json<Booking>()).toMatchObject({ version: 1, sync_status: { state: 'pending' } });
  });

  it('validates the override and refuses non-admins', async () => {
    const b = await createOk();
    expect((await put(b.id, { state: 'done' })).json().field_errors).toEqual({ state: ['must be one of: not_started, pending, indexed, failed'] });
    expect((await put(b.id, { state: 'failed', job_id: 'has spaces' })).statusCode).toBe(422);
    expect((await put(b.id, { state: 'failed', extra: 1 })).statusCode).toBe(422);
    expect((await put(newId(), { state: 'indexed' })).statusCode).toBe(404);
    expect((await put(b.id, { state: 'indexed' }, analyst)).statusCode).toBe(403);
  });
});
