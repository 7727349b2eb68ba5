import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, pageOf, PageQuery, Count, EtagHeader, Timestamp } from '../../lib/http-schemas.js';
import { requestMeta } from '../../lib/request-meta.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { contentEtag, notModified } from '../../lib/etag.js';
import { BOOKING_STATUSES } from '../loan-bookings/loan-bookings.store.js';
import { BookingStatusSchema, ProductId, toBookingView } from '../loan-bookings/loan-bookings.schemas.js';

export const ProductSchema = Type.Object(
  {
    id: Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$', description: 'Product id (stable, used in bookings).' }),
    name: Type.String({ maxLength: 200, description: 'Display name.' }),
    description: Type.String({ maxLength: 2000, description: 'What the product is.' }),
    active: Type.Boolean({ description: 'Retired products stay readable but new bookings cannot use them.' }),
    created_at: Timestamp('Creation time.'),
    updated_at: Timestamp('Last change.'),
  },
  { $id: 'Product', description: 'A lending product.' },
);
const ProductParams = Type.Object({ id: ProductId });
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Display name.' });
const Description = Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'Description.' });

export async function productRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { products, loanBookings } = app.services;
  const ProductRef = Type.Ref('Product');

  r.get(
    '/api/v1/products',
    {
      schema: {
        summary: 'List products',
        description: 'The product catalogue of the caller\'s organisation (six standard products plus any added). Cached; send If-None-Match to get 304.',
        tags: ['products'],
        querystring: Type.Object(
          { include_retired: Type.Optional(Type.Boolean({ description: 'Include retired products (default false).' })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(ProductRef, { maxItems: 1000 }) }, { description: 'The catalogue.', headers: EtagHeader }),
          304: Type.Null({ description: 'Not modified.' }),
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      const all = await products.list(request.principal!.tenantId);
      const items = request.query.include_retired ? all : all.filter((p) => p.active);
      const body = { items };
      const etag = contentEtag(JSON.stringify(body));
      reply.header('etag', etag).header('cache-control', 'private, max-age=60');
      if (notModified(request, etag)) return reply.code(304).send(null);
      return body;
    },
  );

  r.get(
    '/api/v1/products/:id',
    {
      schema: {
        summary: 'Get a product',
        description: 'One product, retired or not. Cached; send If-None-Match to get 304.',
        tags: ['products'],
        params: ProductParams,
        response: { 200: ProductRef, 304: Type.Null({ description: 'Not modified.' }), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const product = await products.get(request.principal!.tenantId, request.params.id);
      const etag = contentEtag(JSON.stringify(product));
      reply.header('etag', etag).header('cache-control', 'private, max-age=60');
      if (notModified(request, etag)) return reply.code(304).send(null);
      return product;
    },
  );

  r.post(
    '/api/v1/products',
    {
      schema: {
        summary: 'Add a product',
        description: 'Adds a product to the organisation\'s catalogue. Admin only; audited.',
        tags: ['products'],
        body: Type.Object({ id: ProductId, name: Name, description: Description }, { additionalProperties: false }),
        response: { 201: ProductRef, ...errorResponses(409, 415, 422) },
      },
    },
    async (request, reply) => {
      const p = await products.create(request.body, requestMeta(request));
      return reply.code(201).header('location', `/api/v1/products/${p.id}`).send(p);
    },
  );

  r.patch(
    '/api/v1/products/:id',
    {
      schema: {
        summary: 'Change or retire a product',
        description: 'Rename, re-describe, retire (active: false) or reinstate a product. Admin only; audited.',
        tags: ['products'],
        params: ProductParams,
        body: Type.Object(
          { name: Type.Optional(Name), description: Type.Optional(Description), active: Type.Optional(Type.Boolean({ description: 'false retires it.' })) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: ProductRef, ...errorResponses(404, 415, 422) },
      },
    },
    async (request) => products.update(request.params.id, request.body, requestMeta(request)),
  );

  const Breakdown = Type.Object(
    Object.fromEntries(BOOKING_STATUSES.map((s) => [s, Count(`Bookings in status ${s}.`)])),
    { description: 'Number of live bookings of this product in each status (all of them, not one page).' },
  );

  r.get(
    '/api/v1/products/:id/loan-bookings',
    {
      schema: {
        summary: 'Loan bookings of a product',
        description: 'The bookings (customers) of one product, newest first, cursor-paginated, with a status breakdown over all of them.',
        tags: ['products', 'loan-bookings'],
        params: ProductParams,
        querystring: Type.Object({ ...PageQuery, status: Type.Optional(BookingStatusSchema) }, { additionalProperties: false }),
        response: {
          200: Type.Intersect([pageOf(Type.Ref('LoanBooking'), 'A page of bookings.'), Type.Object({ product: ProductRef, status_breakdown: Breakdown, total: Count('Live bookings of the product.') })], {
            description: 'Bookings of the product.',
          }),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const tenantId = request.principal!.tenantId;
      const product = await products.get(tenantId, request.params.id);
      const limit = request.query.limit ?? 20;
      const filters = { product_id: product.id, status: request.query.status };
      const position = decodeCursor<{ id: string }>(request.query.cursor, filters);
      const [rows, counts] = await Promise.all([
        loanBookings.list(tenantId, { productId: product.id, status: request.query.status }, { limit: limit + 1, beforeId: position?.id }),
        loanBookings.statusBreakdown(tenantId, product.id),
      ]);
      const status_breakdown = Object.fromEntries(BOOKING_STATUSES.map((s) => [s, counts[s] ?? 0]));
      const total = Object.values(status_breakdown).reduce((a, b) => a + b, 0);
      return { ...toPage(rows, limit, toBookingView, (b) => ({ id: b.id }), filters), product, status_breakdown, total };
    },
  );
}
