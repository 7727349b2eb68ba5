import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../../../src/config/env-schema.js';
import { secretVariableNames } from '../../../src/config/load.js';
import { PERMISSIONS, ROLES } from '../../../src/modules/auth/roles.js';
import { ROUTE_RULES } from '../../../src/modules/auth/permissions.js';
import { configTable, rolesTable, renderReadme, replaceBlock } from '../../../scripts/readme-tables.js';

const README = path.resolve(import.meta.dirname, '../../../README.md');

const tableRows = (table: string) => table.split('\n').filter((l) => l.startsWith('| `'));

describe('README generated tables', () => {
  it('README.md is up to date with the env schema, the roles and the route rules (run `npm run docs:readme`)', () => {
    const readme = readFileSync(README, 'utf8');
    const expected = renderReadme(readme);
    const missing = expected.split('\n').filter((line) => !readme.split('\n').includes(line));
    expect(missing, `README.md is out of date; run npm run docs:readme. Lines it lacks:\n${missing.slice(0, 10).join('\n')}`).toEqual([]);
    expect(expected).toBe(readme);
  });

  it('the configuration table has one row per EnvSchema variable, in schema order, with its default', () => {
    const rows = tableRows(configTable());
    const names = rows.map((r) => /^\| `([A-Z0-9_]+)`/.exec(r)?.[1]);
    expect(names).toEqual(Object.keys(EnvSchema.properties));
    expect(rows.find((r) => r.startsWith('| `PORT` |'))).toContain('| `8000` |');
    expect(rows.find((r) => r.startsWith('| `BODY_LIMIT_BYTES` |'))).toContain('`1048576` (1 MiB)');
    expect(rows.find((r) => r.startsWith('| `WORKER_MODE` |'))).toContain('`embedded`, `off`');
    expect(rows.find((r) => r.startsWith('| `HOST` |'))).toContain('| unset |');
  });

  it('marks exactly the secret variables, naming their _FILE form', () => {
    const rows = tableRows(configTable());
    const marked = rows.filter((r) => r.includes('**Secret**')).map((r) => /^\| `([A-Z0-9_]+)`/.exec(r)![1]);
    const schemaSecrets = secretVariableNames.filter((n) => n in EnvSchema.properties);
    expect(marked.sort()).toEqual([...schemaSecrets].sort());
    expect(marked.length).toBeGreaterThan(0);
    for (const name of marked) expect(rows.find((r) => r.startsWith(`| \`${name}\` |`))).toContain(`\`${name}_FILE\``);
  });

  it('the roles table shows every permission for every role and every route rule', () => {
    const table = rolesTable();
    expect(table).toContain(`| Permission | ${ROLES.join(' | ')} |`);
    for (const p of PERMISSIONS) expect(table).toMatch(new RegExp(`^\\| \`${p}\` \\|`, 'm'));
    // viewer reads, never writes; admin holds everything.
    expect(table).toMatch(/^\| `bookings:read` \| yes \| yes \| yes \| yes \|$/m);
    expect(table).toContain('\n| `sheets:approve` |  |  | yes | yes |\n');
    const routeRows = tableRows(table).filter((r) => /^\| `(GET|POST|PUT|PATCH|DELETE) /.test(r));
    expect(routeRows).toHaveLength(Object.keys(ROUTE_RULES).length);
    expect(table).toContain('| `GET /api/v1/loan-bookings/{id}` | `bookings:read` | viewer, analyst, approver, admin |');
    expect(table).toContain('| `POST /api/v1/auth/token` | nothing (public) | anyone | login bucket |');
  });

  it('a README whose table is stale or hand-edited is detected', () => {
    const readme = readFileSync(README, 'utf8');
    const stale = readme.replace('| `PORT` | `8000` |', '| `PORT` | `8080` |');
    expect(stale).not.toBe(readme);
    expect(renderReadme(stale)).not.toBe(stale);
    expect(renderReadme(stale)).toBe(renderReadme(readme));
  });

  it('refuses a README without both markers, or with one twice', () => {
    expect(() => replaceBlock('no markers here', 'config-table', 'x')).toThrow(/config-table:start/);
    const twice = '<!-- a:start -->\n<!-- a:end -->\n<!-- a:start -->\n<!-- a:end -->';
    expect(() => replaceBlock(twice, 'a', 'x')).toThrow();
    expect(replaceBlock('before\n<!-- a:start -->\nold\n<!-- a:end -->\nafter', 'a', 'new')).toBe('before\n<!-- a:start -->\nnew\n<!-- a:end -->\nafter');
  });
});
