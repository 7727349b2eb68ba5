/**
 * fast-check arbitraries from the JSON Schemas of an OpenAPI document: values the schema accepts,
 * and hostile variants of them (wrong types, huge strings, unicode/bidi/NUL, extra fields, deep
 * nesting, missing required fields). Only the keywords our TypeBox schemas emit are interpreted;
 * anything else falls back to small JSON values, so a new schema shape degrades to coarser
 * fuzzing instead of failing the harness.
 */
import fc from 'fast-check';

export type JsonSchema = { [key: string]: unknown };

export interface SchemaContext {
  /** Resolves a local `$ref` ("#/components/schemas/X"). */
  resolve(ref: string): JsonSchema;
  /** Values to prefer for properties of this name (real product ids, booking ids...). */
  hints: Record<string, fc.Arbitrary<unknown> | undefined>;
}

/** Strings that have broken parsers, loggers, terminals or SQL somewhere. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202Eexe.txt\u202C',
  '\u2066isolate\u2069',
  '\u200B\u200C\u200D\uFEFF',
  '\uD800',
  '\uDFFF\uD800',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🏦💸 ضمان قرض 貸款 Überweisung',
  'e\u0301\u0301\u0301\u0301\u0301\u0301',
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '..\\..\\windows\\win.ini',
  '%00',
  '%',
  '%ZZ',
  'line\r\nX-Injected: yes',
  '<script>alert(1)</script>',
  "' OR '1'='1' --",
  "Robert'); DROP TABLE loan_bookings;--",
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '%s%s%s%n',
  '__proto__',
  'constructor',
  'NaN',
  '-0',
  '1e309',
  '9007199254740993',
  'null',
  'true',
  '[]',
  '{}',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 200_000 }).map((n) => 'A'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 5000 }).map((n) => '\u202E\u0000é'.repeat(n)) },
);

/** A value wrapped in `depth` levels of arrays and objects. */
export const deeplyNested = (depth: number, leaf: unknown = 'x'): unknown => {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
};

const wrongTypeValues: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    -1e308,
    1e308,
    2 ** 53 + 1,
    '',
    'string',
    [],
    {},
    [null],
    { a: 1 },
  ),
  hostileString,
  fc.integer({ min: 2, max: 400 }).map((d) => deeplyNested(d)),
);

function deref(schema: JsonSchema, ctx: SchemaContext): JsonSchema {
  let s = schema;
  for (let i = 0; i < 20 && typeof s.$ref === 'string'; i++) s = { ...ctx.resolve(s.$ref), ...withoutRef(s) };
  return s;
}

function withoutRef(s: JsonSchema): JsonSchema {
  const { $ref: _ref, ...rest } = s;
  return rest;
}

function typesOf(s: JsonSchema): string[] {
  if (Array.isArray(s.type)) return s.type as string[];
  if (typeof s.type === 'string') return [s.type];
  if (s.properties) return ['object'];
  if (s.items) return ['array'];
  return [];
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function mergeAllOf(parts: JsonSchema[], ctx: SchemaContext): JsonSchema {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const p of parts.map((x) => deref(x, ctx))) {
    Object.assign(properties, (p.properties as Record<string, unknown>) ?? {});
    required.push(...((p.required as string[]) ?? []));
  }
  return { type: 'object', properties, required };
}

// Building a regular-expression arbitrary costs tens of milliseconds: one per distinct string schema.
const stringArbs = new Map<string, fc.Arbitrary<string>>();

function stringArb(s: JsonSchema): fc.Arbitrary<string> {
  const key = JSON.stringify([s.minLength, s.maxLength, s.format, s.pattern]);
  let arb = stringArbs.get(key);
  if (!arb) stringArbs.set(key, (arb = buildStringArb(s)));
  return arb;
}

function buildStringArb(s: JsonSchema): fc.Arbitrary<string> {
  const minLength = num(s.minLength) ?? 0;
  const maxLength = Math.min(num(s.maxLength) ?? 60, 60);
  if (s.format === 'date-time') {
    return fc
      .date({
        min: new Date('1990-01-01T00:00:00Z'),
        max: new Date('2100-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
  }
  if (s.format === 'date')
    return fc
      .date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
  if (s.format === 'email') return fc.emailAddress().filter((e) => e.length <= (num(s.maxLength) ?? 254));
  if (s.format === 'binary') return fc.constant('');
  if (typeof s.pattern === 'string') {
    let re: RegExp;
    try {
      re = new RegExp(s.pattern, 'u');
    } catch {
      re = new RegExp(s.pattern);
    }
    return fc
      .stringMatching(re)
      .map((v) => (v.length > (num(s.maxLength) ?? Infinity) ? v.slice(0, num(s.maxLength)) : v))
      .filter((v) => v.length >= minLength && re.test(v));
  }
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.string({ minLength, maxLength: Math.max(minLength, maxLength), unit: 'grapheme-ascii' }),
    },
    {
      weight: 1,
      arbitrary: fc.string({ minLength, maxLength: Math.max(minLength, maxLength), unit: 'grapheme' }),
    },
  );
}

/** Values the schema accepts (as far as the keywords we interpret go). */
export function validValue(
  schema: JsonSchema,
  ctx: SchemaContext,
  name?: string,
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = deref(schema, ctx);
  const hint = name ? ctx.hints[name] : undefined;
  const plain = validIgnoringHint(s, ctx, depth);
  return hint ? fc.oneof({ weight: 3, arbitrary: hint }, { weight: 1, arbitrary: plain }) : plain;
}

function validIgnoringHint(s: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<unknown> {
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = s[key];
    if (Array.isArray(branches) && branches.length > 0) {
      return fc.oneof(...(branches as JsonSchema[]).map((b) => validValue(b, ctx, undefined, depth + 1)));
    }
  }
  if (Array.isArray(s.allOf)) return validIgnoringHint(mergeAllOf(s.allOf as JsonSchema[], ctx), ctx, depth);
  const types = typesOf(s);
  if (types.length > 1)
    return fc.oneof(...types.map((t) => validIgnoringHint({ ...s, type: t }, ctx, depth)));
  switch (types[0]) {
    case 'string':
      return stringArb(s);
    case 'integer':
      return fc.integer({
        min: Math.max(num(s.minimum) ?? -1000, -(2 ** 31)),
        max: Math.min(num(s.maximum) ?? 1000, 2 ** 31),
      });
    case 'number':
      return fc.double({
        min: num(s.minimum) ?? -1e6,
        max: num(s.maximum) ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = (s.items as JsonSchema | undefined) ?? {};
      const minLength = num(s.minItems) ?? 0;
      const maxLength = Math.max(minLength, Math.min(num(s.maxItems) ?? 3, 3));
      if (depth > 6) return fc.constant([]);
      const item = validValue(items, ctx, undefined, depth + 1);
      return s.uniqueItems === true
        ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
        : fc.array(item, { minLength, maxLength });
    }
    case 'object': {
      const props = (s.properties as Record<string, JsonSchema> | undefined) ?? {};
      const required = new Set((s.required as string[] | undefined) ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) {
        if (depth > 6 && !required.has(k)) continue;
        model[k] = validValue(v, ctx, k, depth + 1);
      }
      const minProperties = num(s.minProperties) ?? 0;
      const record = fc.record(model, { requiredKeys: [...required].filter((k) => k in model) });
      const additional = s.additionalProperties;
      if (additional === false || additional === undefined) {
        // Only declared properties: a record with too few is redrawn, unless none could ever be enough.
        return Object.keys(model).length >= minProperties
          ? record.filter((o) => Object.keys(o).length >= minProperties)
          : record;
      }
      const values =
        typeof additional === 'object' && additional !== null
          ? validValue(additional as JsonSchema, ctx, undefined, depth + 1)
          : fc.jsonValue({ maxDepth: 2 });
      const extra = fc.dictionary(
        fc.string({ minLength: 1, maxLength: 24, unit: 'grapheme-ascii' }),
        values,
        { minKeys: minProperties, maxKeys: Math.max(minProperties, 3) },
      );
      return fc.tuple(record, extra).map(([r, e]) => ({ ...e, ...r }));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/**
 * Every string of a value with a NUL, a bidi override and a lone surrogate added: fields without a
 * pattern pass validation with them and carry them into services, stores, audit records and logs.
 */
export function taint(value: unknown): unknown {
  if (typeof value === 'string') return `${value}\u0000\u202E\uD800`;
  if (Array.isArray(value)) return value.map(taint);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, taint(v)]));
  return value;
}

/**
 * A value the schema should refuse, derived from a valid one: one property (or the whole value)
 * replaced by a wrong type or a hostile string, an extra field, a missing required field, or deep
 * nesting. Some mutations stay valid by accident (a hostile string where any string is allowed):
 * that is intended, they reach the handler with hostile content.
 */
export function invalidValue(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<unknown> {
  const s = deref(schema, ctx);
  const types = typesOf(s);
  if (types.includes('object') || s.properties) {
    const props = Object.keys((s.properties as Record<string, unknown>) ?? {});
    const required = (s.required as string[] | undefined) ?? [];
    return fc
      .tuple(
        validValue(s, ctx) as fc.Arbitrary<Record<string, unknown>>,
        fc.constantFrom(
          'wrong-type',
          'hostile',
          'extra',
          'missing',
          'nested',
          'whole',
          'proto',
          'taint',
          'taint',
        ),
        fc.constantFrom(...(props.length > 0 ? props : ['x'])),
        wrongTypeValues,
        hostileString,
      )
      .map(([base, how, prop, wrong, hostile]) => {
        const out: Record<string, unknown> = { ...base };
        switch (how) {
          case 'wrong-type':
            out[prop] = wrong;
            return out;
          case 'hostile':
            out[prop] = hostile;
            return out;
          case 'extra':
            out[`extra_${hostile.slice(0, 20)}`] = hostile;
            return out;
          case 'missing':
            if (required.length > 0) delete out[required[0]!];
            else out[prop] = wrong;
            return out;
          case 'nested':
            out[prop] = deeplyNested(300);
            return out;
          case 'taint':
            return taint(out);
          case 'proto':
            // Sent as text: JSON.stringify would drop a real prototype key.
            return {
              __raw: `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}${Object.keys(out).length > 0 ? ',' : ''}${JSON.stringify(out).slice(1)}`,
            };
          default:
            return wrong;
        }
      });
  }
  return fc.oneof(wrongTypeValues, hostileString);
}
