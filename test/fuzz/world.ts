/**
 * The fuzzer's world: one app on a fresh PGlite, two tenants, a caller per role, and real objects
 * (bookings, documents, users, a product) in each tenant whose names carry a random marker, so that
 * any response can be searched for the other tenant's data. Each tenant also has "protected"
 * objects that only the other tenant's callers are pointed at: they must come out untouched.
 */
import { randomBytes } from 'node:crypto';
import type { Role } from '../../src/modules/auth/roles.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

export type TenantKey = 'A' | 'B';

export interface Caller {
  name: string;
  tenant: TenantKey | undefined;
  role: Role | undefined;
  authorization: string | undefined;
}

export interface TenantWorld {
  key: TenantKey;
  tenantId: string;
  /** Random letters carried by every name of this tenant's objects. */
  marker: string;
  bookings: string[];
  protectedBookings: string[];
  documents: string[];
  protectedDocuments: string[];
  users: string[];
  protectedUsers: string[];
  product: string;
  protectedProduct: string;
  /** Ids of objects the fuzzer's own requests created (extraction runs, sheets...), by resource. */
  harvested: string[];
  /** Strings that must never reach a caller of the other tenant (unless the caller sent them). */
  secrets: Set<string>;
  admin: string;
}

export interface World {
  t: TestApp;
  tenants: Record<TenantKey, TenantWorld>;
  callers: Caller[];
  catalogue: string[];
  close(): Promise<void>;
}

const letters = (n: number): string =>
  [...randomBytes(n)].map((b) => String.fromCharCode(97 + (b % 26))).join('');

/** multipart/form-data with text fields and file parts, built in memory (small files only). */
export function multipartBody(
  fields: [string, string][],
  files: { field: string; name: string; type: string; data: Buffer }[],
): { payload: Buffer; contentType: string } {
  const boundary = `----fuzz${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of fields)
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.name}"\r\nContent-Type: ${f.type}\r\n\r\n`,
      ),
    );
    parts.push(f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function expectStatus(
  res: { statusCode: number; body: string },
  status: number,
  what: string,
): Promise<void> {
  if (res.statusCode !== status)
    throw new Error(`fuzz setup: ${what} answered ${res.statusCode}: ${res.body.slice(0, 500)}`);
}

async function buildTenant(t: TestApp, key: TenantKey): Promise<{ tenant: TenantWorld; callers: Caller[] }> {
  const marker = `${key === 'A' ? 'Alpha' : 'Bravo'}${letters(10)}`;
  const tenantId = `fuzz-${key.toLowerCase()}-${letters(8)}`;
  const roles: Role[] = key === 'A' ? ['viewer', 'analyst', 'approver', 'admin'] : ['analyst', 'admin'];
  const callers: Caller[] = [];
  const secrets = new Set<string>([tenantId, marker, marker.toLowerCase()]);
  const byRole: Partial<Record<Role, string>> = {};
  for (const role of roles) {
    const a = await t.auth(role, tenantId);
    byRole[role] = a.authorization;
    secrets.add(a.userId);
    callers.push({ name: `${key}:${role}`, tenant: key, role, authorization: a.authorization });
  }
  const analyst = byRole.analyst!;
  const admin = byRole.admin!;

  const booking = async (i: number): Promise<string> => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/loan-bookings',
      headers: { authorization: analyst },
      payload: {
        customer_name: `${marker} Holdings ${i}`,
        product_id: 'term-loans',
        external_reference: `REF-${marker}-${i}`,
        notes: `notes ${marker}`,
      },
    });
    await expectStatus(res, 201, 'create booking');
    const id = res.json<{ id: string }>().id;
    secrets.add(id);
    return id;
  };
  const bookings = [await booking(1), await booking(2), await booking(3), await booking(4)];
  const protectedBookings = [await booking(5), await booking(6)];

  const upload = async (bookingId: string, i: number): Promise<string> => {
    const name = `${marker}-document-${i}.txt`;
    const mp = multipartBody(
      [],
      [
        {
          field: 'files',
          name,
          type: 'text/plain',
          data: Buffer.from(`Term sheet ${marker} number ${i}.\nCommitment: USD 1,000,000.\n`),
        },
      ],
    );
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/loan-bookings/${bookingId}/documents`,
      headers: { authorization: analyst, 'content-type': mp.contentType },
      payload: mp.payload,
    });
    await expectStatus(res, 201, 'upload document');
    const doc = res.json<{ items: { id: string; sha256: string }[] }>().items[0]!;
    secrets.add(doc.id);
    secrets.add(doc.sha256);
    secrets.add(name);
    return doc.id;
  };
  const documents = [await upload(bookings[0]!, 1), await upload(bookings[1]!, 2)];
  const protectedDocuments = [await upload(protectedBookings[0]!, 3)];

  const user = async (i: number): Promise<string> => {
    const email = `${marker.toLowerCase()}.${i}@example.com`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: admin },
      payload: {
        email,
        display_name: `${marker} Person ${i}`,
        roles: ['viewer'],
        password: `Sturdy-${marker}-Passphrase-${i}`,
      },
    });
    await expectStatus(res, 201, 'create user');
    const id = res.json<{ id: string }>().id;
    secrets.add(id);
    secrets.add(email);
    return id;
  };
  const users = [await user(1), await user(2)];
  const protectedUsers = [await user(3)];

  const product = async (suffix: string): Promise<string> => {
    const id = `${marker.toLowerCase()}-${suffix}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: { authorization: admin },
      payload: { id, name: `${marker} ${suffix} facility`, description: `Product of ${marker}` },
    });
    await expectStatus(res, 201, 'create product');
    secrets.add(id);
    return id;
  };
  const tenant: TenantWorld = {
    key,
    tenantId,
    marker,
    bookings,
    protectedBookings,
    documents,
    protectedDocuments,
    users,
    protectedUsers,
    product: await product('own'),
    protectedProduct: await product('kept'),
    harvested: [],
    secrets,
    admin,
  };
  return { tenant, callers };
}

const ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Remembers the ids in a successful answer (top level and items) as the caller's tenant's objects:
 * later operations, including routes this harness does not know, are pointed at them, and they
 * become secrets the other tenant must never see.
 */
export function harvest(world: World, caller: Caller, body: unknown): void {
  if (!caller.tenant || !body || typeof body !== 'object') return;
  const tenant = world.tenants[caller.tenant];
  const candidates: unknown[] = [(body as { id?: unknown }).id];
  const items = (body as { items?: unknown }).items;
  if (Array.isArray(items))
    for (const item of items.slice(0, 5)) candidates.push((item as { id?: unknown } | null)?.id);
  for (const id of candidates) {
    if (typeof id !== 'string' || !ID_RE.test(id) || tenant.secrets.has(id)) continue;
    tenant.secrets.add(id);
    tenant.harvested.push(id);
  }
}

export async function createWorld(): Promise<World> {
  const t = await createTestApp();
  try {
    const a = await buildTenant(t, 'A');
    const b = await buildTenant(t, 'B');
    const products = await t.app.inject({
      method: 'GET',
      url: '/api/v1/products',
      headers: { authorization: a.tenant.admin },
    });
    const catalogue = products
      .json<{ items: { id: string }[] }>()
      .items.map((p) => p.id)
      .filter((id) => !a.tenant.secrets.has(id));
    const callers: Caller[] = [
      ...a.callers,
      ...b.callers,
      { name: 'anonymous', tenant: undefined, role: undefined, authorization: undefined },
      {
        name: 'forged-token',
        tenant: undefined,
        role: undefined,
        authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
      },
    ];
    return { t, tenants: { A: a.tenant, B: b.tenant }, callers, catalogue, close: () => t.close() };
  } catch (err) {
    await t.close();
    throw err;
  }
}

/** Where the other tenant's data shows in a response the caller did not ask for by name. */
export function leakedSecrets(
  world: World,
  caller: Caller,
  requestText: string,
  responseText: string,
): string[] {
  const others: TenantWorld[] =
    caller.tenant === undefined
      ? [world.tenants.A, world.tenants.B]
      : [world.tenants[caller.tenant === 'A' ? 'B' : 'A']];
  const leaks: string[] = [];
  for (const other of others) {
    for (const secret of other.secrets) {
      if (responseText.includes(secret) && !requestText.includes(secret))
        leaks.push(`${other.key}:${secret}`);
    }
  }
  return leaks;
}
