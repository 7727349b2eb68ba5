import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CATALOGUE, isAppError, notFound, validationError } from '../../../src/lib/errors.js';
import { errorResponses, publicErrorResponses } from '../../../src/lib/http-schemas.js';
import { loggerOptions } from '../../../src/lib/logger.js';
import { createRouteIndex, toAppError, toFieldErrors } from '../../../src/plugins/errors.js';

describe('logger options', () => {
  function logTo(level: 'info' | 'silent' = 'info') {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = pino({ ...loggerOptions({ profile: 'test', log: { level, pretty: false, debug: false } }), transport: undefined }, stream);
    return { log, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('writes structured lines with service, ISO time and a level label', () => {
    const { log, lines } = logTo();
    log.info({ route: '/x' }, 'hello');
    const [line] = lines();
    expect(line).toMatchObject({ level: 'info', service: 'commercial-loan-service', route: '/x', msg: 'hello' });
    expect(new Date(line!.time as string).toISOString()).toBe(line!.time);
  });

  it('redacts credentials and customer data wherever they appear one level deep', () => {
    const { log, lines } = logTo();
    log.info(
      {
        req: { headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'x-api-key': 'k' } },
        body: { password: 'p', new_password: 'n', current_password: 'c', refresh_token: 'r', access_token: 'a', customer_name: 'Acme', email: 'a@b.c', secret: 's' },
        password: 'top',
        token: 't',
      },
      'm',
    );
    const text = JSON.stringify(lines()[0]);
    for (const leaked of ['Bearer abc', 'sid=1', '"k"', '"p"', '"n"', '"c"', '"r"', '"a"', 'Acme', 'a@b.c', '"s"', '"top"', '"t"']) expect(text).not.toContain(leaked);
  });

  it('uses pino-pretty only for development with LOG_PRETTY', () => {
    expect(loggerOptions({ profile: 'development', log: { level: 'debug', pretty: true, debug: true } }).transport).toMatchObject({ target: 'pino-pretty' });
    expect(loggerOptions({ profile: 'production', log: { level: 'info', pretty: true, debug: false } }).transport).toBeUndefined();
    expect(loggerOptions({ profile: 'development', log: { level: 'info', pretty: false, debug: false } }).transport).toBeUndefined();
  });
});

describe('error catalogue', () => {
  it('builds AppErrors with the catalogue status and title', () => {
    const e = new AppError('LOAN_BOOKING_NOT_FOUND');
    expect(e).toMatchObject({ code: 'LOAN_BOOKING_NOT_FOUND', status: 404, message: 'Loan booking not found', name: 'AppError' });
    expect(isAppError(e)).toBe(true);
    expect(isAppError(new Error('x'))).toBe(false);
    expect(notFound('USER_NOT_FOUND', 'gone').message).toBe('gone');
    expect(validationError({ a: ['b'] })).toMatchObject({ code: 'VALIDATION_FAILED', fieldErrors: { a: ['b'] } });
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(code).toMatch(/^[A-Z_]+$/);
    }
  });

  it('maps framework and unknown errors', () => {
    expect(toAppError({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }).code).toBe('INVALID_JSON');
    expect(toAppError({ code: 'FST_REQ_FILE_TOO_LARGE', statusCode: 413 }).code).toBe('PAYLOAD_TOO_LARGE');
    expect(toAppError({ code: 'FST_ERR_NOT_FOUND', statusCode: 404 }).code).toBe('ROUTE_NOT_FOUND');
    expect(toAppError({ statusCode: 404 }).code).toBe('NOT_FOUND');
    expect(toAppError({ statusCode: 499 }).code).toBe('BAD_REQUEST');
    expect(toAppError('a string').code).toBe('INTERNAL_ERROR');
    expect(toAppError(null).code).toBe('INTERNAL_ERROR');
    expect(toAppError({ validation: [{ instancePath: '/id', message: 'bad' }], validationContext: 'params' })).toMatchObject({ code: 'BAD_REQUEST', fieldErrors: { 'params.id': ['bad'] } });
    expect(toAppError({ validation: [], validationContext: undefined }).message).toBe('The request input is not valid');
  });

  it('turns Ajv errors into field errors', () => {
    expect(
      toFieldErrors(
        [
          { instancePath: '', keyword: 'required', params: { missingProperty: 'a' }, message: 'x' },
          { instancePath: '/b/0', keyword: 'enum', params: { allowedValues: ['x', 'y'] } },
          { instancePath: '/c', keyword: 'const', params: { allowedValue: 'p' } },
          { instancePath: '/c', keyword: 'const', params: { allowedValue: 'q' } },
          { instancePath: '/c', keyword: 'anyOf', params: {}, message: 'must match a schema in anyOf' },
          { instancePath: '/d', keyword: 'type' },
          { instancePath: '', keyword: 'type', message: 'must be object' },
        ],
        'body',
      ),
    ).toEqual({ a: ['is required'], 'b.0': ['must be one of: x, y'], c: ['must be one of: p, q'], d: ['is invalid'], '(root)': ['must be object'] });
    expect(toFieldErrors([{ instancePath: '', keyword: 'type', message: 'must be object' }], 'querystring')).toEqual({ querystring: ['must be object'] });
  });

  it('route index answers which methods a path allows', () => {
    const index = createRouteIndex();
    index.add('GET', '/a/:id');
    index.add('PATCH', '/a/:id');
    index.add('GET', '/files/*');
    index.add('GET', '/x.y');
    expect(index.allowedMethods('/a/123')).toEqual(['GET', 'PATCH']);
    expect(index.allowedMethods('/a/123/')).toEqual(['GET', 'PATCH']);
    expect(index.allowedMethods('/a/1/2')).toEqual([]);
    expect(index.allowedMethods('/files/deep/path')).toEqual(['GET']);
    expect(index.allowedMethods('/xzy')).toEqual([]);
  });

  it('route schemas document the common error statuses', () => {
    expect(Object.keys(errorResponses(404))).toEqual(['400', '401', '403', '404', '429', '500', '503']);
    expect(Object.keys(publicErrorResponses(415))).toEqual(['400', '415', '429', '500', '503']);
    expect(errorResponses(499)['499']).toMatchObject({ description: 'Error.' });
  });
});
