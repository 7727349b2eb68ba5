import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { RetryPolicy } from '../../../../lib/bedrock/aws-call.js';
import { converseWithTool } from '../../../../lib/bedrock/converse.js';
import type { CircuitBreaker } from '../../../../lib/bedrock/resilience.js';
import { AppError } from '../../../../lib/errors.js';
import type {
  ExtractionEngine,
  ExtractionInput,
  ExtractionOutput,
  FieldResult,
  SourcePage,
} from '../../engine.js';
import { REVIEW_CONFIDENCE_THRESHOLD, REVIEW_REASONS } from '../../engine.js';
import type { ExtractionSchemaDefinition } from '../../schemas/index.js';
import { getExtractionSchema, validateField } from '../../schemas/index.js';
import type { PageRanker } from './context.js';
import { RETRIEVAL_QUERIES, selectContext } from './context.js';
import { indexPages, verifyEvidence } from './evidence.js';

export const BEDROCK_ENGINE_NAME = 'bedrock';
export const TOOL_NAME = 'record_extraction';

/** Review reasons only this engine gives. */
export const BEDROCK_REVIEW_REASONS = {
  /** The model cited a quote that is not on the page it named, or cited nothing. */
  evidenceNotVerified: 'evidence_not_verified',
  /** The model's answer for this field was not in the requested shape. */
  malformedOutput: 'malformed_output',
} as const;

/**
 * Self-reported confidence of a language model is poorly calibrated, so it is only ever lowered
 * by what we can check: a value is trusted at most this much even with verified evidence...
 */
const MAX_VERIFIED_CONFIDENCE = 0.95;
/** ...and a value nobody could find in the documents stays below the review threshold. */
const MAX_UNVERIFIED_CONFIDENCE = 0.4;
/** Used when the model gives no confidence at all. */
const DEFAULT_MODEL_CONFIDENCE = 0.7;
const MAX_EVIDENCE_PER_FIELD = 5;

export interface BedrockEngineOptions {
  client: BedrockRuntimeClient;
  modelId: string;
  /** Deadline of one Converse attempt. */
  timeoutMs: number;
  /** Shared by every run against the model, or it can never open. */
  breaker: CircuitBreaker;
  retry?: Partial<RetryPolicy>;
  maxTokens?: number;
  /** Characters of document text the prompt may carry. */
  contextBudgetChars?: number;
  /** Chooses pages when the booking is larger than the budget; without it, leading pages only. */
  rankPages?: PageRanker;
  /** Called with the tokens of every successful call (metrics). */
  onUsage?: (usage: { input_tokens: number; output_tokens: number }) => void;
}

const DEFAULT_MAX_TOKENS = 8_192;
const DEFAULT_CONTEXT_BUDGET = 300_000;

/** JSON Schema of the tool: per field, the value (the schema's own sub-schema), confidence and evidence. */
export function toolInputSchema(schema: ExtractionSchemaDefinition): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const field of schema.fields) {
    // TypeBox schemas are plain JSON Schema; the round trip drops TypeBox's symbol-keyed metadata.
    const valueSchema = JSON.parse(JSON.stringify(schema.schema.properties[field])) as Record<
      string,
      unknown
    >;
    properties[field] = {
      type: 'object',
      description: typeof valueSchema.description === 'string' ? valueSchema.description : field,
      properties: {
        value: valueSchema,
        confidence: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          description: 'How sure you are of this value (0..1).',
        },
        evidence: {
          type: 'array',
          maxItems: MAX_EVIDENCE_PER_FIELD,
          description: 'Where the documents state the value: empty when the value is null.',
          items: {
            type: 'object',
            properties: {
              document_id: { type: 'string', description: 'The document_id of the passage.' },
              page: { type: 'integer', minimum: 1, description: 'The page of the passage.' },
              quote: {
                type: 'string',
                minLength: 3,
                maxLength: 600,
                description: 'Text copied verbatim from that page.',
              },
            },
            required: ['document_id', 'page', 'quote'],
            additionalProperties: false,
          },
        },
      },
      required: ['value', 'confidence', 'evidence'],
      additionalProperties: false,
    };
  }
  return { type: 'object', properties, required: [...schema.fields], additionalProperties: false };
}

const SYSTEM_PROMPT = [
  "You read loan documents for a bank's loan booking team and record their terms with the record_extraction tool.",
  'Answer only from the document pages given. When the pages do not state a field, set its value to null: never guess, never fill a value from general knowledge, never compute a value the documents do not state.',
  'Amounts are {"amount": decimal string without separators, "currency": ISO 4217 code}; dates are YYYY-MM-DD.',
  'For every non-null value give evidence: the document_id and page of a page that states it, and a quote copied character for character from that page (a sentence or a phrase, not a paraphrase).',
  'Give confidence between 0 and 1: how sure you are that the value is what the documents say.',
].join('\n');

function escapeAttribute(value: string): string {
  return value.replace(/[&"<>]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' })[c]!);
}

function userPrompt(schema: ExtractionSchemaDefinition, pages: readonly SourcePage[]): string {
  const fields = schema.fields
    .map((f) => {
      const description = (schema.schema.properties[f] as { description?: string }).description ?? '';
      return `- ${f}: ${description}`;
    })
    .join('\n');
  const body = pages
    .map(
      (p) =>
        `<page document_id="${escapeAttribute(p.documentId)}" document_name="${escapeAttribute(p.documentName ?? '')}" page="${p.page}">\n${p.text}\n</page>`,
    )
    .join('\n');
  return `Record the fields of "${schema.title}" (${schema.description}).\nFields:\n${fields}\n\nDocument pages:\n${body}`;
}

/** A JSON object inside prose (some models answer in text despite the forced tool). */
function objectFromText(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    const parsed: unknown = JSON.parse(text.slice(start, end + 1));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clamp01(n: number): number {
  return Math.min(1, Math.max(0, n));
}

/**
 * Turns the model's answer for one field into a field result: the value is validated against the
 * field's schema on its own (an invalid value becomes null with its errors, the other fields are
 * untouched), and evidence is kept only where the quote is found on the page named.
 */
export function finaliseModelField(
  schema: ExtractionSchemaDefinition,
  field: string,
  answer: unknown,
  pages: ReadonlyMap<string, SourcePage>,
): FieldResult {
  const reasons: string[] = [];
  const required = schema.required.includes(field);
  let raw: unknown;
  let claimed: unknown;
  let modelConfidence = DEFAULT_MODEL_CONFIDENCE;
  if (isRecord(answer) && 'value' in answer) {
    raw = answer.value ?? null;
    claimed = answer.evidence;
    if (typeof answer.confidence === 'number' && Number.isFinite(answer.confidence))
      modelConfidence = clamp01(answer.confidence);
  } else if (answer === undefined) {
    raw = null;
    modelConfidence = 0;
    reasons.push(BEDROCK_REVIEW_REASONS.malformedOutput);
  } else {
    // A bare value instead of {value, confidence, evidence}: usable, but unsupported by evidence.
    raw = answer;
    reasons.push(BEDROCK_REVIEW_REASONS.malformedOutput);
  }

  const validationErrors = validateField(schema.name, field, raw);
  let value: unknown = raw;
  let confidence = modelConfidence;
  if (validationErrors.length > 0) {
    value = null;
    confidence = 0;
    reasons.push(REVIEW_REASONS.validationFailed);
  }

  let evidence: FieldResult['evidence'] = [];
  if (value !== null) {
    const verified = verifyEvidence(claimed, pages);
    evidence = verified.evidence.slice(0, MAX_EVIDENCE_PER_FIELD);
    if (evidence.length === 0) {
      confidence = Math.min(confidence, MAX_UNVERIFIED_CONFIDENCE);
      reasons.push(BEDROCK_REVIEW_REASONS.evidenceNotVerified);
    } else {
      confidence = Math.min(confidence, MAX_VERIFIED_CONFIDENCE);
      if (verified.rejected > 0) reasons.push(BEDROCK_REVIEW_REASONS.evidenceNotVerified);
    }
  }
  if (value === null && required) reasons.push(REVIEW_REASONS.missingRequired);
  if (confidence < REVIEW_CONFIDENCE_THRESHOLD && !(value === null && required))
    reasons.push(REVIEW_REASONS.lowConfidence);

  const unique = [...new Set(reasons)];
  return {
    value,
    confidence: Math.round(confidence * 1000) / 1000,
    evidence,
    engine: BEDROCK_ENGINE_NAME,
    needs_review: unique.length > 0,
    review_reasons: unique,
    validation_errors: validationErrors,
  };
}

/**
 * The Bedrock engine: one Converse call per run, forced through a tool whose input schema is the
 * extraction schema (each field wrapped with confidence and evidence), at temperature 0. Retries
 * with jitter, per-attempt deadlines and the circuit breaker come from `converseWithTool`; what
 * comes back is validated field by field and its citations are checked against the page texts.
 */
export function createBedrockEngine(options: BedrockEngineOptions): ExtractionEngine {
  return {
    name: BEDROCK_ENGINE_NAME,
    async extract(input: ExtractionInput): Promise<ExtractionOutput> {
      const schema = getExtractionSchema(input.schemaName);
      input.signal?.throwIfAborted();
      const warnings: string[] = [];
      if (input.pages.length === 0) {
        // Nothing to read: asking the model would only invite invented values.
        return {
          fields: Object.fromEntries(
            schema.fields.map((f) => [
              f,
              finaliseModelField(schema, f, { value: null, confidence: 1, evidence: [] }, new Map()),
            ]),
          ),
          usage: { input_tokens: 0, output_tokens: 0 },
          warnings: ['no pages to read'],
        };
      }
      const selection = await selectContext(
        input.pages,
        options.contextBudgetChars ?? DEFAULT_CONTEXT_BUDGET,
        RETRIEVAL_QUERIES[schema.name] ?? [],
        options.rankPages,
        input.signal,
      );
      if (selection.truncated) {
        warnings.push(
          `the documents exceed the model's context budget: ${selection.pages.length} of ${input.pages.length} pages were sent (${selection.strategy === 'retrieval' ? 'leading pages and the most relevant search results' : 'leading pages only'})`,
        );
      }

      const result = await converseWithTool({
        client: options.client,
        modelId: options.modelId,
        system: SYSTEM_PROMPT,
        userText: userPrompt(schema, selection.pages),
        toolName: TOOL_NAME,
        toolDescription: `Record the fields of a ${schema.title}, each with its value, confidence and verbatim evidence.`,
        inputSchema: toolInputSchema(schema),
        maxTokens: options.maxTokens ?? DEFAULT_MAX_TOKENS,
        temperature: 0,
        ...(input.signal ? { signal: input.signal } : {}),
        timeoutMs: options.timeoutMs,
        ...(options.retry ? { retry: options.retry } : {}),
        breaker: options.breaker,
      });
      const usage = { input_tokens: result.usage.inputTokens, output_tokens: result.usage.outputTokens };
      options.onUsage?.(usage);

      const answer = isRecord(result.toolInput) ? result.toolInput : objectFromText(result.text);
      // An answer naming none of the fields (an empty object, another tool's shape) is no answer.
      if (!answer || !schema.fields.some((f) => f in answer)) {
        throw new AppError('UPSTREAM_ERROR', 'The model did not answer with the structured extraction', {
          details: { dependency: 'bedrock-runtime' },
        });
      }
      if (result.stopReason === 'max_tokens')
        warnings.push('the model ran out of output tokens; later fields may be missing');
      if (!isRecord(result.toolInput)) warnings.push('the model answered in text; its JSON was used');

      // Evidence may cite any page of the booking, not only the ones sent, as long as the quote is there.
      const pages = indexPages(input.pages);
      const fields: Record<string, FieldResult> = {};
      let malformed = 0;
      for (const field of schema.fields) {
        fields[field] = finaliseModelField(schema, field, answer[field], pages);
        if (fields[field].review_reasons.includes(BEDROCK_REVIEW_REASONS.malformedOutput)) malformed += 1;
      }
      const unknown = Object.keys(answer).filter((k) => !schema.fields.includes(k));
      if (unknown.length > 0)
        warnings.push(
          `the model returned fields the schema does not have: ${unknown.slice(0, 10).join(', ')}`,
        );
      if (malformed > 0)
        warnings.push(`${malformed} field(s) came back malformed and were flagged for review`);
      return { fields, usage, warnings };
    },
  };
}
