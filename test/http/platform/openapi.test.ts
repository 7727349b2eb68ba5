import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { servedRoutes } from './route-tree.js';

// Some tests here start extra app instances (an embedded database each): slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}
interface Response {
  description?: string;
  content?: Record<string, { schema?: Record<string, unknown> }>;
}
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
  responses: Record<string, Response>;
  security?: unknown[];
}
interface Document {
  openapi: string;
  info: { title: string; description: string; version: string; contact: Record<string, string>; license: Record<string, string> };
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

let t: TestApp;
let doc: Document;

beforeAll(async () => {
  t = await createTestApp();
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json<Document>();
});
afterAll(async () => t.close());

function operations(): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with title, description, version, contact, license and tags', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Commercial Loan Service API');
    expect(doc.info.description.length).toBeGreaterThan(40);
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(doc.info.contact).toMatchObject({ name: expect.any(String), email: expect.stringContaining('@') });
    expect(doc.info.license.name).toBeTruthy();
    expect(doc.tags.length).toBeGreaterThan(3);
    for (const tag of doc.tags) expect(tag.description.length).toBeGreaterThan(10);
    expect(doc.components.schemas).toHaveProperty('Problem');
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['bearerAuth']));
  });

  it('documents every route the app serves (except the document itself and the docs UI)', () => {
    const documented = new Set(operations().map(({ method, path }) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const served = servedRoutes(t.app).filter((r) => !r.includes(' /docs') && r !== 'GET /openapi.json' && !r.endsWith(' *'));
    expect(served.length).toBeGreaterThan(20);
    const undocumented = served.filter((r) => !documented.has(r));
    expect(undocumented).toEqual([]);
  });

  it('describes every operation fully: summary, description, tags, inputs and every response', () => {
    const tagNames = new Set(doc.tags.map((x) => x.name));
    const problems: string[] = [];
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      if (!op.summary?.trim()) problems.push(`${where}: no summary`);
      if (!op.description?.trim() || op.description.length < 15) problems.push(`${where}: no description`);
      if (!op.tags?.length) problems.push(`${where}: no tags`);
      for (const tag of op.tags ?? []) if (!tagNames.has(tag)) problems.push(`${where}: tag ${tag} is not declared`);

      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)) {
        const p = op.parameters?.find((x) => x.in === 'path' && x.name === name);
        if (!p?.schema || p.required !== true) problems.push(`${where}: path parameter ${name} has no schema`);
      }
      for (const p of op.parameters ?? []) if (!p.schema) problems.push(`${where}: ${p.in} parameter ${p.name} has no schema`);
      if ((method === 'PUT' || method === 'PATCH') && !op.requestBody) problems.push(`${where}: no request body schema`);
      if (op.requestBody) {
        const media = Object.values(op.requestBody.content ?? {});
        if (media.length === 0 || media.some((m) => !m.schema)) problems.push(`${where}: request body without a schema`);
      }

      const statuses = Object.keys(op.responses);
      if (!statuses.some((s) => /^[23]/.test(s))) problems.push(`${where}: no success response`);
      if (!statuses.some((s) => s.startsWith('4'))) problems.push(`${where}: no error response`);
      if (!statuses.includes('500')) problems.push(`${where}: 500 not documented`);
      const isPublic = Array.isArray(op.security) && op.security.length === 0;
      if (!isPublic && (!statuses.includes('401') || !statuses.includes('403'))) problems.push(`${where}: protected but 401/403 not documented`);
      for (const [status, response] of Object.entries(op.responses)) {
        if (!response.description?.trim()) problems.push(`${where} ${status}: no description`);
        const bodiless = status === '204' || status.startsWith('3');
        if (bodiless) continue;
        const media = Object.entries(response.content ?? {});
        if (media.length === 0 || media.some(([, m]) => !m.schema)) {
          problems.push(`${where} ${status}: no response schema`);
          continue;
        }
        if (/^[45]/.test(status)) {
          const [type, m] = media[0]!;
          if (m.schema?.$ref !== '#/components/schemas/Problem') problems.push(`${where} ${status}: error body is not a Problem (${type})`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('serves the docs UI as HTML with a CSP that lets its own scripts run', async () => {
    let url = '/docs';
    let page = await t.app.inject({ method: 'GET', url });
    for (let hops = 0; page.statusCode === 302 && hops < 3; hops++) {
      url = new URL(page.headers.location as string, `http://localhost${url}`).pathname;
      page = await t.app.inject({ method: 'GET', url });
    }
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<html/i);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const spec = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.statusCode).toBe(200);
    expect(spec.json<Document>().openapi).toBe('3.1.0');
  });

  it('can be switched off', async () => {
    const off = await createTestApp({ env: { DOCS_ENABLED: 'false' }, database: t.database });
    try {
      expect((await off.app.inject({ method: 'GET', url: '/docs/static/index.html' })).statusCode).toBe(404);
      expect((await off.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(404);
    } finally {
      await off.close();
    }
  });
});
