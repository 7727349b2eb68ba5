import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createTestPostgresDatabase } from '../helpers/postgres.js';

/**
 * The service as a process: started the way production starts it (tsx running src/main.ts, or the
 * fixture that shares main's startServer wiring), configured only through environment variables.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// tsx's loader in the node process itself (what `npx tsx` does through a wrapper process): signals
// then reach the service directly, and killing it leaves no orphaned child behind.
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const MAIN = path.join(ROOT, 'src/main.ts');
const SLOW_SERVER = path.join(ROOT, 'test/process/fixtures/slow-server.ts');
const SECRET = 'proc-test-0123456789-abcdefghijklmnopq';

const tempDirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<void>;
}

function spawnService(script: string, env: Record<string, string>): Spawned {
  // A fresh working directory: no stray .env file can change the configuration under test.
  const cwd = mkdtempSync(path.join(tmpdir(), 'cls-proc-'));
  tempDirs.push(cwd);
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? cwd,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      DATA_DIR: path.join(cwd, 'data'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForStdout(re, timeoutMs = 100_000) {
      const started = Date.now();
      while (!re.test(out)) {
        if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ${re}: ${err}`);
        if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${re}; stdout: ${out}; stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

function get(port: number, urlPath: string): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    // A new connection per request (no keep-alive agent), as a load balancer probe would make.
    const req = httpRequest({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

// Overload shedding is off: start-up work (PGlite, migrations) on a busy machine delays the event
// loop enough to shed the first requests, which is not what these tests are about.
const goodEnv = (port: number) => ({
  APP_ENV: 'test',
  HOST: '127.0.0.1',
  PORT: String(port),
  AUTH_JWT_SECRET: SECRET,
  LOG_LEVEL: 'info',
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
});

describe('the service process', () => {
  it('exits non-zero before listening when the configuration is bad, naming each bad variable', async () => {
    const port = await freePort();
    const proc = spawnService(MAIN, {
      APP_ENV: 'production',
      PORT: String(port),
      LOG_LEVEL: 'loud',
      RATE_LIMIT_PER_MINUTE: 'many',
      CORS_ORIGINS: '*',
      DEBUG: 'true',
      AUTH_JWT_SECRET: 'short',
    });
    const { code } = await proc.exited;
    expect(code).not.toBe(0);
    const stderr = proc.stderr();
    for (const variable of ['LOG_LEVEL', 'RATE_LIMIT_PER_MINUTE', 'CORS_ORIGINS', 'DEBUG', 'AUTH_JWT_SECRET']) {
      expect(stderr).toContain(`- ${variable}: `);
    }
    expect(stderr).not.toContain('short');
    expect(proc.stdout()).not.toContain('service ready');
    await expect(get(port, '/health/live')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, 150_000);

  it('starts with a good configuration, answers /health/live, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const proc = spawnService(MAIN, goodEnv(port));
    await proc.waitForStdout(/"msg":"service ready"/);
    const live = await get(port, '/health/live');
    expect(live.status).toBe(200);
    expect(JSON.parse(live.body)).toMatchObject({ status: 'ok' });
    expect(live.headers['x-request-id']).toBeTruthy();
    const ready = await get(port, '/health/ready');
    expect(ready.status).toBe(200);
    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    expect(code).toBe(0);
    expect(proc.stdout()).toContain('shutting down: draining in-flight requests');
  }, 150_000);

  it('lets a request in flight finish when SIGTERM arrives, and refuses new work meanwhile', async () => {
    const port = await freePort();
    // PostgreSQL here (the embedded store is covered above): a quicker start on a busy machine.
    const database = await createTestPostgresDatabase();
    const proc = spawnService(SLOW_SERVER, { ...goodEnv(port), DATABASE_URL: database.url });
    onTestFinished(() => database.drop());
    await proc.waitForStdout(/"msg":"service ready"/);
    const slow = get(port, '/test/slow?ms=2000');
    await proc.waitForStdout(/slow request started/);
    proc.child.kill('SIGTERM');
    await proc.waitForStdout(/shutting down: draining in-flight requests/);
    // While draining, no new request is served (the listener is closed or answers 503).
    const during = await get(port, '/health/live').then(
      (r) => r.status,
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect([503, 'ECONNREFUSED', 'ECONNRESET']).toContain(during);
    const res = await slow;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ done: true, slept_ms: 2000 });
    const { code } = await proc.exited;
    expect(code).toBe(0);
  }, 150_000);
});
