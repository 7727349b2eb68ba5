import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The real service as a child process (src/main.ts under tsx's loader, configured only through the
 * environment), for drills that need a process to die: `kill9()` is SIGKILL, nothing runs after it.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The loader inside the node process itself (not the `tsx` wrapper): the signal reaches the service.
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const MAIN = path.join(ROOT, 'src/main.ts');

export const PROCESS_JWT_SECRET = 'crash-drill-0123456789-abcdefghijklmnop';
export const BOOTSTRAP_ADMIN = { email: 'admin@crash-drill.example.com', password: 'Crash-Drill-Passw0rd-2026!' };

export interface ServerProcess {
  /** http://127.0.0.1:port */
  url: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, and wait until the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful), bounded; SIGKILL if it does not exit in time. */
  stop(timeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Last resort for a test that failed half-way: no server outlives the test file. */
export function killAllServerProcesses(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
}

export async function startServerProcess(opts: { dataDir: string; cwd: string; env?: Record<string, string>; readyTimeoutMs?: number }): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], {
    // A directory of its own: no stray .env file can change the configuration under test.
    cwd: opts.cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? opts.cwd,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      APP_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: opts.dataDir,
      AUTH_JWT_SECRET: PROCESS_JWT_SECRET,
      BOOTSTRAP_ADMIN_EMAIL: BOOTSTRAP_ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: BOOTSTRAP_ADMIN.password,
      LOG_LEVEL: 'info',
      // Start-up work on a busy machine delays the event loop enough to shed the first requests.
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
      RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_UPLOAD_PER_MINUTE: '10000',
      RATE_LIMIT_LOGIN_PER_MINUTE: '10000',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 120_000);
  let url: string | undefined;
  while (!url) {
    const line = out.split('\n').find((l) => l.includes('"msg":"service ready"'));
    if (line) url = (JSON.parse(line) as { address: string }).address;
    else {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited before it was ready: ${err}\n${out.slice(-4000)}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the server was not ready in time: ${err}\n${out.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    url,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop(timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** An access token for the bootstrap admin (password grant). */
export async function adminToken(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: BOOTSTRAP_ADMIN.email, password: BOOTSTRAP_ADMIN.password }).toString(),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
