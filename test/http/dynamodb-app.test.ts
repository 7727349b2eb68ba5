/* eslint-disable @typescript-eslint/no-unsafe-call -- response bodies are JSON checked field by field */
import { rmSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import type { Config } from '../../src/config/config.js';
import { ensureTables } from '../../src/dynamo/create-tables.js';
import { startWorkers, type Workers } from '../../src/jobs.js';
import { testConfig } from '../helpers/app.js';
import {
  deleteTestTables,
  DYNAMODB_LOCAL_CREDENTIALS,
  DYNAMODB_LOCAL_REGION,
  dynamoTestStoreConfig,
} from '../helpers/dynamodb-local.js';
import { multipart } from '../helpers/multipart.js';
import { AGREEMENT_FACTS, AGREEMENT_PAGES } from '../integration/extraction/agreement-fixture.js';

/**
 * The AWS-native deployment end to end: the real app built from STORE=dynamodb configuration, with
 * no SQL database anywhere: records and the job queue in DynamoDB Local (tables of a random prefix,
 * created first as infrastructure would), documents processed by the workers from that queue.
 */
const store = dynamoTestStoreConfig();
const ADMIN = { email: 'admin@example.com', password: 'dynamo-smoke-Passw0rd' };

describe('the service on DynamoDB (STORE=dynamodb)', () => {
  let app: App;
  let config: Config;
  let dataDir: string;
  let workers: Workers | undefined;
  let authorization: string;

  beforeAll(async () => {
    // The SDK's default credential chain reads these; DynamoDB Local accepts any.
    process.env.AWS_ACCESS_KEY_ID ??= DYNAMODB_LOCAL_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY ??= DYNAMODB_LOCAL_CREDENTIALS.secretAccessKey;
    ({ config, dataDir } = testConfig({
      STORE: 'dynamodb',
      AWS_REGION: DYNAMODB_LOCAL_REGION,
      DYNAMODB_ENDPOINT: store.endpoint!,
      LOAN_BOOKING_TABLE: store.tables.loanBookings,
      BOOKING_SHEET_TABLE: store.tables.bookingSheets,
      PLATFORM_TABLE: store.tables.platform,
      UPLOAD_MAX_FILES: '50',
      BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    }));
    const client = new DynamoDBClient({
      endpoint: store.endpoint,
      region: store.region,
      credentials: DYNAMODB_LOCAL_CREDENTIALS,
    });
    try {
      await ensureTables(client, store.tables);
    } finally {
      client.destroy();
    }
    app = await buildApp(config);
    workers = await startWorkers(app.services);
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'password',
        username: ADMIN.email,
        password: ADMIN.password,
      }).toString(),
    });
    expect(login.statusCode, login.body).toBe(200);
    authorization = `Bearer ${login.json().access_token as string}`;
  });

  afterAll(async () => {
    await workers?.stop();
    await app?.close();
    await deleteTestTables(store);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    app.inject({
      method,
      url,
      headers: { authorization, ...headers },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  async function createBooking(customer: string, productId = 'syndicated-loans'): Promise<string> {
    const res = await call('POST', '/api/v1/loan-bookings', {
      customer_name: customer,
      product_id: productId,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }

  async function waitForDocument(id: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const doc = (await call('GET', `/api/v1/documents/${id}`)).json<Record<string, unknown>>();
      if (doc.status === 'processed' || doc.status === 'failed') return doc;
      if (Date.now() > deadline)
        throw new Error(`document ${id} still ${String(doc.status)} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('runs on DynamoDB alone: record store and job queue, no SQL database, and reports both ready', async () => {
    const s = app.services;
    expect(s.stores.kind).toBe('dynamodb');
    expect(s.queue.kind).toBe('dynamodb');
    expect(s.database).toBeUndefined();
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json().checks).toMatchObject({ database: { status: 'up' }, queue: { status: 'up' } });
  });

  it('creates, lists, reads, updates and deletes a booking, and serves and extends the product catalogue', async () => {
    const products = await call('GET', '/api/v1/products');
    expect(products.statusCode).toBe(200);
    expect(products.json().items.map((p: { id: string }) => p.id)).toContain('syndicated-loans');
    const added = await call('POST', '/api/v1/products', {
      id: 'dynamo-bridge',
      name: 'Bridge facility',
      description: 'Short-term bridge loans.',
    });
    expect(added.statusCode, added.body).toBe(201);
    expect((await call('GET', '/api/v1/products/dynamo-bridge')).json()).toMatchObject({
      id: 'dynamo-bridge',
      name: 'Bridge facility',
      active: true,
    });

    const id = await createBooking('Dynamo Freight Ltd', 'dynamo-bridge');
    const listed = await call('GET', '/api/v1/loan-bookings?product_id=dynamo-bridge');
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().items.map((b: { id: string }) => b.id)).toEqual([id]);
    const got = await call('GET', `/api/v1/loan-bookings/${id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({
      id,
      customer_name: 'Dynamo Freight Ltd',
      product_id: 'dynamo-bridge',
      version: 1,
    });

    const stale = await call(
      'PATCH',
      `/api/v1/loan-bookings/${id}`,
      { notes: 'stale' },
      { 'if-match': '"v9"' },
    );
    expect(stale.statusCode).toBe(412);
    const patched = await call(
      'PATCH',
      `/api/v1/loan-bookings/${id}`,
      { notes: 'Signed term sheet received.' },
      { 'if-match': got.headers.etag as string },
    );
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ notes: 'Signed term sheet received.', version: 2 });

    expect((await call('DELETE', `/api/v1/loan-bookings/${id}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/loan-bookings/${id}`)).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/loan-bookings?product_id=dynamo-bridge')).json().items).toEqual([]);
  });

  it('processes an uploaded document on the DynamoDB queue, searches it, extracts with the rules engine and builds a booking sheet', async () => {
    const bookingId = await createBooking('Harborview Logistics, Inc.');
    const body = multipart([
      {
        name: 'credit-agreement.txt',
        type: 'text/plain',
        data: Buffer.from(AGREEMENT_PAGES.join('\f'), 'utf8'),
      },
    ]);
    const up = await call('POST', `/api/v1/loan-bookings/${bookingId}/documents`, body.payload, body.headers);
    expect(up.statusCode, up.body).toBe(201);
    const documentId = up.json().items[0].id as string;
    expect(up.json().items[0].status).toBe('uploaded');

    const doc = await waitForDocument(documentId);
    expect(doc.status).toBe('processed');
    expect(doc.page_count).toBe(AGREEMENT_PAGES.length);

    const search = await call(
      'GET',
      `/api/v1/loan-bookings/${bookingId}/search?q=${encodeURIComponent('governed by the law')}`,
    );
    expect(search.statusCode, search.body).toBe(200);
    expect(search.json().items.length).toBeGreaterThan(0);
    expect(search.json().items[0]).toMatchObject({ document_id: documentId });

    const started = await call('POST', `/api/v1/loan-bookings/${bookingId}/extractions`, {
      schema: 'credit_agreement',
      engine: 'rules',
    });
    expect(started.statusCode, started.body).toBe(202);
    const runId = started.json().id as string;
    let run: Record<string, unknown> = {};
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      run = (await call('GET', `/api/v1/loan-bookings/${bookingId}/extractions/${runId}`)).json();
      if (run.status === 'succeeded' || run.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(run.status, JSON.stringify(run)).toBe('succeeded');

    const sheet = await call('POST', `/api/v1/loan-bookings/${bookingId}/booking-sheet`, {});
    expect(sheet.statusCode, sheet.body).toBe(201);
    expect(sheet.json()).toMatchObject({
      booking_id: bookingId,
      source_run_id: runId,
      status: 'draft',
      version: 1,
    });
    expect(sheet.json().fields.maturity_date_final).toMatchObject({
      value: AGREEMENT_FACTS.maturity,
      source: 'extracted',
    });

    // Every job was taken and finished: nothing waits, runs or failed.
    const stats = await app.services.queue.stats();
    expect(stats['document.process']).toEqual({ queued: 0, active: 0, failed: 0 });
    expect(stats['extraction.run']).toEqual({ queued: 0, active: 0, failed: 0 });
  });

  it('caps an upload at the 31 documents one DynamoDB transaction can record, whatever UPLOAD_MAX_FILES says', async () => {
    expect(config.uploads.maxFiles).toBe(31);
    const bookingId = await createBooking('Many Files Corp');
    const files = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        name: `note-${i}.txt`,
        type: 'text/plain',
        data: Buffer.from(`Note ${i} of the file about the revolving facility.`),
      }));

    const tooMany = multipart(files(32));
    const refused = await call(
      'POST',
      `/api/v1/loan-bookings/${bookingId}/documents`,
      tooMany.payload,
      tooMany.headers,
    );
    expect(refused.statusCode, refused.body).toBe(413);
    expect(refused.json().details).toMatchObject({ limit: 'files_per_request', max_files: 31 });
    expect((await call('GET', `/api/v1/loan-bookings/${bookingId}/documents`)).json().items).toEqual([]);

    const most = multipart(files(31));
    const stored = await call(
      'POST',
      `/api/v1/loan-bookings/${bookingId}/documents`,
      most.payload,
      most.headers,
    );
    expect(stored.statusCode, stored.body).toBe(201);
    expect(stored.json().items).toHaveLength(31);
    for (const item of stored.json().items as { id: string }[])
      expect((await waitForDocument(item.id)).status).toBe('processed');
  });
});
