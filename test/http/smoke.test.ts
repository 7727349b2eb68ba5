import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('creates, reads, lists, updates and deletes a booking', async () => {
    const h = await t.auth('analyst');
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: h.authorization }, payload: { customer_name: '  Société Générale  (NY) ', product_id: 'term-loans' } });
    expect(created.statusCode, created.body).toBe(201);
    const body = created.json();
    expect(body.customer_name).toBe('Société Générale (NY)');
    expect(created.headers.location).toBe(`/api/v1/loan-bookings/${body.id}`);
    const got = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${body.id}`, headers: { authorization: h.authorization } });
    expect(got.statusCode).toBe(200);
    expect(got.headers.etag).toBe('"v1"');
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/loan-bookings?limit=1', headers: { authorization: h.authorization } });
    expect(list.json().items).toHaveLength(1);
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/loan-bookings/${body.id}`, headers: { authorization: h.authorization, 'if-match': '"v1"' }, payload: { notes: 'hello' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.headers.etag).toBe('"v2"');
    const stale = await t.app.inject({ method: 'PATCH', url: `/api/v1/loan-bookings/${body.id}`, headers: { authorization: h.authorization, 'if-match': '"v1"' }, payload: { notes: 'x' } });
    expect(stale.statusCode).toBe(412);
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/loan-bookings/${body.id}`, headers: { authorization: h.authorization } });
    expect(del.statusCode).toBe(204);
    const del2 = await t.app.inject({ method: 'DELETE', url: `/api/v1/loan-bookings/${body.id}`, headers: { authorization: h.authorization } });
    expect(del2.statusCode).toBe(404);
    expect(del2.headers['content-type']).toContain('application/problem+json');
    expect(del2.json().error_code).toBe('LOAN_BOOKING_NOT_FOUND');
  });

  it('replays idempotent creates', async () => {
    const h = await t.auth('analyst');
    const headers = { authorization: h.authorization, 'idempotency-key': 'abc-123' };
    const payload = { customer_name: 'Acme Corp.', product_id: 'term-loans' };
    const a = await t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers, payload });
    const b = await t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers, payload });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.json().id).toBe(a.json().id);
    expect(b.headers['idempotency-replayed']).toBe('true');
    const c = await t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers, payload: { ...payload, customer_name: 'Other' } });
    expect(c.statusCode).toBe(422);
  });

  it('products and breakdown', async () => {
    const h = await t.auth('viewer');
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/products', headers: { authorization: h.authorization } });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toHaveLength(6);
    const again = await t.app.inject({ method: 'GET', url: '/api/v1/products', headers: { authorization: h.authorization, 'if-none-match': res.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    const pb = await t.app.inject({ method: 'GET', url: '/api/v1/products/term-loans/loan-bookings', headers: { authorization: h.authorization } });
    expect(pb.statusCode, pb.body).toBe(200);
  });
});
