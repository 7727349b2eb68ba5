import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

// Some tests here start extra app instances (an embedded database each): slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const ADMIN_EMAIL = 'root@bank.example';
const ADMIN_PASSWORD = 'Gq4!tR8zW2#mK6vN';

let t: TestApp;
let admin: string;
let adminId: string;
const secretsSeen: string[] = [ADMIN_PASSWORD];

beforeAll(async () => {
  t = await createTestApp({ env: { BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  const session = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
  expect(session.statusCode).toBe(200);
  admin = `Bearer ${session.json().access_token}`;
  adminId = (await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: admin } })).json().id;
});
afterAll(async () => t.close());

async function login(username: string, password: string) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'password', username, password } });
  if (res.statusCode === 200) secretsSeen.push(res.json().access_token, res.json().refresh_token);
  return res;
}

async function refresh(refreshToken: string) {
  return t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'refresh_token', refresh_token: refreshToken } });
}

let seq = 0;
async function newUser(roles: string[] = ['analyst'], password = `Str0ng-Passw0rd-${++seq}!`) {
  const email = `user${seq}-${Date.now()}@bank.example`;
  secretsSeen.push(password);
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { authorization: admin }, payload: { email, display_name: ` User ${seq} `, roles, password } });
  expect(res.statusCode, res.body).toBe(201);
  return { ...res.json<{ id: string; email: string }>(), password, location: res.headers.location };
}

describe('users (admin)', () => {
  it('creates a user in the admin\'s organisation with Location, normalised email and trimmed name', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: admin },
      payload: { email: 'New.Analyst@Bank.Example', display_name: '  Ana Lyst ', roles: ['analyst', 'viewer'], password: 'Correct-Horse-Battery-9' },
    });
    secretsSeen.push('Correct-Horse-Battery-9');
    expect(res.statusCode, res.body).toBe(201);
    const user = res.json();
    expect(res.headers.location).toBe(`/api/v1/users/${user.id}`);
    expect(user).toMatchObject({ email: 'new.analyst@bank.example', display_name: 'Ana Lyst', roles: ['analyst', 'viewer'], tenant_id: 'default', active: true, locked_until: null });
    expect(user).not.toHaveProperty('password');
    expect(user).not.toHaveProperty('password_hash');
    const got = await t.app.inject({ method: 'GET', url: `/api/v1/users/${user.id}`, headers: { authorization: admin } });
    expect(got.json()).toEqual(user);
    expect((await login('new.analyst@bank.example', 'Correct-Horse-Battery-9')).statusCode).toBe(200);
  });

  it('enforces the password policy', async () => {
    const cases: [string, RegExp][] = [
      ['short-1A!', /at least 12/],
      ['password123', /at least 12/],
      ['changemechangeme'.slice(0, 8), /at least 12/],
      ['aaaaaaaaaaaaaaaa', /commonly used/],
      ['my-policyuser-pass', /email name/],
    ];
    for (const [password, message] of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { authorization: admin }, payload: { email: 'policyuser@bank.example', display_name: 'P', roles: ['viewer'], password } });
      expect(res.statusCode, password).toBe(422);
      expect(res.json().error_code).toBe('WEAK_PASSWORD');
      expect(res.json<{ field_errors: Record<string, string[]> }>().field_errors.password!.join(' ')).toMatch(message);
    }
    const tooLong = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { authorization: admin }, payload: { email: 'policyuser@bank.example', display_name: 'P', roles: ['viewer'], password: 'x'.repeat(257) } });
    expect(tooLong.statusCode).toBe(422);
  });

  it('refuses a taken email (whatever its case), bad roles and unknown fields', async () => {
    const u = await newUser();
    const dup = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { authorization: admin }, payload: { email: u.email.toUpperCase(), display_name: 'Dup', roles: ['viewer'], password: 'Another-Str0ng-Pass' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error_code).toBe('EMAIL_TAKEN');
    const role = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { authorization: admin }, payload: { email: 'r@bank.example', display_name: 'R', roles: ['superuser'], password: 'Another-Str0ng-Pass' } });
    expect(role.statusCode).toBe(422);
    expect(role.json().field_errors).toEqual({ 'roles.0': ['must be one of: viewer, analyst, approver, admin'] });
    const extra = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: { authorization: admin }, payload: { email: 'e@bank.example', display_name: 'E', roles: ['viewer'], password: 'Another-Str0ng-Pass', tenant_id: 'other' } });
    expect(extra.statusCode).toBe(422);
    expect(extra.json().field_errors).toEqual({ tenant_id: ['is not an allowed field'] });
  });

  it('lists users page by page', async () => {
    for (let i = 0; i < 3; i++) await newUser(['viewer']);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    type Page = { items: { id: string }[]; next_cursor: string | null; has_more: boolean };
    const fetchPage = async (after: string | null): Promise<Page> => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/users?limit=2${after ? `&cursor=${after}` : ''}`, headers: { authorization: admin } });
      expect(res.statusCode).toBe(200);
      return res.json<Page>();
    };
    do {
      const page = await fetchPage(cursor);
      expect(page.items.length).toBeLessThanOrEqual(2);
      expect(page.has_more).toBe(page.next_cursor !== null);
      seen.push(...page.items.map((u) => u.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(2);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(adminId);
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/users?cursor=bm90LWpzb24', headers: { authorization: admin } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error_code).toBe('INVALID_CURSOR');
  });

  it('changes roles and names, and hides users of other organisations', async () => {
    const u = await newUser(['viewer']);
    const dup = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.id}`, headers: { authorization: admin }, payload: { roles: ['approver', 'approver'] } });
    expect(dup.statusCode).toBe(422);
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.id}`, headers: { authorization: admin }, payload: { roles: ['approver'], display_name: 'Approver Person' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ roles: ['approver'], display_name: 'Approver Person' });
    const empty = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.id}`, headers: { authorization: admin }, payload: {} });
    expect(empty.statusCode).toBe(422);

    const otherAdmin = await t.auth('admin', 'tenant-other');
    for (const req of [
      { method: 'GET' as const, url: `/api/v1/users/${u.id}` },
      { method: 'PATCH' as const, url: `/api/v1/users/${u.id}`, payload: { active: false } },
      { method: 'POST' as const, url: `/api/v1/users/${u.id}/password-reset`, payload: { new_password: 'Hijack-Attempt-123' } },
    ]) {
      const r = await t.app.inject({ ...req, headers: { authorization: otherAdmin.authorization } });
      expect(r.statusCode, req.method).toBe(404);
      expect(r.json().error_code).toBe('USER_NOT_FOUND');
    }
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/users?limit=100', headers: { authorization: otherAdmin.authorization } });
    expect(list.json<{ items: { id: string }[] }>().items.map((x) => x.id)).not.toContain(u.id);
    expect((await login(u.email, u.password)).statusCode).toBe(200);
  });

  it('does not let an admin disable themselves or drop their own admin role', async () => {
    for (const payload of [{ active: false }, { roles: ['viewer'] }]) {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${adminId}`, headers: { authorization: admin }, payload });
      expect(res.statusCode).toBe(409);
      expect(res.json().error_code).toBe('INVALID_STATE');
    }
    const renamed = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${adminId}`, headers: { authorization: admin }, payload: { display_name: 'Root', roles: ['admin', 'approver'] } });
    expect(renamed.statusCode).toBe(200);
  });
});

describe('disabling a user', () => {
  it('stops sign-in, refresh and the access token already held; enabling restores sign-in', async () => {
    const u = await newUser(['analyst']);
    const session = (await login(u.email, u.password)).json();
    const bearer = { authorization: `Bearer ${session.access_token}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer })).statusCode).toBe(200);

    const off = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.id}`, headers: { authorization: admin }, payload: { active: false } });
    expect(off.statusCode).toBe(200);
    expect(off.json().active).toBe(false);

    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer });
    expect(me.statusCode).toBe(401);
    expect(me.json().error_code).toBe('INVALID_TOKEN');
    expect((await refresh(session.refresh_token)).json().error_code).toBe('INVALID_GRANT');
    const denied = await login(u.email, u.password);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error_code).toBe('ACCOUNT_DISABLED');
    // A wrong password for a disabled account gets the ordinary answer: disabled is not revealed to guessers.
    expect((await login(u.email, 'wrong-password-here')).json().error_code).toBe('INVALID_CREDENTIALS');

    const on = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.id}`, headers: { authorization: admin }, payload: { active: true } });
    expect(on.json().active).toBe(true);
    expect((await login(u.email, u.password)).statusCode).toBe(200);
  });

  it('reaches another instance within its five-second cache', async () => {
    const u = await newUser(['viewer']);
    const session = (await login(u.email, u.password)).json();
    const bearer = { authorization: `Bearer ${session.access_token}` };
    const other = await createTestApp({ database: t.database });
    try {
      expect((await other.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer })).statusCode).toBe(200);
      await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.id}`, headers: { authorization: admin }, payload: { active: false } });
      const deadline = Date.now() + 5500;
      let status = 200;
      while (Date.now() < deadline && status === 200) {
        status = (await other.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer })).statusCode;
        if (status === 200) await new Promise((r) => setTimeout(r, 250));
      }
      expect(status).toBe(401);
    } finally {
      await other.close();
    }
  });
});

describe('passwords', () => {
  it('change own password: needs the current one, applies the policy, signs out other sessions', async () => {
    const u = await newUser(['viewer']);
    const s1 = (await login(u.email, u.password)).json();
    const s2 = (await login(u.email, u.password)).json();
    const h = { authorization: `Bearer ${s1.access_token}` };
    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: h, payload: { current_password: 'not-it-at-all', new_password: 'Brand-New-Pass-42' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error_code).toBe('INVALID_CREDENTIALS');
    const weak = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: h, payload: { current_password: u.password, new_password: 'short' } });
    expect(weak.statusCode).toBe(422);
    expect(weak.json().error_code).toBe('WEAK_PASSWORD');

    const next = 'Brand-New-Pass-42';
    secretsSeen.push(next);
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: h, payload: { current_password: u.password, new_password: next } });
    expect(ok.statusCode).toBe(204);
    expect((await refresh(s1.refresh_token)).json().error_code).toBe('INVALID_GRANT');
    expect((await refresh(s2.refresh_token)).json().error_code).toBe('INVALID_GRANT');
    expect((await login(u.email, u.password)).statusCode).toBe(401);
    expect((await login(u.email, next)).statusCode).toBe(200);
  });

  it('admin reset: applies the policy, replaces the password and ends the user\'s sessions', async () => {
    const u = await newUser(['analyst']);
    const session = (await login(u.email, u.password)).json();
    const weak = await t.app.inject({ method: 'POST', url: `/api/v1/users/${u.id}/password-reset`, headers: { authorization: admin }, payload: { new_password: 'weak' } });
    expect(weak.statusCode).toBe(422);
    const next = 'Reset-By-Admin-Pass-7';
    secretsSeen.push(next);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/users/${u.id}/password-reset`, headers: { authorization: admin }, payload: { new_password: next } });
    expect(res.statusCode).toBe(204);
    expect((await refresh(session.refresh_token)).json().error_code).toBe('INVALID_GRANT');
    expect((await login(u.email, u.password)).statusCode).toBe(401);
    expect((await login(u.email, next)).statusCode).toBe(200);
    const missing = await t.app.inject({ method: 'POST', url: '/api/v1/users/0190a000-0000-7000-8000-000000000000/password-reset', headers: { authorization: admin }, payload: { new_password: next } });
    expect(missing.statusCode).toBe(404);
  });

  it('a user created without a password (helper) cannot sign in or change password', async () => {
    const bare = await t.auth('viewer', 'default');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { authorization: bare.authorization }, payload: { current_password: 'anything-at-all', new_password: 'Brand-New-Pass-43' } });
    expect(res.statusCode).toBe(401);
  });
});

describe('audit log', () => {
  interface Event {
    id: string;
    occurred_at: string;
    actor_id: string | null;
    action: string;
    outcome: string;
    target_type: string | null;
    target_id: string | null;
    ip: string | null;
    request_id: string | null;
    details: Record<string, unknown>;
  }
  const list = async (query: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/audit-events${query}`, headers: { authorization: admin } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: Event[]; next_cursor: string | null; has_more: boolean }>();
  };

  it('records sign-ins, failures, user changes and denials, newest first, with request ids', async () => {
    const u = await newUser(['viewer']);
    const failed = await login(u.email, 'definitely-wrong');
    const ok = await login(u.email, u.password);
    const denied = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${ok.json().access_token}` } });
    expect(denied.statusCode).toBe(403);

    const mine = (await list(`?actor_id=${u.id}&limit=100`)).items;
    expect(mine.map((e) => `${e.action}:${e.outcome}`)).toEqual(['access.denied:denied', 'auth.login:success', 'auth.login:failure']);
    expect(mine[0]).toMatchObject({ request_id: denied.headers['x-request-id'], details: { route: 'GET /api/v1/users', permission: 'users:manage' } });
    expect(mine[2]).toMatchObject({ request_id: failed.headers['x-request-id'], details: { reason: 'bad_password' }, ip: '127.0.0.1' });
    const created = (await list(`?action=user.create&limit=100`)).items.find((e) => e.target_id === u.id);
    expect(created).toMatchObject({ actor_id: adminId, outcome: 'success', target_type: 'user', details: { roles: ['viewer'] } });
    for (let i = 1; i < mine.length; i++) expect(mine[i - 1]!.occurred_at >= mine[i]!.occurred_at).toBe(true);
  });

  it('filters by action, outcome and time, and pages with a cursor bound to the filters', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 3; i++) await login('ghost@bank.example', `wrong-${i}-password`);
    const failures = await list(`?action=auth.login&outcome=failure&from=${encodeURIComponent(before)}&limit=2`);
    expect(failures.items).toHaveLength(2);
    expect(failures.has_more).toBe(true);
    for (const e of failures.items) expect(e).toMatchObject({ action: 'auth.login', outcome: 'failure' });
    const next = await list(`?action=auth.login&outcome=failure&from=${encodeURIComponent(before)}&limit=2&cursor=${failures.next_cursor}`);
    expect(next.items.length).toBeGreaterThanOrEqual(1);
    expect(next.items.map((e) => e.id)).not.toContain(failures.items[0]!.id);
    const reused = await t.app.inject({ method: 'GET', url: `/api/v1/audit-events?action=auth.refresh&cursor=${failures.next_cursor}`, headers: { authorization: admin } });
    expect(reused.statusCode).toBe(400);
    expect(reused.json().error_code).toBe('INVALID_CURSOR');
    const future = await list(`?to=${encodeURIComponent(before)}&action=auth.login&outcome=failure&limit=100`);
    expect(future.items.every((e) => e.occurred_at < before)).toBe(true);
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/audit-events?outcome=maybe', headers: { authorization: admin } });
    expect(bad.statusCode).toBe(400);
  });

  it('is admin-only and never contains a password or a token', async () => {
    const analyst = await t.auth('analyst', 'default');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/audit-events', headers: { authorization: analyst.authorization } })).statusCode).toBe(403);
    const all: Event[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    expect(all.length).toBeGreaterThan(20);
    const text = JSON.stringify(all);
    for (const secret of secretsSeen) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/eyJ[\w-]{10,}\./);
    expect(text).not.toMatch(/\$argon2/);
  });
});
