import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { notModified, optionalIfMatch, versionEtag } from '../../lib/etag.js';
import { errorResponses, pageOf, EtagHeader, LocationHeader } from '../../lib/http-schemas.js';
import { decodeCursor, encodeCursor } from '../../lib/pagination.js';
import { requestMeta } from '../../lib/request-meta.js';
import { getExtractionSchema } from '../extraction/schemas/index.js';
import type { BookingSheetRecord } from './booking-sheets.store.js';
import type { Precondition } from './booking-sheets.service.js';
import {
  CreateSheetBody,
  ExportQuery,
  OptionalIfMatch,
  PatchSheetBody,
  ReasonBody,
  RequiredIfMatch,
  ReviewQueueQuery,
  SheetParams,
  VersionsQuery,
  toExportView,
  toSheetView,
  toValidationSummary,
  toVersionView,
} from './booking-sheets.schemas.js';
import { sheetToCsv } from './csv.js';

const TAGS = ['booking-sheets'];
const SheetRef = Type.Ref('BookingSheet');
const MERGE_PATCH = 'application/merge-patch+json';

/** The If-Match header as the service wants it: absent, `*`, or the version it names (412 when malformed). */
function precondition(request: FastifyRequest): Precondition {
  const header = request.headers['if-match'];
  if (header === undefined || header === '') return undefined;
  return optionalIfMatch(request) ?? '*';
}

function sendSheet(reply: FastifyReply, sheet: BookingSheetRecord, status = 200) {
  return reply.code(status).header('etag', versionEtag(sheet.version)).send(toSheetView(sheet));
}

export async function bookingSheetRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { bookingSheets, clock } = app.services;
  const base = '/api/v1/loan-bookings/:id/booking-sheet';

  // RFC 7396's own media type, parsed as JSON (this plugin's routes only).
  app.addContentTypeParser(MERGE_PATCH, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  r.post(
    base,
    {
      config: { idempotent: true },
      schema: {
        summary: 'Create the booking sheet from an extraction run',
        description:
          'Builds the sheet from a succeeded run (run_id, or the latest succeeded run of the booking) as a draft: every field of the run\'s schema with its value, evidence and confidence. Answers 201 with Location and ETag. A booking has one sheet: 409 when it exists, unless replace: true with If-Match (428 without, 412 when stale) rebuilds it, keeping every value a person set (200). 409 when no run succeeded, 404 for a run of another booking.',
        tags: TAGS,
        params: SheetParams,
        headers: OptionalIfMatch,
        body: CreateSheetBody,
        response: {
          200: { ...SheetRef, headers: EtagHeader },
          201: { ...SheetRef, headers: { ...LocationHeader('URL of the sheet.'), ...EtagHeader } },
          ...errorResponses(404, 409, 412, 415, 422, 428),
        },
      },
    },
    async (request, reply) => {
      const result = await bookingSheets.create(request.params.id, request.body, precondition(request), requestMeta(request));
      if (result.created) reply.header('location', `/api/v1/loan-bookings/${request.params.id}/booking-sheet`);
      return sendSheet(reply, result.sheet, result.created ? 201 : 200);
    },
  );

  r.get(
    base,
    {
      schema: {
        summary: 'Get the booking sheet',
        description:
          'The current version: every field with value, source (extracted or manual), evidence, confidence and review flags, plus the validation results of this version. Sends an ETag; If-None-Match with it answers 304. Reading never re-runs an extraction.',
        tags: TAGS,
        params: SheetParams,
        response: { 200: { ...SheetRef, headers: EtagHeader }, 304: Type.Null({ description: 'Not modified.' }), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const sheet = await bookingSheets.get(request.principal!.tenantId, request.params.id);
      const etag = versionEtag(sheet.version);
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (notModified(request, etag)) return reply.code(304).send(null);
      return toSheetView(sheet);
    },
  );

  r.patch(
    base,
    {
      schema: {
        summary: 'Edit booking sheet fields',
        description:
          'A JSON merge patch (RFC 7396; application/merge-patch+json or application/json) of field values under `fields`. Each changed field becomes manual and is validated against the schema: an unknown field or an invalid value answers 422 naming it, and nothing changes. Needs If-Match (428 without, 412 when stale). Every change is recorded on a new version with who changed what from what to what. Editing an approved sheet needs change_reason and sends it back to review; editing a rejected one returns it to draft. A patch that changes nothing makes no version.',
        tags: TAGS,
        params: SheetParams,
        headers: RequiredIfMatch,
        body: PatchSheetBody,
        response: { 200: { ...SheetRef, headers: EtagHeader }, ...errorResponses(404, 409, 412, 415, 422, 428) },
      },
    },
    async (request, reply) => sendSheet(reply, await bookingSheets.patch(request.params.id, precondition(request), request.body, requestMeta(request))),
  );

  r.get(
    `${base}/versions`,
    {
      schema: {
        summary: 'List booking sheet versions',
        description: 'Newest first, cursor-paginated: each version with the action that made it, who and when, why, its field-level changes and its validation outcome.',
        tags: TAGS,
        params: SheetParams,
        querystring: VersionsQuery,
        response: { 200: pageOf(Type.Ref('BookingSheetVersion'), 'A page of versions.'), ...errorResponses(404) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 20;
      const filters = { booking_id: request.params.id };
      const position = decodeCursor<{ v: number }>(request.query.cursor, filters);
      const rows = await bookingSheets.versions(request.principal!.tenantId, request.params.id, {
        limit: limit + 1,
        beforeVersion: typeof position?.v === 'number' ? position.v : undefined,
      });
      const hasMore = rows.length > limit;
      const items = hasMore ? rows.slice(0, limit) : rows;
      const last = items[items.length - 1];
      return { items: items.map(toVersionView), next_cursor: hasMore && last ? encodeCursor({ v: last.version }, filters) : null, has_more: hasMore };
    },
  );

  const action = (
    name: 'submit' | 'approve' | 'reject' | 'reopen',
    summary: string,
    description: string,
    statuses: number[],
    withReason: boolean,
  ) => {
    r.post(
      `${base}/${name}`,
      {
        config: { idempotent: true },
        schema: {
          summary,
          description: `${description} If-Match is optional (412 when stale). Moves the loan booking's status and is audited.`,
          tags: TAGS,
          params: SheetParams,
          headers: OptionalIfMatch,
          ...(withReason ? { body: ReasonBody } : {}),
          response: { 200: { ...SheetRef, headers: EtagHeader }, ...errorResponses(404, 409, 412, ...statuses) },
        },
      },
      async (request, reply) => {
        const meta = requestMeta(request);
        const id = request.params.id;
        const ifMatch = precondition(request);
        const reason = (request.body as { reason?: string } | undefined)?.reason ?? '';
        const sheet =
          name === 'submit'
            ? await bookingSheets.submit(id, ifMatch, meta)
            : name === 'approve'
              ? await bookingSheets.approve(id, ifMatch, meta)
              : name === 'reject'
                ? await bookingSheets.reject(id, reason, ifMatch, meta)
                : await bookingSheets.reopen(id, reason, ifMatch, meta);
        return sendSheet(reply, sheet);
      },
    );
  };
  action('submit', 'Submit the booking sheet for review', 'Moves a draft to in_review (the booking to ready_for_review); 409 in another status.', [], false);
  action(
    'approve',
    'Approve the booking sheet',
    'Moves a sheet in review to approved (the booking to approved). Maker-checker: the user who made the last edit cannot approve (403 MAKER_CHECKER_VIOLATION). Required fields must hold values and no blocking validation error may remain (422 listing them).',
    [415, 422],
    false,
  );
  action('reject', 'Reject the booking sheet', 'Moves a sheet in review to rejected with a reason (the booking to rejected).', [415, 422], true);
  action(
    'reopen',
    'Reopen the booking sheet',
    'Moves an approved or rejected sheet back to draft with a reason (the booking back to ready_for_review) so that it can be edited and submitted again.',
    [415, 422],
    true,
  );

  r.get(
    `${base}/export`,
    {
      schema: {
        summary: 'Export the booking sheet',
        description:
          'The current values as JSON (format=json, default) or CSV (format=csv, one row per field with source, confidence, review flags and evidence; cells that a spreadsheet would read as a formula are prefixed with an apostrophe). Audited.',
        tags: TAGS,
        params: SheetParams,
        querystring: ExportQuery,
        produces: ['application/json', 'text/csv'],
        response: {
          200: {
            description: 'The sheet as JSON or CSV.',
            content: {
              'application/json': { schema: Type.Ref('BookingSheetExport') },
              'text/csv': { schema: Type.String({ maxLength: 10_000_000, description: 'CSV (RFC 4180), UTF-8, header row first.' }) },
            },
          },
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) => {
      const format = request.query.format ?? 'json';
      const { sheet, booking } = await bookingSheets.exportSheet(request.params.id, format, requestMeta(request));
      reply.header('etag', versionEtag(sheet.version)).header('cache-control', 'private, no-store');
      if (format === 'csv') {
        const csv = sheetToCsv(getExtractionSchema(sheet.schemaName).fields, sheet.fields);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="booking-sheet-${sheet.bookingId}-v${sheet.version}.csv"`)
          .send(csv);
      }
      return reply.type('application/json; charset=utf-8').send(toExportView(sheet, booking, clock.now()));
    },
  );

  r.get(
    '/api/v1/review-queue',
    {
      schema: {
        summary: 'List booking sheets waiting for review',
        description: 'Sheets in review in the caller\'s tenant, the longest waiting first, cursor-paginated; can_approve says whether the caller may approve each one (maker-checker).',
        tags: TAGS,
        querystring: ReviewQueueQuery,
        response: { 200: pageOf(Type.Ref('ReviewQueueItem'), 'A page of the review queue.'), ...errorResponses() },
      },
    },
    async (request) => {
      const principal = request.principal!;
      const limit = request.query.limit ?? 20;
      const filters = { queue: 'in_review' };
      const position = decodeCursor<{ t: string; b: string }>(request.query.cursor, filters);
      const after = position && typeof position.t === 'string' && typeof position.b === 'string' ? { statusChangedAt: new Date(position.t), bookingId: position.b } : undefined;
      const page = await bookingSheets.reviewQueue(principal.tenantId, { limit, after });
      const mayApprove = principal.permissions.has('sheets:approve');
      return {
        items: page.items.map(({ sheet, booking }) => ({
          booking_id: sheet.bookingId,
          customer_name: booking.customerName,
          product_id: booking.productId,
          schema: sheet.schemaName,
          version: sheet.version,
          submitted_by: sheet.submittedBy,
          submitted_at: sheet.submittedAt ? sheet.submittedAt.toISOString() : null,
          last_edited_by: sheet.lastEditedBy,
          waiting_since: sheet.statusChangedAt.toISOString(),
          fields_needing_review: Object.values(sheet.fields).filter((f) => f.needs_review).length,
          validation: toValidationSummary(sheet.validation),
          can_approve: mayApprove && sheet.lastEditedBy !== principal.userId,
        })),
        next_cursor:
          page.hasMore && page.last ? encodeCursor({ t: page.last.statusChangedAt.toISOString(), b: page.last.bookingId }, filters) : null,
        has_more: page.hasMore,
      };
    },
  );
}
