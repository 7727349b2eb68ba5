import { Type, type TSchema } from 'typebox';
import { ActorId, Count, IdParam, PageQuery, Timestamp } from '../../lib/http-schemas.js';
import type { FieldResult } from './engine.js';
import { ENGINE_NAMES } from './engine-provider.js';
import type { ExtractionRunRecord } from './extraction.store.js';
import { RUN_STATUSES } from './extraction.store.js';
import type { ExtractionSchemaDefinition } from './schemas/index.js';
import { EXTRACTION_SCHEMA_NAMES } from './schemas/index.js';

const Nullable = <T extends TSchema>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description });

export const EvidenceSchema = Type.Object(
  {
    document_id: Type.String({ maxLength: 36, description: 'Document the quote is from.' }),
    page: Count('Page of that document (1-based).'),
    quote: Type.String({ maxLength: 100_000, description: 'The text as it stands on the page: `page_text.slice(start, end)`.' }),
    start: Count('Offset of the quote in the page text (characters).'),
    end: Count('End offset (exclusive).'),
  },
  { $id: 'Evidence', description: 'Where a value was read: a verbatim quote with its location, checked against the page text.' },
);

export const FieldResultSchema = Type.Object(
  {
    value: Type.Unknown({ description: 'The value, shaped by the field\'s schema; null when the documents do not state it.' }),
    confidence: Type.Number({ minimum: 0, maximum: 1, description: 'How sure the engine is (0..1), for a value or for its absence.' }),
    evidence: Type.Array(Type.Ref('Evidence'), { maxItems: 100, description: 'Quotes supporting the value; several documents when they agree or disagree.' }),
    engine: Type.String({ maxLength: 32, description: 'Engine that produced the value: rules or bedrock.' }),
    needs_review: Type.Boolean({ description: 'True when a person should look: low confidence, conflict, invalid or unverified value, missing required field.' }),
    review_reasons: Type.Array(Type.String({ maxLength: 64 }), {
      maxItems: 20,
      description: 'Why: low_confidence, conflict, validation_failed, missing_required, evidence_not_verified, malformed_output.',
    }),
    validation_errors: Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 200, description: 'Schema violations of the value as extracted.' }),
  },
  { $id: 'ExtractionFieldResult', description: 'One field of an extraction run.' },
);

const UsageSchema = Type.Object(
  {
    input_tokens: Count('Model input tokens.'),
    output_tokens: Count('Model output tokens.'),
  },
  { description: 'Model token usage (0 for the rules engine).' },
);

const TimingsSchema = Type.Object(
  {
    queued_ms: Count('From creation to a worker taking the run.'),
    load_ms: Count('Loading the page texts.'),
    extract_ms: Count('Inside the engine.'),
    total_ms: Count('From the worker taking the run to its result.'),
  },
  { description: 'Where the time went.' },
);

const runProperties = {
  id: IdParam('Run id.'),
  booking_id: IdParam('Loan booking the run read.'),
  schema: Type.String({ maxLength: 64, description: 'Extraction schema name.' }),
  schema_version: Type.String({ maxLength: 32, description: 'Version of that schema.' }),
  engine: Type.String({ maxLength: 32, description: 'Engine asked for.' }),
  engine_used: Nullable(Type.String({ maxLength: 32 }), 'Engine whose results these are (rules when bedrock failed and fallback is on); null until finished.'),
  document_ids: Nullable(Type.Array(IdParam('Document id.'), { maxItems: 100 }), 'Documents the run is limited to; null for all processed documents of the booking.'),
  status: Type.Union(
    RUN_STATUSES.map((s) => Type.Literal(s)),
    { description: 'queued, running, succeeded or failed. A finished run never changes.' },
  ),
  attempts: Count('Times a worker took the run (retries after transient failures).'),
  needs_review_count: Nullable(Count('Fields flagged for review.'), 'Fields flagged for review; null until succeeded.'),
  warnings: Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 1000, description: 'What the engine wants a reviewer to know about the run as a whole.' }),
  usage: Nullable(UsageSchema, 'Token usage; null until finished.'),
  timings: Nullable(TimingsSchema, 'Phase timings; null until finished.'),
  document_count: Nullable(Count('Documents read.'), 'Documents read.'),
  page_count: Nullable(Count('Pages read.'), 'Pages read.'),
  error: Nullable(
    Type.Object({
      code: Type.String({ maxLength: 100, description: 'Catalogue code or NO_DOCUMENT_TEXT, EXTRACTION_TIMEOUT, EXTRACTION_FAILED, EXTRACTION_INTERRUPTED (attempted too often without finishing).' }),
      message: Type.String({ maxLength: 2000, description: 'What went wrong.' }),
    }),
    'Why the run failed; null otherwise.',
  ),
  created_by: ActorId('User who started the run.'),
  created_at: Timestamp('When the run was queued.'),
  started_at: Nullable(Timestamp('When a worker last took the run.'), 'When a worker last took the run.'),
  finished_at: Nullable(Timestamp('When the run finished.'), 'When the run finished.'),
};

export const ExtractionRunSummarySchema = Type.Object(runProperties, {
  $id: 'ExtractionRunSummary',
  description: 'An extraction run without its field results.',
});

export const ExtractionRunSchema = Type.Object(
  {
    ...runProperties,
    fields: Nullable(Type.Record(Type.String(), Type.Ref('ExtractionFieldResult')), 'Per-field results keyed by field name; null until succeeded.'),
  },
  { $id: 'ExtractionRun', description: 'An extraction run with its per-field results.' },
);

const SchemaFieldSchema = Type.Object({
  name: Type.String({ maxLength: 64, description: 'Field name.' }),
  description: Type.String({ maxLength: 2000, description: 'What the field holds.' }),
  required: Type.Boolean({ description: 'Must hold a value before a sheet of this schema is approved.' }),
});

const schemaProperties = {
  name: Type.String({ maxLength: 64, description: 'Schema name.' }),
  version: Type.String({ maxLength: 32, description: 'Schema version (semver).' }),
  title: Type.String({ maxLength: 200, description: 'Human-readable title.' }),
  description: Type.String({ maxLength: 4000, description: 'What the schema captures.' }),
  fields: Type.Array(SchemaFieldSchema, { maxItems: 500, description: 'Fields in order.' }),
};

export const ExtractionSchemaSummarySchema = Type.Object(schemaProperties, { $id: 'ExtractionSchemaSummary', description: 'An extraction schema.' });

export const ExtractionSchemaDetailSchema = Type.Object(
  {
    ...schemaProperties,
    json_schema: Type.Unknown({ description: 'The JSON Schema of a result object: every field present, each one nullable.' }),
  },
  { $id: 'ExtractionSchemaDetail', description: 'An extraction schema with its JSON Schema.' },
);

export const StartRunBody = Type.Object(
  {
    schema: Type.Union(
      EXTRACTION_SCHEMA_NAMES.map((n) => Type.Literal(n)),
      { description: 'Extraction schema to fill.' },
    ),
    engine: Type.Optional(
      Type.Union(
        ENGINE_NAMES.map((n) => Type.Literal(n)),
        { description: 'Engine to use; the configured default when omitted. bedrock answers 422 EXTRACTION_ENGINE_UNAVAILABLE where no model is configured.' },
      ),
    ),
    document_ids: Type.Optional(
      Type.Array(IdParam('Document id.'), { minItems: 1, maxItems: 100, description: 'Read only these documents of the booking (all processed ones when omitted).' }),
    ),
  },
  { additionalProperties: false, description: 'What to extract.' },
);

export const RunParams = Type.Object({ id: IdParam('Loan booking id.'), runId: IdParam('Extraction run id.') });
export const SchemaParams = Type.Object({ name: Type.String({ maxLength: 64, pattern: '^[a-z_]+$', description: 'Schema name.' }) });
export const ListRunsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export function toSchemaSummary(s: ExtractionSchemaDefinition) {
  const required = new Set(s.required);
  return {
    name: s.name,
    version: s.version,
    title: s.title,
    description: s.description,
    fields: s.fields.map((f) => ({
      name: f,
      description: (s.schema.properties[f] as { description?: string }).description ?? '',
      required: required.has(f),
    })),
  };
}

export function toSchemaDetail(s: ExtractionSchemaDefinition) {
  return { ...toSchemaSummary(s), json_schema: JSON.parse(JSON.stringify(s.schema)) as unknown };
}

function summary(r: ExtractionRunRecord) {
  return {
    id: r.id,
    booking_id: r.bookingId,
    schema: r.schemaName,
    schema_version: r.schemaVersion,
    engine: r.engine,
    engine_used: r.engineUsed,
    document_ids: r.documentIds,
    status: r.status,
    attempts: r.attempts,
    needs_review_count: r.fields ? Object.values(r.fields).filter((f: FieldResult) => f.needs_review).length : null,
    warnings: r.warnings,
    usage: r.usage,
    timings: r.timings,
    document_count: r.documentCount,
    page_count: r.pageCount,
    error: r.errorCode ? { code: r.errorCode, message: r.errorMessage ?? '' } : null,
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
    started_at: r.startedAt ? r.startedAt.toISOString() : null,
    finished_at: r.finishedAt ? r.finishedAt.toISOString() : null,
  };
}

export const toRunSummaryView = summary;

export function toRunView(r: ExtractionRunRecord) {
  return { ...summary(r), fields: r.fields };
}
