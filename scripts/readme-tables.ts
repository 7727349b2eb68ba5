import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EnvSchema } from '../src/config/env-schema.js';
import { ROLES, PERMISSIONS, ROLE_PERMISSIONS, type Permission } from '../src/modules/auth/roles.js';
import { ROUTE_RULES, ROUTE_BUCKETS } from '../src/modules/auth/permissions.js';

/**
 * Regenerates the README's configuration table (from the EnvSchema) and its roles and route-permission
 * tables (from roles.ts and permissions.ts), so the README cannot drift from the code:
 *   npm run docs:readme
 * test/unit/docs/readme-tables.test.ts fails when the committed README differs from what this produces.
 */

type SchemaNode = Record<string, unknown>;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (text: string) => `\`${text}\``;

function humanBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} B`;
}

function humanDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  }
  return `${ms} ms`;
}

/** The raw number a variable takes, with its meaning in bytes or time when the name says which. */
function formatNumber(name: string, n: number, asCode = false): string {
  const raw = asCode ? code(String(n)) : String(n);
  if (name.endsWith('_BYTES') && n > 0) return `${raw} (${humanBytes(n)})`;
  if (name.endsWith('_MS') && n >= 1000) return `${raw} (${humanDuration(n)})`;
  return raw;
}

function formatDefault(name: string, node: SchemaNode): string {
  const def = node.default;
  if (def === undefined) return 'unset';
  if (typeof def === 'number') return formatNumber(name, def, true);
  if (def === '') return '(empty)';
  return code(typeof def === 'string' || typeof def === 'boolean' ? String(def) : JSON.stringify(def));
}

function allowedValues(name: string, node: SchemaNode): string {
  const oneOf = node['x-one-of'] as readonly string[] | undefined;
  if (oneOf) return oneOf.map(code).join(', ');
  if (node.type === 'boolean') return `${code('true')}, ${code('false')}`;
  if (node.type === 'integer') {
    const min = node.minimum as number;
    const max = node.maximum as number;
    return `integer ${formatNumber(name, min)} to ${formatNumber(name, max)}`;
  }
  if (typeof node.pattern === 'string') return `matches ${code(node.pattern)}`;
  return 'text';
}

/** One row per EnvSchema variable, in schema order: name, default, allowed values, meaning. */
export function configTable(): string {
  const rows = ['| Variable | Default | Values | Meaning |', '|---|---|---|---|'];
  for (const [name, schema] of Object.entries(EnvSchema.properties)) {
    const node = schema as unknown as SchemaNode;
    const secret = node['x-secret'] === true;
    const meaning = `${String(node.description)}${secret ? ` **Secret**: never logged; may come from ${code(`${name}_FILE`)} or Secrets Manager.` : ''}`;
    rows.push(`| ${code(name)} | ${formatDefault(name, node)} | ${cell(allowedValues(name, node))} | ${cell(meaning)} |`);
  }
  return [
    'Generated from `src/config/env-schema.ts` by `npm run docs:readme`. Any variable can also be read from a file',
    'named by `NAME_FILE` (for example `AUTH_JWT_SECRET_FILE=/run/secrets/jwt`); setting both `NAME` and `NAME_FILE` is an error.',
    '',
    ...rows,
  ].join('\n');
}

const routeTemplate = (key: string) => key.replace(/:([A-Za-z]+)/g, '{$1}');

function rolesWith(permission: Permission): string {
  return ROLES.filter((r) => ROLE_PERMISSIONS[r].includes(permission)).join(', ');
}

/** The permissions x roles matrix, then the rule of every /api/v1 route. */
export function rolesTable(): string {
  const matrix = [`| Permission | ${ROLES.join(' | ')} |`, `|---|${ROLES.map(() => ':-:').join('|')}|`];
  for (const p of PERMISSIONS) {
    matrix.push(`| ${code(p)} | ${ROLES.map((r) => (ROLE_PERMISSIONS[r].includes(p) ? 'yes' : '')).join(' | ')} |`);
  }
  const routes = ['| Route | Needs | Roles | Extra rate limit |', '|---|---|---|---|'];
  for (const [key, rule] of Object.entries(ROUTE_RULES)) {
    const needs = rule === 'public' ? 'nothing (public)' : rule === 'authenticated' ? 'any valid token' : code(rule);
    const roles = rule === 'public' ? 'anyone' : rule === 'authenticated' ? ROLES.join(', ') : rolesWith(rule);
    const bucket = ROUTE_BUCKETS[key];
    routes.push(`| ${code(routeTemplate(key))} | ${needs} | ${roles} | ${bucket ? `${bucket} bucket` : ''} |`);
  }
  return [
    'Generated from `src/modules/auth/roles.ts` and `src/modules/auth/permissions.ts` by `npm run docs:readme`.',
    'Route rules name permissions, never roles; a route missing from the table is refused to everyone.',
    '',
    ...matrix,
    '',
    ...routes,
    '',
    'Every route also has the per-user limit (`RATE_LIMIT_PER_MINUTE`) and a per-address limit; the login, upload',
    'and extraction buckets add `RATE_LIMIT_LOGIN_PER_MINUTE`, `RATE_LIMIT_UPLOAD_PER_MINUTE` and',
    '`RATE_LIMIT_EXTRACTION_PER_MINUTE`. Multipart `POST /api/v1/loan-bookings` (booking with files) counts as an upload.',
  ].join('\n');
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`; both markers must exist once. */
export function replaceBlock(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1 || to < from || text.indexOf(start, from + 1) !== -1 || text.indexOf(end, to + 1) !== -1) {
    throw new Error(`README must contain ${start} then ${end}, once each`);
  }
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

/** The README with both generated blocks brought up to date. */
export function renderReadme(readme: string): string {
  return replaceBlock(replaceBlock(readme, 'config-table', configTable()), 'roles-table', rolesTable());
}

function main(): void {
  const file = path.resolve(process.argv[2] ?? 'README.md');
  const before = readFileSync(file, 'utf8');
  const after = renderReadme(before);
  if (after === before) {
    process.stdout.write(`${file} is up to date.\n`);
    return;
  }
  writeFileSync(file, after);
  process.stdout.write(`${file} updated.\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
