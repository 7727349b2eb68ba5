import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { multipart, type MultipartFile } from '../../helpers/multipart.js';

/** Helpers shared by the documents HTTP tests: bookings, uploads, and "nothing left behind" checks. */

export interface Caller {
  authorization: string;
  userId: string;
  tenantId: string;
}

export interface DocView {
  id: string;
  loan_booking_id: string;
  file_name: string;
  content_type: string;
  kind: string;
  size_bytes: number;
  sha256: string;
  status: string;
  error_code: string | null;
  error_message: string | null;
  page_count: number | null;
  ocr_pages: number | null;
  document_type: string | null;
  document_type_confidence: number | null;
  uploaded_by: string;
  uploaded_at: string;
  processed_at: string | null;
  duplicate?: boolean;
}

export async function createBooking(t: TestApp, who: Caller, customer = 'Acme Corp'): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/loan-bookings',
    headers: { authorization: who.authorization },
    payload: { customer_name: customer, product_id: 'term-loans' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

export function upload(t: TestApp, who: Caller, bookingId: string, files: MultipartFile[], headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const mp = multipart(files);
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/loan-bookings/${bookingId}/documents`,
    headers: { authorization: who.authorization, ...mp.headers, ...headers },
    payload: mp.payload,
  });
}

export async function uploadOk(t: TestApp, who: Caller, bookingId: string, files: MultipartFile[]): Promise<DocView[]> {
  const res = await upload(t, who, bookingId, files);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ items: DocView[] }>().items;
}

export async function listBookingDocs(t: TestApp, who: Caller, bookingId: string): Promise<DocView[]> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${bookingId}/documents?limit=100`, headers: { authorization: who.authorization } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: DocView[] }>().items;
}

/** Every blob key stored under the booking's prefix. */
export async function blobKeysOf(t: TestApp, tenantId: string, bookingId: string): Promise<string[]> {
  const page = await t.app.services.blob.list(`tenants/${tenantId}/loan-bookings/${bookingId}/`);
  return page.keys.map((k) => k.key);
}

/** Files in the disk blob store's temp folder (partial uploads). */
export async function diskTempFiles(t: TestApp): Promise<string[]> {
  const blob = t.config.blob;
  if (blob.kind !== 'disk') return [];
  try {
    return await readdir(path.join(blob.root, '.tmp'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The failed upload left nothing: no document listed, no blob under the booking, no temp file. */
export async function expectNothingLeft(t: TestApp, who: Caller, bookingId: string): Promise<void> {
  expect(await listBookingDocs(t, who, bookingId)).toEqual([]);
  expect(await blobKeysOf(t, who.tenantId, bookingId)).toEqual([]);
  expect(await diskTempFiles(t)).toEqual([]);
}

export interface Problem {
  status: number;
  error_code: string;
  detail: string;
  details?: Record<string, unknown>;
  field_errors?: Record<string, string[]>;
}

export function problem(res: LightMyRequestResponse): Problem {
  return res.json<Problem>();
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function getDoc(t: TestApp, who: Caller, id: string): Promise<DocView> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/documents/${id}`, headers: { authorization: who.authorization } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<DocView>();
}

/** Polls the document until its status is one of `statuses`. */
export function waitForStatus(t: TestApp, who: Caller, id: string, statuses: string[] = ['processed', 'failed'], timeoutMs = 60_000): Promise<DocView> {
  return waitFor(
    `document ${id} to reach ${statuses.join('/')}`,
    async () => {
      const d = await getDoc(t, who, id);
      return statuses.includes(d.status) ? d : undefined;
    },
    timeoutMs,
    200,
  );
}
