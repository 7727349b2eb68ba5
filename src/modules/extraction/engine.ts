import { getExtractionSchema, validateField } from './schemas/index.js';

/**
 * The extraction engine port. Two implementations: the offline `rules` engine (deterministic,
 * no network) and a Bedrock engine. Both return one `FieldResult` per schema field, with the
 * evidence that supports it, so that a reviewer can check every value against its source.
 */

export interface SourcePage {
  documentId: string;
  documentName?: string;
  page: number;
  text: string;
}

/** Offsets are into that page's text; `quote === text.slice(start, end)`. */
export interface Evidence {
  document_id: string;
  page: number;
  quote: string;
  start: number;
  end: number;
}

export interface FieldResult {
  // `| null` is redundant for the compiler but documents that absence is an expected answer.
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
  value: unknown | null;
  confidence: number;
  evidence: Evidence[];
  engine: string;
  needs_review: boolean;
  review_reasons: string[];
  validation_errors: string[];
}

export interface ExtractionInput {
  schemaName: string;
  pages: SourcePage[];
  signal?: AbortSignal;
}

export interface ExtractionOutput {
  fields: Record<string, FieldResult>;
  usage?: { input_tokens: number; output_tokens: number };
  warnings: string[];
}

export interface ExtractionEngine {
  readonly name: string;
  extract(input: ExtractionInput): Promise<ExtractionOutput>;
}

/** Below this confidence a value (or an absence) is flagged for a reviewer. */
export const REVIEW_CONFIDENCE_THRESHOLD = 0.7;

export const REVIEW_REASONS = {
  lowConfidence: 'low_confidence',
  validationFailed: 'validation_failed',
  conflict: 'conflict',
  missingRequired: 'missing_required',
} as const;

/**
 * What an engine found for one field in one document. An engine passes one candidate per document
 * it read (or one overall); a null value means "looked and did not find", and its confidence says
 * how sure the engine is that the document does not state the field.
 */
export interface FieldCandidate {
  value: unknown;
  confidence: number;
  evidence: Evidence[];
}

/** Confidence given to a field that no candidate mentions at all: nobody looked. */
const UNSEEN_FIELD_CONFIDENCE = 0;
/** A conflicting value is never confident, whatever each document said on its own. */
const CONFLICT_CONFIDENCE_CAP = 0.5;

function clamp01(n: number): number {
  if (!Number.isFinite(n)) return 0;
  return Math.min(1, Math.max(0, n));
}

/** Key-order-independent serialisation, so that {a,b} and {b,a} count as the same value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function dedupeEvidence(evidence: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  const out: Evidence[] = [];
  for (const e of evidence) {
    const key = `${e.document_id}\u0000${e.page}\u0000${e.start}\u0000${e.end}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

/**
 * Turns engine candidates into the final per-field results of a schema: every schema field gets a
 * result (absent ones as null), each value is validated on its own, and a field is flagged for
 * review when its confidence is low, its value is invalid, documents disagree (both values'
 * evidence is kept), or it is required and missing.
 */
export function finaliseFields(
  schemaName: string,
  engineName: string,
  candidates: Record<string, FieldCandidate | FieldCandidate[] | undefined>,
): Record<string, FieldResult> {
  const schema = getExtractionSchema(schemaName);
  const required = new Set(schema.required);
  const fields: Record<string, FieldResult> = {};
  for (const field of schema.fields) {
    const raw = candidates[field];
    const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    fields[field] = finaliseOne(schema.name, field, engineName, list, required.has(field));
  }
  return fields;
}

function finaliseOne(
  schemaName: string,
  field: string,
  engineName: string,
  candidates: FieldCandidate[],
  required: boolean,
): FieldResult {
  const found = candidates.filter((c) => c.value !== null && c.value !== undefined);
  const reasons: string[] = [];
  let value: unknown = null;
  let confidence: number;
  let evidence: Evidence[] = [];

  if (found.length === 0) {
    // Certainty of absence: the least sure "not found" wins, since any one document might hold it.
    confidence =
      candidates.length === 0
        ? UNSEEN_FIELD_CONFIDENCE
        : Math.min(...candidates.map((c) => clamp01(c.confidence)));
  } else {
    const groups = new Map<string, { value: unknown; confidence: number; evidence: Evidence[] }>();
    for (const c of found) {
      const key = canonicalJson(c.value);
      const group = groups.get(key);
      if (group) {
        group.confidence = Math.max(group.confidence, clamp01(c.confidence));
        group.evidence.push(...c.evidence);
      } else {
        groups.set(key, { value: c.value, confidence: clamp01(c.confidence), evidence: [...c.evidence] });
      }
    }
    const ranked = [...groups.values()].sort((a, b) => b.confidence - a.confidence);
    const best = ranked[0]!;
    value = best.value;
    confidence = best.confidence;
    evidence = ranked.flatMap((g) => g.evidence);
    if (ranked.length > 1) {
      reasons.push(REVIEW_REASONS.conflict);
      confidence = Math.min(confidence, CONFLICT_CONFIDENCE_CAP);
    }
  }

  const validationErrors = validateField(schemaName, field, value);
  if (validationErrors.length > 0) reasons.push(REVIEW_REASONS.validationFailed);
  if (value === null && required) reasons.push(REVIEW_REASONS.missingRequired);
  if (confidence < REVIEW_CONFIDENCE_THRESHOLD && !(value === null && required)) {
    reasons.push(REVIEW_REASONS.lowConfidence);
  }

  return {
    value,
    confidence: Math.round(confidence * 1000) / 1000,
    evidence: value === null ? [] : dedupeEvidence(evidence),
    engine: engineName,
    needs_review: reasons.length > 0,
    review_reasons: [...new Set(reasons)],
    validation_errors: validationErrors,
  };
}
