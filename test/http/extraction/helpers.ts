import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { newId } from '../../../src/lib/ids.js';
import type { DocumentRecord } from '../../../src/modules/documents/documents.store.js';
import { splitPassages } from '../../../src/modules/documents/passages.js';
import type { TestApp } from '../../helpers/app.js';

export interface Caller {
  authorization: string;
  userId: string;
  tenantId: string;
}

export async function createBooking(t: TestApp, caller: Caller, customer = 'Harborview Logistics, Inc.'): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/loan-bookings',
    headers: { authorization: caller.authorization },
    payload: { customer_name: customer, product_id: 'syndicated-loans' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/**
 * A document as the processing worker leaves it, written through the documents store: the text of
 * its pages and its passage index. `uploaded` and `failed` stop where those states do.
 */
export async function seedDocument(
  t: TestApp,
  tenantId: string,
  bookingId: string,
  pages: readonly string[],
  opts: { fileName?: string; status?: 'processed' | 'uploaded' | 'failed' } = {},
): Promise<string> {
  const store = t.app.services.stores.documents;
  const id = newId();
  const now = new Date();
  const body = pages.join('\f');
  const record: DocumentRecord = {
    id,
    tenantId,
    bookingId,
    fileName: opts.fileName ?? `${id}.pdf`,
    contentType: 'application/pdf',
    kind: 'pdf',
    sizeBytes: body.length,
    sha256: createHash('sha256').update(`${id}${body}`).digest('hex'),
    blobKey: `documents/${tenantId}/${id}`,
    status: 'uploaded',
    errorCode: null,
    errorMessage: null,
    pageCount: null,
    ocrPages: null,
    documentType: null,
    documentTypeConfidence: null,
    uploadedBy: 'seed',
    uploadedAt: now,
    processedAt: null,
    attempts: 0,
    leaseToken: null,
    leaseExpiresAt: null,
    deletedAt: null,
  };
  await store.createDocuments([record]);
  if (opts.status === 'uploaded') return id;
  const claim = await store.claimForProcessing(tenantId, id, now, 60_000);
  if (!claim.claimed) throw new Error('could not claim the seeded document');
  if (opts.status === 'failed') {
    await store.failProcessing(tenantId, id, claim.token, 'UNPROCESSABLE_DOCUMENT', 'unreadable', now);
    return id;
  }
  await store.completeProcessing(tenantId, id, claim.token, {
    pages: pages.map((text, i) => ({ page: i + 1, text, method: 'text' })),
    passages: pages.flatMap((text, i) => splitPassages(i + 1, text)),
    pageCount: pages.length,
    ocrPages: 0,
    documentType: 'credit_agreement',
    documentTypeConfidence: 0.9,
    processedAt: now,
  });
  return id;
}

/** Polls a run until it is finished (bounded: a run that never finishes fails the test). */
/* eslint-disable @typescript-eslint/no-explicit-any -- runs are JSON read field by field */
export async function waitForRun(t: TestApp, caller: Caller, bookingId: string, runId: string, timeoutMs = 30_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${bookingId}/extractions/${runId}`, headers: { authorization: caller.authorization } });
    expect(res.statusCode, res.body).toBe(200);
    const run = res.json<Record<string, any>>();
    if (run.status === 'succeeded' || run.status === 'failed') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startRun(t: TestApp, caller: Caller, bookingId: string, body: Record<string, unknown> = { schema: 'credit_agreement' }, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/loan-bookings/${bookingId}/extractions`,
    headers: { authorization: caller.authorization, ...headers },
    payload: body,
  });
}

/** Starts a run and waits for its result. */
export async function runToEnd(t: TestApp, caller: Caller, bookingId: string, body: Record<string, unknown> = { schema: 'credit_agreement' }): Promise<Record<string, any>> {
  const res = await startRun(t, caller, bookingId, body);
  expect(res.statusCode, res.body).toBe(202);
  return waitForRun(t, caller, bookingId, res.json().id as string);
}
