/**
 * Requests for one operation of the OpenAPI document: a caller (each role of two tenants, nobody,
 * a forged token), real object ids of either tenant or made-up ones in the path, parameters and
 * bodies from the declared schemas, and in about half the requests one part made hostile.
 */
import fc from 'fast-check';
import type { Operation, OpenApiDocument, ParameterObject } from './openapi.js';
import { resolveRef } from './openapi.js';
import {
  hostileString,
  invalidValue,
  validValue,
  type JsonSchema,
  type SchemaContext,
} from './schema-arbitrary.js';
import { multipartBody, type Caller, type TenantWorld, type World } from './world.js';

export type Mode = 'valid' | 'path' | 'query' | 'header' | 'body' | 'content-type';

export interface FuzzRequest {
  caller: Caller;
  mode: Mode;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** encodeURIComponent, except that lone surrogates become their (invalid) WTF-8 bytes instead of throwing. */
export function encodeSegment(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

/** Header values travel as latin1 without control characters; hostile headers have their own test file. */
const headerSafe = (v: string): string => v.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').slice(0, 8000);

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value) ?? '';
}

const FILE_CONTENTS: Buffer[] = [
  Buffer.from('Credit agreement between the parties. Commitment: USD 5,000,000.\n'),
  Buffer.from(''),
  Buffer.from('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog', 'latin1'),
  Buffer.from('\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00', 'latin1'),
  Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'),
  Buffer.from('<!doctype html><html><body><script>alert(1)</script>Terms</body></html>'),
  Buffer.from([0xff, 0xfe, 0x00, 0x00, 0xc3, 0x28]),
  Buffer.from('\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR', 'latin1'),
  Buffer.from('text with a NUL \u0000 and bidi \u202E in it\n'),
];

interface Pools {
  own: string[];
  other: string[];
}

function pools(world: World, caller: Caller, op: Operation, param: string): Pools {
  const own: TenantWorld = world.tenants[caller.tenant ?? 'A'];
  const other: TenantWorld = world.tenants[caller.tenant === 'A' ? 'B' : 'A'];
  const segments = op.path.split('/');
  const resource = segments[segments.indexOf(`{${param}}`) - 1] ?? '';
  switch (resource) {
    case 'loan-bookings':
      return { own: own.bookings, other: other.protectedBookings };
    case 'documents':
      return { own: own.documents, other: other.protectedDocuments };
    case 'users':
      return { own: own.users, other: other.protectedUsers };
    case 'products':
      return {
        own: op.method === 'GET' ? [own.product, ...world.catalogue] : [own.product],
        other: [other.protectedProduct],
      };
    default:
      // A route added after this harness was written: every kind of real id, including the ones the
      // fuzzer's own requests created, so it still meets real objects.
      return {
        own: [...own.harvested.slice(-20), ...own.bookings, ...own.documents, ...own.users],
        other: [...other.harvested.slice(-10), ...other.protectedBookings, ...other.protectedDocuments],
      };
  }
}

/** Whether a value could pass a parameter's string schema (pattern, enum, length): real ids that cannot are left out. */
function fits(schema: JsonSchema | undefined, value: string): boolean {
  if (!schema) return true;
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return false;
  if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return false;
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return false;
  return true;
}

function schemaContext(doc: OpenApiDocument, world: World): SchemaContext {
  const everyBooking = [
    ...world.tenants.A.bookings,
    ...world.tenants.B.protectedBookings,
    ...world.tenants.B.bookings,
    ...world.tenants.A.protectedBookings,
  ];
  const everyUser = [...world.tenants.A.users, ...world.tenants.B.users];
  return {
    resolve: (ref) => resolveRef(doc, ref),
    hints: {
      product_id: fc.constantFrom(...world.catalogue, world.tenants.A.product),
      loan_booking_id: fc.constantFrom(...everyBooking),
      created_by: fc.constantFrom(...everyUser),
      actor_id: fc.constantFrom(...everyUser),
      customer_name: fc.constantFrom(
        'Acme Industrial Holdings Corp.',
        'Société Générale (NY)',
        'Müller & Söhne GmbH',
        '東京海上 Holdings',
        "O'Brien-Smith Ltd / Lending",
      ),
      password: fc.constantFrom('Correct-Horse-Battery-Staple-42'),
      'if-match': fc.constantFrom('"v1"', '"v2"', '"v3"', '*', 'W/"v1"', '"v999"'),
      'if-none-match': fc.constantFrom('"v1"', '*', '"0000"'),
      range: fc.constantFrom(
        'bytes=0-4',
        'bytes=-3',
        'bytes=5-',
        'bytes=0-0,2-3',
        'bytes=999999999-',
        'bytes=9-2',
        'items=0-1',
        'bytes=--1',
      ),
      q: fc.constantFrom(
        'commitment',
        'term sheet',
        '"credit agreement"',
        '-commitment usd',
        'a OR b',
        '(((',
        '!!!',
      ),
    },
  };
}

function bodyArb(
  op: Operation,
  ctx: SchemaContext,
  mode: Mode,
): fc.Arbitrary<{ contentType: string; payload: string | Buffer } | undefined> {
  const content = op.op.requestBody?.content;
  if (!content || Object.keys(content).length === 0) return fc.constant(undefined);
  const media = Object.keys(content);
  return fc.constantFrom(...media).chain((type) => {
    const schema = content[type]?.schema ?? {};
    if (type.startsWith('multipart/')) return multipartArb(schema, ctx, mode);
    const value =
      mode === 'body'
        ? fc.oneof(
            invalidValue(schema, ctx),
            fc.constantFrom('{"a":', '', ' ', '[]', 'null', '{"a":1}{"b":2}', '\uFEFF{}'),
          )
        : validValue(schema, ctx);
    return fc
      .tuple(
        value,
        fc.constantFrom(
          'text/plain',
          'application/xml',
          'application/json; charset=utf-16',
          'application/x-www-form-urlencoded',
          'application/jsonx',
          ';;;',
        ),
      )
      .map(([v, wrongType]) => {
        const raw =
          typeof v === 'object' && v !== null && '__raw' in v
            ? String((v as { __raw: string }).__raw)
            : undefined;
        const text = raw ?? (typeof v === 'string' && mode === 'body' ? v : JSON.stringify(v));
        if (type === 'application/x-www-form-urlencoded') {
          const form = new URLSearchParams();
          if (v && typeof v === 'object')
            for (const [k, x] of Object.entries(v)) form.append(k, stringify(x));
          return { contentType: mode === 'content-type' ? wrongType : type, payload: form.toString() };
        }
        return { contentType: mode === 'content-type' ? wrongType : type, payload: text ?? '' };
      });
  });
}

function multipartArb(
  schema: JsonSchema,
  ctx: SchemaContext,
  mode: Mode,
): fc.Arbitrary<{ contentType: string; payload: Buffer | string }> {
  const s = typeof schema.$ref === 'string' ? ctx.resolve(schema.$ref) : schema;
  const props = (s.properties as Record<string, JsonSchema> | undefined) ?? {};
  const isBinary = (p: JsonSchema): boolean =>
    p.format === 'binary' || (p.items as JsonSchema | undefined)?.format === 'binary';
  const fileFields = Object.entries(props)
    .filter(([, p]) => isBinary(p))
    .map(([k]) => k);
  const fieldNames = Object.entries(props)
    .filter(([, p]) => !isBinary(p))
    .map(([k]) => k);
  const hostile = mode === 'body';
  const fieldValue = (name: string): fc.Arbitrary<[string, string]> =>
    (hostile ? hostileString : validValue(props[name]!, ctx, name).map(stringify)).map(
      (v) => [name, v] as [string, string],
    );
  const file = fc.record({
    field: hostile
      ? fc.constantFrom(...fileFields, 'file', 'files[]', '')
      : fc.constantFrom(...(fileFields.length ? fileFields : ['files'])),
    name: hostile
      ? hostileString.map((x) => x.slice(0, 400))
      : fc.constantFrom('contract.txt', 'Term Sheet (final).txt', 'agreement.pdf'),
    type: hostile
      ? fc.constantFrom(
          'text/plain',
          'application/pdf',
          'application/octet-stream',
          'image/png',
          '',
          'text/html',
          'application/x-msdownload',
        )
      : fc.constant('text/plain'),
    data: hostile
      ? fc.constantFrom(...FILE_CONTENTS)
      : fc.constantFrom(FILE_CONTENTS[0]!, Buffer.from(`Promissory note ${Date.now()}\n`)),
  });
  return fc
    .tuple(
      fc.tuple(...fieldNames.map(fieldValue)),
      fc.array(file, { minLength: hostile ? 0 : 1, maxLength: 3 }),
      fc.constantFrom('ok', 'no-boundary', 'truncated'),
    )
    .map(([fields, files, shape]) => {
      const body = multipartBody(fields, files);
      if (!hostile || shape === 'ok') return body;
      if (shape === 'no-boundary') return { contentType: 'multipart/form-data', payload: body.payload };
      return {
        contentType: body.contentType,
        payload: body.payload.subarray(0, Math.max(1, body.payload.length - 30)),
      };
    });
}

function queryArb(params: ParameterObject[], ctx: SchemaContext, mode: Mode): fc.Arbitrary<string> {
  const each = params.map((p) => {
    const schema = p.schema ?? {};
    const valid = validValue(schema, ctx, p.name).map((v) => [p.name, stringify(v)] as [string, string]);
    const present = p.required ? fc.constant(true) : fc.boolean();
    return fc.tuple(present, valid).map(([yes, pair]) => (yes ? [pair] : []));
  });
  const base = fc.tuple(...each).map((lists) => lists.flat());
  if (mode !== 'query') return base.map((pairs) => new URLSearchParams(pairs).toString());
  return fc
    .tuple(
      base,
      fc.constantFrom('replace', 'unknown', 'repeat', 'huge', 'raw'),
      fc.constantFrom(...(params.length ? params.map((p) => p.name) : ['limit'])),
      fc.oneof(hostileString, invalidValue({}, ctx).map(stringify)),
    )
    .map(([pairs, how, name, bad]) => {
      const usp = new URLSearchParams(pairs);
      if (how === 'replace') usp.set(name, bad);
      else if (how === 'unknown') usp.append(`zz_${name}`, bad.slice(0, 100));
      else if (how === 'repeat') {
        usp.append(name, bad.slice(0, 100));
        usp.append(name, '1');
      } else if (how === 'huge') usp.set(name, 'q'.repeat(60_000));
      else return `${usp.toString()}&${name}=%E0%A4%A&%ZZ=1&&=&${name}`;
      return usp.toString();
    });
}

/** Requests for one operation, ~half valid, the rest with one hostile part. */
export function requestArb(doc: OpenApiDocument, world: World, op: Operation): fc.Arbitrary<FuzzRequest> {
  const ctx = schemaContext(doc, world);
  const params = op.op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const headerParams = params.filter((p) => p.in === 'header');
  const modes: { weight: number; arbitrary: fc.Arbitrary<Mode> }[] = [
    { weight: 10, arbitrary: fc.constant('valid') },
    { weight: 3, arbitrary: fc.constant('query') },
  ];
  if (pathParams.length) modes.push({ weight: 3, arbitrary: fc.constant('path') });
  if (headerParams.length) modes.push({ weight: 2, arbitrary: fc.constant('header') });
  if (op.op.requestBody)
    modes.push(
      { weight: 5, arbitrary: fc.constant('body') },
      { weight: 1, arbitrary: fc.constant('content-type') },
    );
  const callerArb = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...world.callers.filter((c) => c.tenant === 'A')) },
    { weight: 3, arbitrary: fc.constantFrom(...world.callers.filter((c) => c.tenant === 'B')) },
    { weight: 1, arbitrary: fc.constantFrom(...world.callers.filter((c) => c.tenant === undefined)) },
  );
  // Arbitraries are built once per (caller, mode): building one compiles its regular expressions.
  const built = new Map<string, fc.Arbitrary<FuzzRequest>>();
  return fc.tuple(callerArb, fc.oneof(...modes)).chain(([caller, mode]) => {
    const key = `${caller.name} ${mode}`;
    let arb = built.get(key);
    if (!arb) built.set(key, (arb = forCaller(caller, mode)));
    return arb;
  });

  function forCaller(caller: Caller, mode: Mode): fc.Arbitrary<FuzzRequest> {
    const pathArbs = pathParams.map((p) => {
      const pool = pools(world, caller, op, p.name);
      const own = pool.own.filter((v) => fits(p.schema, v));
      const other = pool.other.filter((v) => fits(p.schema, v));
      const made = validValue(p.schema ?? { type: 'string' }, ctx).map(stringify);
      const real = fc.oneof(
        { weight: 5, arbitrary: own.length ? fc.constantFrom(...own) : made },
        { weight: 3, arbitrary: other.length ? fc.constantFrom(...other) : made },
        { weight: 1, arbitrary: made },
      );
      return mode === 'path'
        ? fc.oneof(
            hostileString.filter((s) => s.length > 0),
            real,
          )
        : real;
    });
    const headerArbs = headerParams.map((p) => {
      const v =
        mode === 'header'
          ? hostileString
          : validValue(p.schema ?? { type: 'string' }, ctx, p.name).map(stringify);
      return fc.tuple(fc.constant(p.name), p.required ? v : fc.option(v, { nil: undefined }));
    });
    return fc
      .tuple(
        fc.tuple(...pathArbs),
        queryArb(queryParams, ctx, mode),
        fc.tuple(...headerArbs),
        bodyArb(op, ctx, mode),
      )
      .map(([pathValues, query, headerPairs, body]) => {
        let i = 0;
        const path = op.path.replace(/\{[^}]+\}/g, () => encodeSegment(pathValues[i++] ?? ''));
        const headers: Record<string, string> = {};
        if (caller.authorization) headers.authorization = caller.authorization;
        for (const [name, value] of headerPairs) if (value !== undefined) headers[name] = headerSafe(value);
        const request: FuzzRequest = {
          caller,
          mode,
          method: op.method as FuzzRequest['method'],
          url: query ? `${path}?${query}` : path,
          headers,
        };
        if (body) {
          headers['content-type'] = headerSafe(body.contentType);
          request.payload = body.payload;
        }
        return request;
      });
  }
}
