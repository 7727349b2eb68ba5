import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import { captureLogs, createTestApp, type LogCapture, type TestApp } from '../../helpers/app.js';

/** The one error model: every failure is application/problem+json with a stable code and the request id. */
const SQL_LEAK = 'select * from users where password_hash = $1 -- s3://private-bucket/key';

let t: TestApp;
let logs: LogCapture;
let analyst: string;

beforeAll(async () => {
  logs = captureLogs();
  t = await createTestApp({
    env: { LOG_LEVEL: 'info', BODY_LIMIT_BYTES: '2048' },
    build: {
      logStream: logs.stream,
      beforeReady(app) {
        app.get('/test/boom', async () => {
          const err = new Error(SQL_LEAK);
          (err as Error & { query: string }).query = SQL_LEAK;
          throw err;
        });
        app.get('/test/upstream', async (request) => {
          const which = (request.query as { which?: string }).which;
          if (which === 'safe') throw new AppError('UPSTREAM_ERROR', 'bedrock said no', { details: { dependency: 'bedrock', retry_after_seconds: 3 } });
          throw new AppError('UPSTREAM_ERROR', `bucket ${SQL_LEAK}`, { details: { bucket: 'private-bucket', key: 'k' } });
        });
        app.get('/test/status/:code', async (request) => {
          const err = new Error('framework-ish error') as Error & { statusCode: number };
          err.statusCode = Number((request.params as { code: string }).code);
          throw err;
        });
        app.post('/test/log-probe', async (request) => {
          // What a careless log call would write: the redaction rules must still hide credentials.
          request.log.info({ headers: request.headers, body: request.body, password: 'top-level-pw' }, 'probe');
          return { ok: true };
        });
      },
    },
  });
  analyst = (await t.auth('analyst')).authorization;
});
afterAll(async () => t.close());

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  error_code: string;
  message: string;
  timestamp: string;
  request_id: string;
  details?: Record<string, unknown>;
  field_errors?: Record<string, string[]>;
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: <T>() => T }, status: number, code: string): Problem {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const body = res.json<Problem>();
  expect(body).toMatchObject({ status, error_code: code, type: `/docs/errors#${code}` });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(body.message).toBe(body.detail);
  expect(Date.parse(body.timestamp)).not.toBeNaN();
  expect(body.request_id).toBe(res.headers['x-request-id']);
  return body;
}

describe('error model', () => {
  it('answers an unknown route with 404 ROUTE_NOT_FOUND and never echoes the query string', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here?customer=Acme%20Corp' });
    const body = expectProblem(res, 404, 'ROUTE_NOT_FOUND');
    expect(body.instance).toBe('/api/v1/nothing-here');
    expect(res.body).not.toContain('Acme');
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/loan-bookings' });
    const body = expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('GET, POST, HEAD');
    expect(body.details!.allowed_methods).toEqual(['GET', 'POST', 'HEAD']);
    const item = await t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings/0190a000-0000-7000-8000-000000000000/' });
    expectProblem(item, 405, 'METHOD_NOT_ALLOWED');
    expect(item.headers.allow).toBe('DELETE, GET, PATCH, HEAD');
  });

  it('answers malformed JSON with 400 INVALID_JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/loan-bookings',
      headers: { authorization: analyst, 'content-type': 'application/json' },
      payload: '{"customer_name": "Acme",',
    });
    const body = expectProblem(res, 400, 'INVALID_JSON');
    expect(body.detail).toBe('The request body is not valid JSON');
    const empty = await t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: analyst, 'content-type': 'application/json' }, payload: '' });
    expectProblem(empty, 400, 'INVALID_JSON');
  });

  it('answers a body over the limit with 413', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/loan-bookings',
      headers: { authorization: analyst, 'content-type': 'application/json' },
      payload: JSON.stringify({ customer_name: 'Acme', product_id: 'term-loans', notes: 'x'.repeat(4096) }),
    });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers an unsupported content type with 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/loan-bookings',
      headers: { authorization: analyst, 'content-type': 'text/csv' },
      payload: 'customer_name,product_id\nAcme,term-loans',
    });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const text = await t.app.inject({
      method: 'POST',
      url: '/api/v1/loan-bookings',
      headers: { authorization: analyst, 'content-type': 'text/plain' },
      payload: '{"customer_name":"Acme","product_id":"term-loans"}',
    });
    expectProblem(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers an invalid body with 422 and field errors naming each field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/loan-bookings',
      headers: { authorization: analyst },
      payload: { product_id: 'no spaces allowed', surprise: true, notes: { nested: 'object' } },
    });
    const body = expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(body.field_errors).toMatchObject({
      customer_name: ['is required'],
      surprise: ['is not an allowed field'],
      product_id: [expect.stringMatching(/pattern/)],
    });
    expect(body.field_errors!.notes).toEqual(expect.arrayContaining(['must be string']));
  });

  it('answers invalid path and query parameters with 400 and field errors', async () => {
    const params = await t.app.inject({ method: 'GET', url: '/api/v1/loan-bookings/not-an-id', headers: { authorization: analyst } });
    expect(expectProblem(params, 400, 'BAD_REQUEST').field_errors).toHaveProperty(['params.id']);
    const query = await t.app.inject({ method: 'GET', url: '/api/v1/loan-bookings?limit=1000&status=lost', headers: { authorization: analyst } });
    const body = expectProblem(query, 400, 'BAD_REQUEST');
    expect(Object.keys(body.field_errors!).sort()).toEqual(['querystring.limit', 'querystring.status']);
    // A union of literals names its values rather than Ajv's "must be equal to constant".
    expect(body.field_errors!['querystring.status']).toEqual([
      'must be one of: draft, documents_received, processing, ready_for_review, approved, booked, rejected, cancelled',
    ]);
  });

  it('hides the message, stack and SQL of an internal error and logs it with the same request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/boom', headers: { 'x-request-id': 'trace-boom-0001' } });
    const body = expectProblem(res, 500, 'INTERNAL_ERROR');
    expect(body.request_id).toBe('trace-boom-0001');
    expect(body.detail).toBe('Internal server error');
    expect(body).not.toHaveProperty('details');
    expect(body).not.toHaveProperty('stack');
    expect(res.body).not.toContain('password_hash');
    expect(res.body).not.toContain('s3://');
    expect(res.body).not.toContain('.ts:');
    const line = logs.lines().find((l) => l.request_id === 'trace-boom-0001' && l.msg === 'request failed');
    expect(line).toBeDefined();
    expect(line!.level).toBe('error');
    expect(line!.error_code).toBe('INTERNAL_ERROR');
    const err = line!.err as { message: string; stack: string };
    expect(err.message).toBe(SQL_LEAK);
    expect(err.stack).toContain('errors.test.ts');
  });

  it('shows only whitelisted details of a 5xx', async () => {
    const hidden = await t.app.inject({ method: 'GET', url: '/test/upstream' });
    const body = expectProblem(hidden, 502, 'UPSTREAM_ERROR');
    expect(body.detail).toBe('Upstream service error');
    expect(body).not.toHaveProperty('details');
    expect(hidden.body).not.toContain('private-bucket');
    const safe = await t.app.inject({ method: 'GET', url: '/test/upstream?which=safe' });
    expect(expectProblem(safe, 502, 'UPSTREAM_ERROR').details).toEqual({ dependency: 'bedrock', retry_after_seconds: 3 });
  });

  it('maps errors that carry only an HTTP status to the catalogue', async () => {
    const cases: [number, number, string][] = [
      [409, 409, 'CONFLICT'],
      [418, 400, 'BAD_REQUEST'],
      [429, 429, 'RATE_LIMITED'],
      [503, 503, 'SERVICE_UNAVAILABLE'],
      [502, 500, 'INTERNAL_ERROR'],
    ];
    for (const [thrown, status, code] of cases) {
      const res = await t.app.inject({ method: 'GET', url: `/test/status/${thrown}` });
      const body = expectProblem(res, status, code);
      expect(body.detail).not.toContain('framework-ish');
    }
  });
});

describe('request ids', () => {
  it('echoes a well-formed incoming X-Request-ID and logs the request under it', async () => {
    const id = 'edge-7f3a9c21-trace';
    const res = await t.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': id } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe(id);
    const line = logs.lines().find((l) => l.request_id === id && l.msg === 'request completed');
    expect(line).toMatchObject({ method: 'GET', route: '/health/live', status: 200, level: 'info' });
    expect(typeof line!.latency_ms).toBe('number');
  });

  it('replaces a malformed incoming id with its own', async () => {
    for (const bad of ['short', 'has spaces in it', 'x'.repeat(129), 'semi;colon;injection']) {
      const res = await t.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': bad } });
      const id = res.headers['x-request-id'] as string;
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('makes a distinct id per request and puts the caller on the log line', async () => {
    const who = await t.auth('viewer');
    const a = await t.app.inject({ method: 'GET', url: '/api/v1/products', headers: { authorization: who.authorization } });
    const b = await t.app.inject({ method: 'GET', url: '/api/v1/products', headers: { authorization: who.authorization } });
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    const line = logs.lines().find((l) => l.request_id === a.headers['x-request-id'] && l.msg === 'request completed');
    expect(line).toMatchObject({ user_id: who.userId, tenant_id: who.tenantId, route: '/api/v1/products' });
  });
});

describe('log redaction', () => {
  it('never writes credentials to the log', async () => {
    const token = analyst.slice('Bearer '.length);
    const res = await t.app.inject({
      method: 'POST',
      url: '/test/log-probe',
      headers: { authorization: analyst, 'x-request-id': 'probe-redaction-1' },
      payload: { password: 'hunter2-but-longer', new_password: 'n3w-secret-pass', token: 'opaque-token-value', customer_name: 'Acme Holdings' },
    });
    expect(res.statusCode).toBe(200);
    const line = logs.lines().find((l) => l.request_id === 'probe-redaction-1' && l.msg === 'probe') as {
      headers: Record<string, string>;
      body: Record<string, string>;
      password: string;
    };
    expect(line.headers.authorization).toBe('[redacted]');
    expect(line.body.password).toBe('[redacted]');
    expect(line.body.new_password).toBe('[redacted]');
    expect(line.body.token).toBe('[redacted]');
    expect(line.body.customer_name).toBe('[redacted]');
    expect(line.password).toBe('[redacted]');
    const text = logs.text();
    for (const secret of [token, 'hunter2-but-longer', 'n3w-secret-pass', 'opaque-token-value', 'top-level-pw', 'Acme Holdings']) {
      expect(text).not.toContain(secret);
    }
  });
});
