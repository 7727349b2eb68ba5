import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

interface Booking {
  id: string;
  customer_name: string;
  product_id: string;
  status: string;
  created_by: string;
  created_at: string;
}
interface Page {
  items: Booking[];
  next_cursor: string | null;
  has_more: boolean;
}

const TENANT = 'tenant-list';
let t: TestApp;
let alice: { authorization: string; userId: string };
let bob: { authorization: string; userId: string };
const all: Booking[] = [];
let midpoint: string;

beforeAll(async () => {
  t = await createTestApp();
  alice = await t.auth('analyst', TENANT);
  bob = await t.auth('analyst', TENANT);
  const rows: [typeof alice, string, string][] = [
    [alice, 'Acme Corp', 'term-loans'],
    [alice, 'acme holdings', 'SBA-loans'],
    [bob, 'Société Générale', 'term-loans'],
    [bob, 'SOCIÉTÉ Anonyme', 'LOC-loans'],
    [alice, 'Müller & Söhne GmbH', 'term-loans'],
    [bob, '100 Pure Juice Ltd', 'term-loans'],
    [alice, '株式会社トヨタ', 'equipment-financing'],
    [bob, 'Zeta Capital', 'term-loans'],
  ];
  for (const [who, customer, product] of rows) {
    if (all.length === 4) {
      await new Promise((r) => setTimeout(r, 20));
      midpoint = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 20));
    }
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: who.authorization }, payload: { customer_name: customer, product_id: product } });
    expect(res.statusCode, res.body).toBe(201);
    all.push(res.json<Booking>());
  }
  // Two bookings move on in the workflow so that the status filter has something to find.
  await t.app.services.loanBookings.transition(TENANT, all[0]!.id, 'documents_received', ['draft'], 'workflow');
  await t.app.services.loanBookings.transition(TENANT, all[4]!.id, 'documents_received', ['draft'], 'workflow');
});
afterAll(async () => t.close());

async function list(query: string, who = alice): Promise<Page> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings?${query}`, headers: { authorization: who.authorization } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Page>();
}

/** Every item of a filtered listing, following cursors page by page. */
async function walk(filters: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await list(`${filters}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    expect(page.has_more).toBe(page.next_cursor !== null);
    ids.push(...page.items.map((b) => b.id));
    cursor = page.next_cursor;
    pages++;
  } while (cursor);
  return { ids, pages };
}

const newestFirst = (bookings: Booking[]) => bookings.map((b) => b.id).reverse();

describe('listing loan bookings', () => {
  it('lists newest first with a default page size, and pages through everything exactly once', async () => {
    const first = await list('');
    expect(first.items.map((b) => b.id)).toEqual(newestFirst(all));
    expect(first.has_more).toBe(false);
    const walked = await walk('', 3);
    expect(walked.pages).toBe(3);
    expect(walked.ids).toEqual(newestFirst(all));
  });

  it('filters by product, status, creator and creation time, paging within the filter', async () => {
    const term = await walk('product_id=term-loans', 2);
    expect(term.ids).toEqual(newestFirst(all.filter((b) => b.product_id === 'term-loans')));
    expect(term.pages).toBe(3);
    expect((await list('status=documents_received')).items.map((b) => b.id)).toEqual([all[4]!.id, all[0]!.id]);
    expect((await list('status=documents_received&product_id=SBA-loans')).items).toEqual([]);
    expect((await walk(`created_by=${bob.userId}`, 1)).ids).toEqual(newestFirst(all.filter((b) => b.created_by === bob.userId)));
    expect((await list(`created_from=${encodeURIComponent(midpoint)}`)).items.map((b) => b.id)).toEqual(newestFirst(all.slice(4)));
    expect((await list(`created_to=${encodeURIComponent(midpoint)}`)).items.map((b) => b.id)).toEqual(newestFirst(all.slice(0, 4)));
  });

  it('filters by customer name prefix, case-insensitively and in any script, with no wildcards', async () => {
    const names = async (prefix: string) => (await list(`customer_name_prefix=${encodeURIComponent(prefix)}`)).items.map((b) => b.customer_name).sort();
    expect(await names('acme')).toEqual(['Acme Corp', 'acme holdings']);
    expect(await names('ACME H')).toEqual(['acme holdings']);
    expect(await names('société')).toEqual(['SOCIÉTÉ Anonyme', 'Société Générale']);
    expect(await names('Socie\u0301te\u0301')).toEqual(['SOCIÉTÉ Anonyme', 'Société Générale']);
    expect(await names('müller')).toEqual(['Müller & Söhne GmbH']);
    expect(await names('株式')).toEqual(['株式会社トヨタ']);
    // LIKE wildcards in the prefix are literal characters.
    expect(await names('%')).toEqual([]);
    expect(await names('_')).toEqual([]);
    expect(await names('100 Pure')).toEqual(['100 Pure Juice Ltd']);
    expect(await names('100_Pure')).toEqual([]);
    expect(await names('nobody')).toEqual([]);
  });

  it('binds a cursor to the filters it was issued for', async () => {
    const page = await list('product_id=term-loans&limit=1');
    expect(page.next_cursor).not.toBeNull();
    const same = await list(`product_id=term-loans&limit=1&cursor=${page.next_cursor}`);
    expect(same.items[0]!.id).not.toBe(page.items[0]!.id);
    for (const other of ['product_id=SBA-loans', '', 'product_id=term-loans&status=draft', 'product_id=term-loans&customer_name_prefix=a']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings?${other}&limit=1&cursor=${page.next_cursor}`, headers: { authorization: alice.authorization } });
      expect(res.statusCode, other).toBe(400);
      expect(res.json()).toMatchObject({ error_code: 'INVALID_CURSOR', detail: 'The cursor was issued for different filters' });
    }
  });

  it('refuses forged and malformed cursors and out-of-range limits', async () => {
    const forged = Buffer.from(JSON.stringify({ p: { id: { $gt: '' } }, f: 'x' })).toString('base64url');
    for (const cursor of ['bm90LWpzb24', forged, Buffer.from('"just a string"').toString('base64url'), Buffer.from('{"p":{"id":"x"}}').toString('base64url')]) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings?cursor=${cursor}`, headers: { authorization: alice.authorization } });
      expect(res.statusCode, cursor).toBe(400);
      expect(res.json().error_code).toBe('INVALID_CURSOR');
    }
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'cursor=has%20space', 'status=unknown', 'created_from=yesterday', 'surprise=1']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings?${q}`, headers: { authorization: alice.authorization } });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error_code).toBe('BAD_REQUEST');
    }
    expect((await list('limit=100')).items).toHaveLength(all.length);
  });

  it('shows only the caller\'s organisation', async () => {
    const outsider = await t.auth('admin', 'tenant-elsewhere');
    expect((await list('', outsider)).items).toEqual([]);
  });
});
