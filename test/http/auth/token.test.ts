import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../../src/lib/clock.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';

// Some tests here start extra app instances (an embedded database each): slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const ADMIN_EMAIL = 'Admin@Bank.example';
const ADMIN_PASSWORD = 'Vx7#kP2m!Qz9wL4t';

/** A clock the test can move forward (lockout expiry) without sleeping. */
let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

let t: TestApp;
let ipSeq = 0;
/** Each test signs in from its own address, so per-IP sign-in limits never couple tests. */
const freshIp = () => `10.1.${Math.floor(++ipSeq / 250)}.${ipSeq % 250}`;

beforeAll(async () => {
  t = await createTestApp({
    env: {
      BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LOGIN_LOCKOUT_THRESHOLD: '3',
      LOGIN_LOCKOUT_MINUTES: '1',
      RATE_LIMIT_LOGIN_PER_MINUTE: '8',
    },
    build: { clock },
  });
});
afterAll(async () => t.close());

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

async function token(fields: Record<string, string>, ip = freshIp()) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form(fields),
    remoteAddress: ip,
  });
}

async function login(username: string, password: string, ip?: string) {
  return token({ grant_type: 'password', username, password }, ip);
}

async function adminAuth(): Promise<string> {
  const res = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
  expect(res.statusCode, res.body).toBe(200);
  return `Bearer ${res.json().access_token}`;
}

async function createUser(email: string, password: string, roles: string[] = ['analyst']) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: { authorization: await adminAuth() },
    payload: { email, display_name: 'Test User', roles, password },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>();
}

describe('password grant', () => {
  it('issues an access and a refresh token to the bootstrap admin (form-encoded, email case-insensitive)', async () => {
    const res = await login('  admin@BANK.example ', ADMIN_PASSWORD);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    const body = res.json();
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      token_type: 'bearer',
      expires_in: 1800,
      refresh_token: expect.stringMatching(/^[\w-]{40,}$/),
      refresh_expires_in: 7 * 86_400,
    });
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${body.access_token}` } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ email: 'admin@bank.example', roles: ['admin'], tenant_id: 'default', active: true, display_name: 'Administrator' });
    expect(me.json()).not.toHaveProperty('password_hash');
  });

  it('refuses a wrong password and an unknown user with the same answer', async () => {
    const wrong = await login(ADMIN_EMAIL, 'not-the-password');
    const unknown = await login('nobody@bank.example', 'whatever-password');
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error_code: 'INVALID_CREDENTIALS', detail: 'The email or password is wrong' });
    }
  });

  it('validates the request: missing fields, unknown grant types and fields', async () => {
    const missing = await token({ grant_type: 'password', username: ADMIN_EMAIL });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().field_errors).toEqual({ password: ['is required'] });
    const noUser = await token({ grant_type: 'password' });
    expect(noUser.json().field_errors).toEqual({ username: ['is required'], password: ['is required'] });
    const grant = await token({ grant_type: 'client_credentials', client_id: 'x' });
    expect(grant.statusCode).toBe(422);
    expect(grant.json().field_errors).toHaveProperty('grant_type');
    const extra = await token({ grant_type: 'password', username: ADMIN_EMAIL, password: ADMIN_PASSWORD, admin: 'true' });
    expect(extra.statusCode).toBe(422);
    const noRefresh = await token({ grant_type: 'refresh_token' });
    expect(noRefresh.json().field_errors).toEqual({ refresh_token: ['is required'] });
    const text = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', headers: { 'content-type': 'text/plain' }, payload: 'grant_type=password' });
    expect(text.statusCode).toBe(415);
  });

  it('also accepts a JSON body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'password', username: ADMIN_EMAIL, password: ADMIN_PASSWORD }, remoteAddress: freshIp() });
    expect(res.statusCode).toBe(200);
  });
});

describe('refresh tokens', () => {
  it('rotate: each refresh token works once and yields a new pair', async () => {
    const first = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).json();
    const second = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json().refresh_token).not.toBe(first.refresh_token);
    expect(second.json().access_token).not.toBe(first.access_token);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${second.json().access_token}` } });
    expect(me.statusCode).toBe(200);
    const third = await token({ grant_type: 'refresh_token', refresh_token: second.json().refresh_token });
    expect(third.statusCode).toBe(200);
  });

  it('reuse of a spent token revokes the whole family', async () => {
    const first = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).json();
    const rotated = (await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).json();
    const replay = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error_code).toBe('INVALID_GRANT');
    // The legitimate holder's current token dies with it: the thief and the user both sign in again.
    const current = await token({ grant_type: 'refresh_token', refresh_token: rotated.refresh_token });
    expect(current.statusCode).toBe(400);
    expect(current.json().error_code).toBe('INVALID_GRANT');
    // Other sessions of the same user are untouched.
    const other = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).json();
    expect((await token({ grant_type: 'refresh_token', refresh_token: other.refresh_token })).statusCode).toBe(200);
  });

  it('refuses unknown and expired refresh tokens', async () => {
    const unknown = await token({ grant_type: 'refresh_token', refresh_token: 'a'.repeat(43) });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error_code).toBe('INVALID_GRANT');
    const fresh = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).json();
    offsetMs = 8 * 86_400_000;
    try {
      const expired = await token({ grant_type: 'refresh_token', refresh_token: fresh.refresh_token });
      expect(expired.statusCode).toBe(400);
      expect(expired.json().error_code).toBe('INVALID_GRANT');
    } finally {
      offsetMs = 0;
    }
  });

  it('revoke (sign out) ends the session; unknown tokens are accepted silently', async () => {
    const session = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).json();
    const revoke = await t.app.inject({ method: 'POST', url: '/api/v1/auth/revoke', payload: { refresh_token: session.refresh_token } });
    expect(revoke.statusCode).toBe(204);
    expect(revoke.body).toBe('');
    const after = await token({ grant_type: 'refresh_token', refresh_token: session.refresh_token });
    expect(after.statusCode).toBe(400);
    const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/auth/revoke', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ refresh_token: 'never-issued' }) });
    expect(unknown.statusCode).toBe(204);
    const empty = await t.app.inject({ method: 'POST', url: '/api/v1/auth/revoke', payload: { refresh_token: '' } });
    expect(empty.statusCode).toBe(422);
  });
});

describe('lockout', () => {
  it('locks an account after the threshold of failures, answering as for a wrong password, until it expires', async () => {
    const email = 'lockme@bank.example';
    const password = 'Lock-Test-Pass-9321';
    await createUser(email, password);
    for (let i = 0; i < 3; i++) expect((await login(email, 'wrong-password-xx')).statusCode).toBe(401);
    const locked = await login(email, password);
    const wrong = await login(email, 'wrong-password-yy');
    expect(locked.statusCode).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, request_id: undefined, timestamp: undefined });
    expect(strip(locked.json())).toEqual(strip(wrong.json()));
    const user = (await t.app.inject({ method: 'GET', url: '/api/v1/users?limit=100', headers: { authorization: await adminAuth() } }))
      .json<{ items: { email: string; locked_until: string | null }[] }>()
      .items.find((u) => u.email === email)!;
    expect(Date.parse(user.locked_until!)).toBeGreaterThan(Date.now());

    offsetMs = 61_000;
    try {
      const unlocked = await login(email, password);
      expect(unlocked.statusCode, unlocked.body).toBe(200);
      // A success resets the count: one more failure does not lock again.
      expect((await login(email, 'wrong-password-zz')).statusCode).toBe(401);
      expect((await login(email, password)).statusCode).toBe(200);
    } finally {
      offsetMs = 0;
    }
  });
});

describe('sign-in rate limit', () => {
  it('answers 429 with Retry-After and RateLimit headers once an address spends its budget; other addresses are unaffected', async () => {
    const ip = freshIp();
    const remaining: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await login('nobody@bank.example', 'wrong-password', ip);
      expect(res.statusCode).toBe(401);
      expect(res.headers['ratelimit-limit']).toBe('8');
      remaining.push(Number(res.headers['ratelimit-remaining']));
    }
    expect(remaining).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
    const limited = await login(ADMIN_EMAIL, ADMIN_PASSWORD, ip);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error_code).toBe('RATE_LIMITED');
    const retry = Number(limited.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(limited.json().details.retry_after_seconds).toBe(retry);
    expect(limited.headers['ratelimit-limit']).toBe('8');
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['ratelimit-reset'])).toBeGreaterThan(0);
    expect((await login(ADMIN_EMAIL, ADMIN_PASSWORD, freshIp())).statusCode).toBe(200);
  });
});

describe('bootstrap admin', () => {
  it('is created once: a second instance on the same database does not add another', async () => {
    const second = await createTestApp({ database: t.database, env: { BOOTSTRAP_ADMIN_EMAIL: 'other-admin@bank.example', BOOTSTRAP_ADMIN_PASSWORD: 'Another#Strong9Pass' } });
    try {
      const res = await second.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        payload: { grant_type: 'password', username: 'other-admin@bank.example', password: 'Another#Strong9Pass' },
      });
      expect(res.statusCode).toBe(401);
    } finally {
      await second.close();
    }
  });

  it('gets a generated password, shown once on stderr, when none is configured (development)', async () => {
    const writes: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    let dev: TestApp | undefined;
    try {
      dev = await createTestApp({ env: { APP_ENV: 'development', LOG_PRETTY: 'false', BOOTSTRAP_ADMIN_EMAIL: 'first@bank.example' } });
    } finally {
      process.stderr.write = original;
    }
    try {
      const line = writes.join('').match(/Bootstrap admin first@bank\.example created with password: (\S+)/);
      expect(line).not.toBeNull();
      const res = await dev.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'password', username: 'first@bank.example', password: line![1] } });
      expect(res.statusCode).toBe(200);
    } finally {
      await dev.close();
    }
  });
});
