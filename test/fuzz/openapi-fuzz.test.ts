/**
 * Property-based fuzzing of every operation in /openapi.json, in process with `app.inject`.
 * Requests come from the declared schemas (and hostile variants of them), sent as each role of one
 * tenant, as another tenant and as nobody, against real objects created in setup. Every response
 * must: be below 500; carry a status the operation declares; match the declared schema when JSON;
 * be application/problem+json when an error; and contain none of the other tenant's data.
 *
 * Operations are read from the document at run time, so routes added later are fuzzed without an
 * edit here. Budget: FUZZ_RUNS requests in total (default 1500, CI); `FUZZ_RUNS=20000 npm run fuzz`
 * for a long run. FUZZ_SEED replays a run (the seed is printed).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createResponseValidator,
  JSON_MEDIA,
  operationsOf,
  type OpenApiDocument,
  type Operation,
} from './openapi.js';
import { requestArb, type FuzzRequest } from './requests.js';
import { createWorld, harvest, leakedSecrets } from './world.js';

const TOTAL = Number(process.env.FUZZ_RUNS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
console.log(`openapi fuzz: FUZZ_RUNS=${TOTAL} FUZZ_SEED=${SEED}`);

const world = await createWorld();
const docResponse = await world.t.app.inject({ method: 'GET', url: '/openapi.json' });
const doc = docResponse.json<OpenApiDocument>();
// Destructive operations go last so that the others keep meeting live objects.
const operations = operationsOf(doc).sort(
  (a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'),
);
const validator = createResponseValidator(doc);
const perOperation = Math.max(8, Math.ceil(TOTAL / Math.max(1, operations.length)));

// The versions the protected objects had after setup: the other tenant's requests must not move them.
const protectedVersions = new Map<string, number>();
for (const tenant of Object.values(world.tenants)) {
  for (const id of tenant.protectedBookings) {
    const res = await world.t.app.inject({
      method: 'GET',
      url: `/api/v1/loan-bookings/${id}`,
      headers: { authorization: tenant.admin },
    });
    protectedVersions.set(id, res.json<{ version: number }>().version);
  }
}

interface Outcome {
  statuses: Map<number, number>;
  requests: number;
}
const outcomes = new Map<string, Outcome>();

function describeRequest(r: FuzzRequest): string {
  const payload =
    r.payload === undefined ? '' : typeof r.payload === 'string' ? r.payload : r.payload.toString('latin1');
  const shown = payload.length > 300 ? `${payload.slice(0, 300)}... (${payload.length} chars)` : payload;
  const url = r.url.length > 300 ? `${r.url.slice(0, 300)}... (${r.url.length} chars)` : r.url;
  return `${r.method} ${url} as ${r.caller.name} [${r.mode}] headers=${JSON.stringify({ ...r.headers, authorization: r.headers.authorization ? '<token>' : undefined })} body=${JSON.stringify(shown)}`;
}

async function check(op: Operation, r: FuzzRequest): Promise<string[]> {
  const res = await world.t.app.inject({
    method: r.method,
    url: r.url,
    headers: r.headers,
    ...(r.payload === undefined ? {} : { payload: r.payload }),
  });
  const outcome = outcomes.get(op.key)!;
  outcome.requests++;
  outcome.statuses.set(res.statusCode, (outcome.statuses.get(res.statusCode) ?? 0) + 1);
  const problems: string[] = [];
  const status = res.statusCode;
  const contentType = String(res.headers['content-type'] ?? '');
  if (status >= 500) problems.push(`status ${status}: ${res.body.slice(0, 300)}`);
  if (!validator.declared(op, status))
    problems.push(`undeclared status ${status} (${res.body.slice(0, 200)})`);
  if (status >= 400 && !contentType.startsWith('application/problem+json'))
    problems.push(`error ${status} with content-type "${contentType}"`);
  if (res.body.length > 0 && JSON_MEDIA.test(contentType)) {
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      problems.push(`status ${status}: body is not JSON though labelled ${contentType}`);
    }
    if (status >= 200 && status < 300) harvest(world, r.caller, body);
    if (body !== undefined && validator.declared(op, status)) {
      const errors = validator.validate(op, status, contentType, body);
      if (errors.length)
        problems.push(
          `status ${status} body does not match the declared schema: ${errors.join('; ')} body=${res.body.slice(0, 300)}`,
        );
    }
  }
  const requestText = `${r.url} ${JSON.stringify(r.headers)} ${r.payload === undefined ? '' : r.payload.toString()}`;
  let decodedUrl = r.url;
  try {
    decodedUrl = decodeURIComponent(r.url);
  } catch {
    // Undecodable on purpose (hostile encodings): the raw form is what was sent.
  }
  const leaks = leakedSecrets(
    world,
    r.caller,
    `${requestText} ${decodedUrl}`,
    `${res.body} ${JSON.stringify(res.headers)}`,
  );
  if (leaks.length)
    problems.push(`other tenant's data in the response: ${leaks.join(', ')} body=${res.body.slice(0, 300)}`);
  return problems.map((p) => `${p}\n    request: ${describeRequest(r)}`);
}

afterAll(async () => {
  const rows = [...outcomes.entries()].map(([key, o]) => {
    const statuses = [...o.statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}x${n}`)
      .join(' ');
    return `  ${key.padEnd(60)} ${String(o.requests).padStart(5)}  ${statuses}`;
  });
  console.log(`openapi fuzz: ${operations.length} operations, seed ${SEED}\n${rows.join('\n')}`);
  await world.close();
});

describe('OpenAPI fuzz', () => {
  it('reads a document with the operations of every module', () => {
    expect(docResponse.statusCode).toBe(200);
    const keys = operations.map((o) => o.key);
    for (const expected of [
      'GET /api/v1/loan-bookings/{id}',
      'POST /api/v1/loan-bookings/{id}/documents',
      'GET /api/v1/products',
      'GET /api/v1/users',
    ]) {
      expect(keys).toContain(expected);
    }
  });

  for (const [index, op] of operations.entries()) {
    it(
      `${op.key}: no 5xx, declared statuses and schemas, problem+json errors, no other tenant's data`,
      { timeout: 120_000 },
      async () => {
        outcomes.set(op.key, { statuses: new Map(), requests: 0 });
        const requests = fc.sample(requestArb(doc, world, op), { numRuns: perOperation, seed: SEED + index });
        const problems: string[] = [];
        for (const r of requests) problems.push(...(await check(op, r)));
        expect(
          problems.slice(0, 10),
          `${problems.length} problems in ${requests.length} requests (FUZZ_SEED=${SEED})`,
        ).toEqual([]);
      },
    );
  }

  it('reached the handlers: requests got past authentication and validation on (nearly) every operation', () => {
    expect(outcomes.size).toBe(operations.length);
    // Answers that only a handler (or the service behind it) gives: success, or a verdict about a real object.
    const handlerStatuses = (s: number) => (s >= 200 && s < 400) || [404, 409, 412, 416, 428].includes(s);
    const reached = [...outcomes.entries()]
      .filter(([, o]) => [...o.statuses.keys()].some(handlerStatuses))
      .map(([k]) => k);
    const succeeded = [...outcomes.values()].filter((o) =>
      [...o.statuses.keys()].some((s) => s >= 200 && s < 300),
    ).length;
    const missed = operations.map((o) => o.key).filter((k) => !reached.includes(k));
    expect(
      reached.length / operations.length,
      `never reached a handler: ${missed.join(', ')}`,
    ).toBeGreaterThanOrEqual(0.9);
    expect(succeeded / operations.length).toBeGreaterThanOrEqual(0.5);
  });

  it('left the objects only the other tenant was pointed at untouched', async () => {
    for (const tenant of Object.values(world.tenants)) {
      const headers = { authorization: tenant.admin };
      for (const id of tenant.protectedBookings) {
        const res = await world.t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${id}`, headers });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().version).toBe(protectedVersions.get(id));
      }
      for (const id of tenant.protectedDocuments) {
        expect(
          (await world.t.app.inject({ method: 'GET', url: `/api/v1/documents/${id}`, headers })).statusCode,
        ).toBe(200);
      }
      for (const id of tenant.protectedUsers) {
        const res = await world.t.app.inject({ method: 'GET', url: `/api/v1/users/${id}`, headers });
        expect(res.statusCode).toBe(200);
        expect(res.json().active).toBe(true);
      }
      const product = await world.t.app.inject({
        method: 'GET',
        url: `/api/v1/products/${tenant.protectedProduct}`,
        headers,
      });
      expect(product.statusCode).toBe(200);
    }
  });
});
