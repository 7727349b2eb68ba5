import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startWorkers, type Workers } from '../../src/jobs.js';
import { makeTextPdf } from '../helpers/fixtures.js';
import { multipart } from '../helpers/multipart.js';

describe('documents smoke', () => {
  let t: TestApp;
  let workers: Workers;
  beforeAll(async () => {
    t = await createTestApp();
    workers = await startWorkers(t.app.services);
  });
  afterAll(async () => {
    await workers.stop();
    await t.close();
  });

  it('uploads, processes, searches, downloads, deletes', async () => {
    const h = await t.auth('analyst');
    const b = await t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: h.authorization }, payload: { customer_name: 'Acme', product_id: 'term-loans' } });
    const id = b.json().id;
    const pdf = makeTextPdf(['CREDIT AGREEMENT dated as of March 1, 2024 among ACME CORP as Borrower', 'This Agreement shall be governed by the law of the State of New York.']);
    const mp = multipart([{ name: 'agreement.pdf', type: 'application/pdf', data: pdf }]);
    const up = await t.app.inject({ method: 'POST', url: `/api/v1/loan-bookings/${id}/documents`, headers: { authorization: h.authorization, ...mp.headers }, payload: mp.payload });
    expect(up.statusCode, up.body).toBe(201);
    const doc = up.json().items[0];
    expect(doc.status).toBe('uploaded');
    let status = '';
    for (let i = 0; i < 60 && status !== 'processed' && status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      status = (await t.app.inject({ method: 'GET', url: `/api/v1/documents/${doc.id}`, headers: { authorization: h.authorization } })).json().status;
    }
    expect(status).toBe('processed');
    const s = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${id}/search?q=governed%20law`, headers: { authorization: h.authorization } });
    expect(s.statusCode, s.body).toBe(200);
    expect(s.json().items[0].page).toBe(2);
    const c = await t.app.inject({ method: 'GET', url: `/api/v1/documents/${doc.id}/content`, headers: { authorization: h.authorization, range: 'bytes=0-4' } });
    expect(c.statusCode).toBe(206);
    expect(c.body).toBe('%PDF-');
    const dup = await t.app.inject({ method: 'POST', url: `/api/v1/loan-bookings/${id}/documents`, headers: { authorization: h.authorization, ...mp.headers }, payload: mp.payload });
    expect(dup.json().items[0].duplicate).toBe(true);
    const legacy = multipart([{ name: 'a.txt', type: 'text/plain', data: Buffer.from('hello world term sheet') }], { customer_name: 'Legacy Co', product_id: 'term-loans' });
    const lr = await t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: h.authorization, ...legacy.headers }, payload: legacy.payload });
    expect(lr.statusCode, lr.body).toBe(201);
    expect(lr.json().documents).toHaveLength(1);
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/documents/${doc.id}`, headers: { authorization: h.authorization } });
    expect(del.statusCode).toBe(204);
  });
});
