import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

const TENANT = 'tenant-products';
const STANDARD = ['LOC-loans', 'SBA-loans', 'equipment-financing', 'syndicated-loans', 'term-loans', 'working-capital-loans'];

interface Product {
  id: string;
  name: string;
  description: string;
  active: boolean;
  created_at: string;
  updated_at: string;
}
type Who = { authorization: string; userId: string; tenantId: string };

let t: TestApp;
let admin: Who;
let analyst: Who;
let viewer: Who;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.auth('admin', TENANT);
  analyst = await t.auth('analyst', TENANT);
  viewer = await t.auth('viewer', TENANT);
});
afterAll(async () => t.close());

const get = (url: string, who: Who = viewer, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers: { authorization: who.authorization, ...headers } });
const ids = (items: { id: string }[]) => items.map((p) => p.id);

async function addProduct(id: string, who: Who = admin) {
  return t.app.inject({ method: 'POST', url: '/api/v1/products', headers: { authorization: who.authorization }, payload: { id, name: ` ${id} name `, description: ` About ${id}. ` } });
}

async function book(product: string, customer = 'Product Test Ltd') {
  return t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: analyst.authorization }, payload: { customer_name: customer, product_id: product } });
}

describe('catalogue', () => {
  it('starts with the six standard products, with the legacy ids and names', async () => {
    const res = await get('/api/v1/products');
    expect(res.statusCode).toBe(200);
    const items = res.json<{ items: Product[] }>().items;
    expect(ids(items).sort()).toEqual(STANDARD.slice().sort());
    expect(items.find((p) => p.id === 'LOC-loans')).toMatchObject({ name: 'Line of Credit Loans', active: true });
    expect(items.find((p) => p.id === 'SBA-loans')!.name).toBe('SBA Loans');
    for (const p of items) expect(p.description.length).toBeGreaterThan(10);
  });

  it('answers 304 to the list ETag, and a new ETag after a change', async () => {
    const first = await get('/api/v1/products');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect(first.headers['cache-control']).toBe('private, max-age=60');
    const again = await get('/api/v1/products', viewer, { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await addProduct('etag-check-loans')).statusCode).toBe(201);
    const changed = await get('/api/v1/products', viewer, { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(ids(changed.json<{ items: Product[] }>().items)).toContain('etag-check-loans');
  });

  it('gets one product with its own ETag; 404 for an unknown one', async () => {
    const res = await get('/api/v1/products/term-loans');
    expect(res.statusCode).toBe(200);
    expect(res.json<Product>()).toMatchObject({ id: 'term-loans', name: 'Term Loans', active: true });
    expect((await get('/api/v1/products/term-loans', viewer, { 'if-none-match': res.headers.etag as string })).statusCode).toBe(304);
    const missing = await get('/api/v1/products/crypto-loans');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error_code).toBe('PRODUCT_NOT_FOUND');
    expect((await get('/api/v1/products/has%20space')).statusCode).toBe(400);
  });

  it('is per organisation', async () => {
    expect((await addProduct('tenant-only-loans')).statusCode).toBe(201);
    const outsider = await t.auth('admin', 'tenant-products-other');
    const theirs = await get('/api/v1/products?include_retired=true', outsider);
    expect(ids(theirs.json<{ items: Product[] }>().items).sort()).toEqual(STANDARD.slice().sort());
    expect((await get('/api/v1/products/tenant-only-loans', outsider)).statusCode).toBe(404);
    // The other organisation may use the same id for its own product.
    expect((await addProduct('tenant-only-loans', outsider)).statusCode).toBe(201);
  });
});

describe('administration', () => {
  it('adds a product (admin only, audited): 201 with Location; a taken id is 409', async () => {
    const res = await addProduct('green-loans');
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers.location).toBe('/api/v1/products/green-loans');
    expect(res.json<Product>()).toMatchObject({ id: 'green-loans', name: 'green-loans name', description: 'About green-loans.', active: true });
    const dup = await addProduct('green-loans');
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error_code).toBe('PRODUCT_EXISTS');
    expect((await addProduct('term-loans')).statusCode).toBe(409);
    expect((await addProduct('analyst-loans', analyst)).statusCode).toBe(403);
    expect((await book('green-loans')).statusCode).toBe(201);
    const audit = await get('/api/v1/audit-events?action=product.create', admin);
    expect(audit.json().items).toEqual(expect.arrayContaining([expect.objectContaining({ target_id: 'green-loans', actor_id: admin.userId })]));
  });

  it('validates new products', async () => {
    const post = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/v1/products', headers: { authorization: admin.authorization }, payload });
    expect((await post({ id: '-leading-dash', name: 'x', description: 'y' })).json().field_errors).toHaveProperty('id');
    expect((await post({ id: 'ok-id', name: '   ', description: 'y' })).json().field_errors).toHaveProperty('name');
    expect((await post({ id: 'ok-id', name: 'x' })).json().field_errors).toEqual({ description: ['is required'] });
    expect((await post({ id: 'ok-id', name: 'x', description: 'y', active: false })).json().field_errors).toEqual({ active: ['is not an allowed field'] });
    expect((await post({ id: 'x'.repeat(65), name: 'x', description: 'y' })).statusCode).toBe(422);
  });

  it('retires a product: hidden from the default list, refused for new bookings, still readable; reinstating undoes it', async () => {
    expect((await addProduct('sunset-loans')).statusCode).toBe(201);
    const existing = await book('sunset-loans', 'Before Retirement Ltd');
    expect(existing.statusCode).toBe(201);

    const retire = await t.app.inject({ method: 'PATCH', url: '/api/v1/products/sunset-loans', headers: { authorization: admin.authorization }, payload: { active: false, name: ' Sunset (retired) ' } });
    expect(retire.statusCode, retire.body).toBe(200);
    expect(retire.json<Product>()).toMatchObject({ active: false, name: 'Sunset (retired)' });

    expect(ids((await get('/api/v1/products')).json<{ items: Product[] }>().items)).not.toContain('sunset-loans');
    const withRetired = (await get('/api/v1/products?include_retired=true')).json<{ items: Product[] }>().items;
    expect(withRetired.find((p) => p.id === 'sunset-loans')).toMatchObject({ active: false });
    expect((await get('/api/v1/products/sunset-loans')).json<Product>().active).toBe(false);

    const refused = await book('sunset-loans');
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error_code).toBe('UNKNOWN_PRODUCT');
    expect(refused.json().details.valid_product_ids).not.toContain('sunset-loans');
    expect(refused.json().details.valid_product_ids).toContain('term-loans');
    // Moving an existing booking onto it is refused too; the booking already on it stays readable.
    const other = (await book('term-loans')).json<{ id: string }>();
    const move = await t.app.inject({ method: 'PATCH', url: `/api/v1/loan-bookings/${other.id}`, headers: { authorization: analyst.authorization, 'if-match': '"v1"' }, payload: { product_id: 'sunset-loans' } });
    expect(move.json().error_code).toBe('UNKNOWN_PRODUCT');
    expect((await get(`/api/v1/loan-bookings/${existing.json().id}`)).json().product_id).toBe('sunset-loans');

    const reinstate = await t.app.inject({ method: 'PATCH', url: '/api/v1/products/sunset-loans', headers: { authorization: admin.authorization }, payload: { active: true } });
    expect(reinstate.json<Product>().active).toBe(true);
    expect((await book('sunset-loans')).statusCode).toBe(201);

    const audit = await get('/api/v1/audit-events?action=product.update', admin);
    const events = audit.json<{ items: { target_id: string; details: Record<string, unknown> }[] }>().items.filter((e) => e.target_id === 'sunset-loans');
    expect(events.map((e) => e.details)).toEqual([{ active: true }, { active: false, name: expect.stringMatching(/^\s*Sunset \(retired\)\s*$/) }]);
  });

  it('validates changes and refuses unknown products and non-admins', async () => {
    const patch = (id: string, payload: Record<string, unknown>, who: Who = admin) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/products/${id}`, headers: { authorization: who.authorization }, payload });
    expect((await patch('term-loans', {})).statusCode).toBe(422);
    expect((await patch('term-loans', { id: 'renamed' })).statusCode).toBe(422);
    expect((await patch('crypto-loans', { active: false })).statusCode).toBe(404);
    expect((await patch('term-loans', { active: false }, analyst)).statusCode).toBe(403);
    expect((await get('/api/v1/products/term-loans')).json<Product>().active).toBe(true);
  });
});

describe('bookings of a product', () => {
  interface ProductPage {
    items: { id: string; product_id: string; status: string }[];
    next_cursor: string | null;
    has_more: boolean;
    product: Product;
    status_breakdown: Record<string, number>;
    total: number;
  }
  const page = async (query = '') => {
    const res = await get(`/api/v1/products/working-capital-loans/loan-bookings${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<ProductPage>();
  };

  it('pages through the product\'s bookings with a breakdown over all of them, not one page', async () => {
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await book('working-capital-loans', `Working Capital Customer ${i}`)).json<{ id: string }>().id);
    await book('term-loans', 'Other Product Customer');
    // Statuses: 3 draft, 2 cancelled, 1 documents_received, 1 deleted (not counted).
    for (const id of created.slice(0, 2)) {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/loan-bookings/${id}`, headers: { authorization: analyst.authorization, 'if-match': '"v1"' }, payload: { status: 'cancelled' } });
      expect(res.statusCode).toBe(200);
    }
    await t.app.services.loanBookings.transition(TENANT, created[2]!, 'documents_received', ['draft'], 'workflow');
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/loan-bookings/${created[3]}`, headers: { authorization: analyst.authorization } })).statusCode).toBe(204);

    const expected = { draft: 3, documents_received: 1, processing: 0, ready_for_review: 0, approved: 0, booked: 0, rejected: 0, cancelled: 2 };
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p = await page(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(p.items.length).toBeLessThanOrEqual(2);
      expect(p.product.id).toBe('working-capital-loans');
      expect(p.status_breakdown).toEqual(expected);
      expect(p.total).toBe(6);
      for (const b of p.items) expect(b.product_id).toBe('working-capital-loans');
      seen.push(...p.items.map((b) => b.id));
      cursor = p.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(created.filter((id) => id !== created[3]).reverse());
  });

  it('filters by status with a cursor bound to that filter', async () => {
    const drafts = await page('?status=draft&limit=2');
    expect(drafts.items).toHaveLength(2);
    for (const b of drafts.items) expect(b.status).toBe('draft');
    expect(drafts.total).toBe(6);
    const rest = await page(`?status=draft&limit=2&cursor=${drafts.next_cursor}`);
    expect(rest.items).toHaveLength(1);
    const reused = await get(`/api/v1/products/working-capital-loans/loan-bookings?status=cancelled&cursor=${drafts.next_cursor}`);
    expect(reused.statusCode).toBe(400);
    expect(reused.json().error_code).toBe('INVALID_CURSOR');
    const otherProduct = await get(`/api/v1/products/term-loans/loan-bookings?status=draft&cursor=${drafts.next_cursor}`);
    expect(otherProduct.json().error_code).toBe('INVALID_CURSOR');
  });

  it('answers 404 for an unknown product and 403 without the bookings permission', async () => {
    expect((await get('/api/v1/products/crypto-loans/loan-bookings')).statusCode).toBe(404);
    const none = await t.tokenFor([], TENANT);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/products/term-loans/loan-bookings', headers: { authorization: `Bearer ${none.token}` } })).statusCode).toBe(403);
  });
});
