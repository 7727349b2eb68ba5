import { describe, expect, it } from 'vitest';
import { hardenDocument, operationIdFor } from '../../../src/plugins/openapi.js';

type Doc = Parameters<typeof hardenDocument>[0];

function sampleDocument(): Doc {
  return {
    openapi: '3.1.0',
    servers: [{ url: '/', description: 'local, staging or production' }],
    components: { schemas: { Thing: { type: 'object', properties: { n: { type: 'integer', minimum: 0, maximum: 10 } } } } },
    paths: {
      '/api/v1/loan-bookings/{id}/documents': {
        get: {
          responses: {
            200: { description: 'ok', content: { 'application/json': { schema: { type: 'integer', minimum: 0 } } } },
            404: { description: 'not found' },
            429: { description: 'slow down' },
            500: { description: 'oops' },
          },
        },
        post: {
          operationId: 'uploadDocuments',
          responses: { 201: { description: 'created', headers: { location: { schema: { type: 'string', maxLength: 10 } } } } },
        },
      },
      '/health/ready': {
        get: { responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } },
      },
    },
  };
}

const headersOf = (doc: Doc, path: string, method: string, status: string) =>
  Object.keys(((doc.paths![path]![method] as { responses: Record<string, { headers?: object }> }).responses[status]!.headers ?? {}));

describe('OpenAPI document hardening', () => {
  it('derives stable operation ids from method and path, keeping ones a route declares', () => {
    expect(operationIdFor('GET', '/api/v1/loan-bookings/{id}/documents')).toBe('getLoanBookingsByIdDocuments');
    expect(operationIdFor('post', '/api/v1/loan-bookings/{id}/extractions/{runId}')).toBe('postLoanBookingsByIdExtractionsByRunId');
    expect(operationIdFor('get', '/health/live')).toBe('getHealthLive');
    const doc = hardenDocument(sampleDocument());
    const item = doc.paths!['/api/v1/loan-bookings/{id}/documents']!;
    expect((item.get as { operationId: string }).operationId).toBe('getLoanBookingsByIdDocuments');
    expect((item.post as { operationId: string }).operationId).toBe('uploadDocuments');
  });

  it('declares rate-limit headers on 2xx and 4xx of /api routes only, Retry-After on 429 and 503, CORS and request id everywhere', () => {
    const doc = hardenDocument(sampleDocument());
    const api = '/api/v1/loan-bookings/{id}/documents';
    expect(headersOf(doc, api, 'get', '200')).toEqual(
      expect.arrayContaining(['Access-Control-Allow-Origin', 'X-Request-ID', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']),
    );
    expect(headersOf(doc, api, 'get', '404')).toContain('RateLimit-Reset');
    expect(headersOf(doc, api, 'get', '429')).toContain('Retry-After');
    expect(headersOf(doc, api, 'get', '500')).not.toContain('RateLimit-Limit');
    expect(headersOf(doc, api, 'get', '500')).toContain('X-Request-ID');
    // A header the route declares itself is kept.
    expect(headersOf(doc, api, 'post', '201')).toEqual(expect.arrayContaining(['location', 'RateLimit-Limit', 'Access-Control-Allow-Origin']));
    // Probes are not rate limited, so they do not claim to be.
    expect(headersOf(doc, '/health/ready', 'get', '200')).not.toContain('RateLimit-Limit');
    expect(headersOf(doc, '/health/ready', 'get', '503')).toEqual(expect.arrayContaining(['Retry-After', 'Access-Control-Allow-Origin']));
    const components = doc.components as { headers: Record<string, { schema: Record<string, unknown> }> };
    expect(Object.keys(components.headers)).toEqual(
      expect.arrayContaining(['Access-Control-Allow-Origin', 'X-Request-ID', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After']),
    );
    for (const header of Object.values(components.headers)) {
      const s = header.schema;
      if (s.type === 'string') expect(s.maxLength).toBeTypeOf('number');
      if (s.type === 'integer') expect([s.format, typeof s.minimum, typeof s.maximum]).toEqual(['int32', 'number', 'number']);
    }
  });

  it('names the width of integers from their bounds, and marks the servers as internal', () => {
    const doc = hardenDocument(sampleDocument());
    const thing = (doc.components as { schemas: { Thing: { properties: { n: { format?: string } } } } }).schemas.Thing;
    expect(thing.properties.n.format).toBe('int32');
    const get = doc.paths!['/api/v1/loan-bookings/{id}/documents']!.get as {
      responses: Record<string, { content: Record<string, { schema: { format?: string } }> }>;
    };
    // No maximum: only int64 is certain.
    expect(get.responses['200']!.content['application/json']!.schema.format).toBe('int64');
    expect(doc.servers![0]!['x-internal']).toBe(true);
  });
});
