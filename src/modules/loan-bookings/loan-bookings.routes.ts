import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { incomingParts, clientGone, toDocumentView } from '../documents/documents.routes.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../lib/errors.js';
import { errorResponses, pageOf, EtagHeader, LocationHeader } from '../../lib/http-schemas.js';
import { requestMeta } from '../../lib/request-meta.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { versionEtag, requireIfMatch, optionalIfMatch, notModified } from '../../lib/etag.js';
import {
  CreateLoanBookingBody,
  UpdateLoanBookingBody,
  BookingIdParams,
  ListLoanBookingsQuery,
  SyncOverrideBody,
  toBookingView,
  toSyncView,
} from './loan-bookings.schemas.js';
import { customerNameKey } from './loan-bookings.store.js';

const LegacyCreateMultipart = Type.Object(
  {
    customer_name: Type.String({ maxLength: 400, description: 'Customer legal name.' }),
    product_id: Type.String({ maxLength: 64, description: 'Product id.' }),
    external_reference: Type.Optional(Type.String({ maxLength: 100 })),
    notes: Type.Optional(Type.String({ maxLength: 4000 })),
    files: Type.Array(Type.String({ format: 'binary', maxLength: 0 }), { minItems: 1, maxItems: 1000, description: 'The documents.' }),
  },
  { description: 'Fields first, then one or more "files" parts.' },
);

/** The multipart form's fields, checked like the JSON body (strings only, no unknown fields). */
function legacyFields(fields: Record<string, string>): Static<typeof CreateLoanBookingBody> {
  const allowed = new Set(['customer_name', 'product_id', 'external_reference', 'notes']);
  const fieldErrors: Record<string, string[]> = {};
  for (const k of Object.keys(fields)) if (!allowed.has(k)) fieldErrors[k] = ['is not an allowed field'];
  if (!fields.customer_name) fieldErrors.customer_name = ['is required'];
  if (!fields.product_id) fieldErrors.product_id = ['is required'];
  if (Object.keys(fieldErrors).length > 0) throw new AppError('VALIDATION_FAILED', 'The form fields are not valid', { fieldErrors });
  return {
    customer_name: fields.customer_name!,
    product_id: fields.product_id!,
    ...(fields.external_reference !== undefined ? { external_reference: fields.external_reference } : {}),
    ...(fields.notes !== undefined ? { notes: fields.notes } : {}),
  };
}

export async function loanBookingRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { loanBookings } = app.services;
  const BookingRef = Type.Ref('LoanBooking');

  r.post(
    '/api/v1/loan-bookings',
    {
      config: { idempotent: true },
      schema: {
        summary: 'Create a loan booking',
        description:
          'Opens a loan booking for a customer and a product. Answers 201 with Location and ETag. Send Idempotency-Key to make retries safe: the same key and body replay the first answer.',
        tags: ['loan-bookings'],
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255, description: 'Makes the request safe to retry.' })) }),
        body: {
          content: {
            'application/json': { schema: CreateLoanBookingBody },
            // The legacy one-call flow: streamed by the handler, so nothing to validate here (see multipartBody).
            'multipart/form-data': { schema: {} },
          },
        },
        multipartBody: LegacyCreateMultipart,
        response: {
          201: {
            ...Type.Intersect([BookingRef, Type.Object({ documents: Type.Optional(Type.Array(Type.Ref('Document'), { maxItems: 1000, description: 'Documents stored (multipart flow only).' })) })]),
            headers: { ...LocationHeader('URL of the new booking.'), ...EtagHeader },
          },
          ...errorResponses(409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const meta = requestMeta(request);
      if (request.isMultipart()) {
        const result = await app.services.documents.upload(
          { createBooking: (fields, id) => loanBookings.create(legacyFields(fields), meta, id) },
          incomingParts(request),
          meta,
          clientGone(request),
        );
        const b = result.booking;
        return reply
          .code(201)
          .header('location', `/api/v1/loan-bookings/${b.id}`)
          .header('etag', versionEtag(b.version))
          .send({ ...toBookingView(b), documents: result.documents.map((d) => toDocumentView(d.record)) });
      }
      const rec = await loanBookings.create(request.body as Static<typeof CreateLoanBookingBody>, meta);
      return reply.code(201).header('location', `/api/v1/loan-bookings/${rec.id}`).header('etag', versionEtag(rec.version)).send(toBookingView(rec) as never);
    },
  );

  r.get(
    '/api/v1/loan-bookings',
    {
      schema: {
        summary: 'List loan bookings',
        description:
          'Newest first, cursor-paginated. Filters: product, status, customer name prefix, creation range, creator. A cursor only works with the filters it was issued for.',
        tags: ['loan-bookings'],
        querystring: ListLoanBookingsQuery,
        response: { 200: pageOf(BookingRef, 'A page of loan bookings.'), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const principal = request.principal!;
      if (q.deleted && !principal.permissions.has('bookings:read-deleted')) {
        throw new AppError('FORBIDDEN', 'Only administrators can list deleted loan bookings');
      }
      const limit = q.limit ?? 20;
      const filters = {
        product_id: q.product_id,
        status: q.status,
        customer_name_prefix: q.customer_name_prefix,
        created_from: q.created_from,
        created_to: q.created_to,
        created_by: q.created_by,
        deleted: q.deleted,
      };
      const position = decodeCursor<{ id: string }>(q.cursor, filters);
      const rows = await loanBookings.list(
        principal.tenantId,
        {
          productId: q.product_id,
          status: q.status,
          customerNamePrefix: q.customer_name_prefix ? customerNameKey(q.customer_name_prefix.replace(/\s+/g, ' ').trimStart()) : undefined,
          createdFrom: q.created_from ? new Date(q.created_from) : undefined,
          createdTo: q.created_to ? new Date(q.created_to) : undefined,
          createdBy: q.created_by,
          deleted: q.deleted,
        },
        { limit: limit + 1, beforeId: position?.id },
      );
      return toPage(rows, limit, toBookingView, (b) => ({ id: b.id }), filters);
    },
  );

  r.get(
    '/api/v1/loan-bookings/:id',
    {
      schema: {
        summary: 'Get a loan booking',
        description: 'One loan booking with its status and sync status. Sends an ETag; If-None-Match with it answers 304.',
        tags: ['loan-bookings'],
        params: BookingIdParams,
        response: {
          200: { ...BookingRef, headers: EtagHeader },
          304: Type.Null({ description: 'Not modified.' }),
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) => {
      const rec = await loanBookings.get(request.principal!.tenantId, request.params.id);
      const etag = versionEtag(rec.version);
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (notModified(request, etag)) return reply.code(304).send(null);
      return toBookingView(rec);
    },
  );

  r.patch(
    '/api/v1/loan-bookings/:id',
    {
      schema: {
        summary: 'Update a loan booking',
        description:
          'Changes writable fields (customer_name, product_id, external_reference, notes) or cancels / marks booked. Needs If-Match with the current ETag: 428 without it, 412 when stale.',
        tags: ['loan-bookings'],
        params: BookingIdParams,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 100, description: 'ETag from the last read.' })) }),
        body: UpdateLoanBookingBody,
        response: { 200: { ...BookingRef, headers: EtagHeader }, ...errorResponses(404, 409, 412, 415, 422, 428) },
      },
    },
    async (request, reply) => {
      const expected = requireIfMatch(request);
      const rec = await loanBookings.update(request.params.id, expected, request.body, requestMeta(request));
      return reply.header('etag', versionEtag(rec.version)).send(toBookingView(rec));
    },
  );

  r.delete(
    '/api/v1/loan-bookings/:id',
    {
      schema: {
        summary: 'Delete a loan booking',
        description:
          'Soft delete: the booking and its documents disappear from every view; administrators can still list deleted bookings. If-Match is optional (412 when stale). Deleting twice answers 404.',
        tags: ['loan-bookings'],
        params: BookingIdParams,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 100, description: 'ETag from the last read.' })) }),
        response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses(404, 412) },
      },
    },
    async (request, reply) => {
      await loanBookings.remove(request.params.id, optionalIfMatch(request), requestMeta(request));
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/v1/loan-bookings/:id/sync-status',
    {
      schema: {
        summary: 'Get a booking\'s sync status',
        description: 'Whether the booking\'s documents were received, indexed or failed, with the last job and error.',
        tags: ['loan-bookings'],
        params: BookingIdParams,
        response: { 200: Type.Ref('SyncStatus'), ...errorResponses(404) },
      },
    },
    async (request) => toSyncView(await loanBookings.get(request.principal!.tenantId, request.params.id)),
  );

  r.put(
    '/api/v1/loan-bookings/:id/sync-status',
    {
      schema: {
        summary: 'Override a booking\'s sync status',
        description: 'Administrator override (for example after fixing an ingestion outside the service). Audited.',
        tags: ['loan-bookings'],
        params: BookingIdParams,
        body: SyncOverrideBody,
        response: { 200: Type.Ref('SyncStatus'), ...errorResponses(404, 415, 422) },
      },
    },
    async (request) => toSyncView(await loanBookings.overrideSync(request.params.id, request.body, requestMeta(request))),
  );
}
