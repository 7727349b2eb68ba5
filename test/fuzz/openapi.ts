/**
 * The OpenAPI document as the fuzzer sees it: its operations, and a validator of each declared
 * response body (Ajv over the document's own components, compiled lazily and cached).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from './schema-arbitrary.js';

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, JsonSchema>; [k: string]: unknown };
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

export interface MediaObject {
  schema?: JsonSchema;
}

export interface ResponseObject {
  description?: string;
  content?: Record<string, MediaObject>;
}

export interface OperationObject {
  operationId?: string;
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content?: Record<string, MediaObject> };
  responses?: Record<string, ResponseObject>;
  security?: unknown[];
}

export interface Operation {
  method: string;
  path: string;
  op: OperationObject;
  key: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of the document, in document order. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      out.push({ method: method.toUpperCase(), path, op, key: `${method.toUpperCase()} ${path}` });
    }
  }
  return out;
}

export function resolveRef(doc: OpenApiDocument, ref: string): JsonSchema {
  if (!ref.startsWith('#/')) throw new Error(`external $ref not supported: ${ref}`);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = (node as Record<string, unknown> | undefined)?.[part];
  }
  if (!node || typeof node !== 'object') throw new Error(`unresolvable $ref ${ref}`);
  return node as JsonSchema;
}

/** Rewrites "#/components/..." references so that they point into the shared components schema. */
function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi-components${v}` : rebase(v);
    }
    return out;
  }
  return value;
}

export const JSON_MEDIA = /^application\/(?:[\w.+-]+\+)?json\b/i;

export interface ResponseValidator {
  /** The declared response for a status, falling back to "default" and the "4XX"-style ranges. */
  declared(op: Operation, status: number): ResponseObject | undefined;
  /** Validation errors of a JSON body against the declared schema, or [] when it conforms. */
  validate(op: Operation, status: number, contentType: string, body: unknown): string[];
}

export function createResponseValidator(doc: OpenApiDocument): ResponseValidator {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
    a: Ajv,
  ) => void;
  addFormats(ajv);
  // Multipart and download bodies are described as binary strings; nothing to check in JSON.
  ajv.addFormat('binary', true);
  ajv.addSchema({ $id: 'openapi-components', components: doc.components ?? {} });
  const cache = new Map<string, ValidateFunction | null>();

  function declared(op: Operation, status: number): ResponseObject | undefined {
    const responses = op.op.responses ?? {};
    return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  }

  return {
    declared,
    validate(op, status, contentType, body) {
      const response = declared(op, status);
      if (!response) return [`status ${status} is not declared`];
      const content = response.content ?? {};
      const media = contentType.split(';')[0]!.trim().toLowerCase();
      // Error bodies are application/problem+json while the document lists them under application/json:
      // any JSON media type of the response is the schema to meet.
      const entry = content[media] ?? Object.entries(content).find(([m]) => JSON_MEDIA.test(m))?.[1];
      if (!entry?.schema) return Object.keys(content).length === 0 ? [] : [`no schema declared for ${media}`];
      const cacheKey = `${op.key} ${status} ${media}`;
      let validate = cache.get(cacheKey);
      if (validate === undefined) {
        const schema = entry.schema;
        validate = schema.format === 'binary' ? null : ajv.compile(rebase(schema) as JsonSchema);
        cache.set(cacheKey, validate);
      }
      if (validate === null || validate(body)) return [];
      return (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    },
  };
}
