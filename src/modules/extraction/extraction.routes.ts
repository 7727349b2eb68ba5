import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, pageOf, LocationHeader } from '../../lib/http-schemas.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { requestMeta } from '../../lib/request-meta.js';
import { BookingIdParams } from '../loan-bookings/loan-bookings.schemas.js';
import {
  ListRunsQuery,
  RunParams,
  SchemaParams,
  StartRunBody,
  toRunSummaryView,
  toRunView,
  toSchemaDetail,
  toSchemaSummary,
} from './extraction.schemas.js';

const TAGS = ['extraction'];

export async function extractionRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { extraction } = app.services;

  r.get(
    '/api/v1/extraction-schemas',
    {
      schema: {
        summary: 'List extraction schemas',
        description: 'The schemas an extraction run can fill (credit_agreement, loan_booking_sheet), each with its fields and which are required before approval. A fixed catalogue: one page, no cursor.',
        tags: TAGS,
        response: { 200: pageOf(Type.Ref('ExtractionSchemaSummary'), 'The extraction schemas.'), ...errorResponses() },
      },
    },
    async () => ({ items: extraction.listSchemas().map(toSchemaSummary), next_cursor: null, has_more: false }),
  );

  r.get(
    '/api/v1/extraction-schemas/:name',
    {
      schema: {
        summary: 'Get an extraction schema',
        description: 'One extraction schema with its JSON Schema (TypeBox): every field nullable, amounts as {amount: decimal string, currency: ISO 4217}, dates ISO 8601.',
        tags: TAGS,
        params: SchemaParams,
        response: { 200: Type.Ref('ExtractionSchemaDetail'), ...errorResponses(404) },
      },
    },
    async (request) => toSchemaDetail(extraction.getSchema(request.params.name)),
  );

  r.post(
    '/api/v1/loan-bookings/:id/extractions',
    {
      config: { idempotent: true },
      schema: {
        summary: 'Start an extraction run',
        description:
          'Queues a run of an engine (rules, or bedrock where configured) over the booking\'s processed documents (or the ones named) and answers 202 with the queued run and its Location; poll the run until it succeeds or fails. 409 while documents are still processing or when none is processed; 422 for an engine not configured here (EXTRACTION_ENGINE_UNAVAILABLE) or a document that is not the booking\'s. Send Idempotency-Key to make retries safe.',
        tags: TAGS,
        params: BookingIdParams,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255, description: 'Makes the request safe to retry.' })) }),
        body: StartRunBody,
        response: {
          202: { ...Type.Ref('ExtractionRun'), headers: LocationHeader('URL of the run.') },
          ...errorResponses(404, 409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const run = await extraction.startRun(request.params.id, request.body, requestMeta(request));
      return reply
        .code(202)
        .header('location', `/api/v1/loan-bookings/${run.bookingId}/extractions/${run.id}`)
        .send(toRunView(run));
    },
  );

  r.get(
    '/api/v1/loan-bookings/:id/extractions',
    {
      schema: {
        summary: 'List a booking\'s extraction runs',
        description: 'Newest first, cursor-paginated, without field results (get one run for those).',
        tags: TAGS,
        params: BookingIdParams,
        querystring: ListRunsQuery,
        response: { 200: pageOf(Type.Ref('ExtractionRunSummary'), 'A page of extraction runs.'), ...errorResponses(404) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 20;
      const filters = { booking_id: request.params.id };
      const position = decodeCursor<{ id: string }>(request.query.cursor, filters);
      const rows = await extraction.listRuns(request.principal!.tenantId, request.params.id, { limit: limit + 1, beforeId: position?.id });
      return toPage(rows, limit, toRunSummaryView, (run) => ({ id: run.id }), filters);
    },
  );

  r.get(
    '/api/v1/loan-bookings/:id/extractions/:runId',
    {
      schema: {
        summary: 'Get an extraction run',
        description:
          'Status, per-field results (value, confidence, evidence with document, page, quote and offsets, engine, needs_review and why), warnings, timings and token usage. A finished run never changes.',
        tags: TAGS,
        params: RunParams,
        response: { 200: Type.Ref('ExtractionRun'), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const run = await extraction.getRun(request.principal!.tenantId, request.params.id, request.params.runId);
      // A finished run is immutable: clients and proxies may keep it; a pending one must be re-read.
      reply.header('cache-control', run.status === 'succeeded' || run.status === 'failed' ? 'private, max-age=3600, immutable' : 'private, no-cache');
      return toRunView(run);
    },
  );
}
