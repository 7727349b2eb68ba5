import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A PostgreSQL cluster of its own for one test file or drill: initdb in a temp folder, trust auth,
 * listening on a free port of 127.0.0.1 only. Outage drills stop and start it underneath a running
 * service; the machine's shared PostgreSQL (5432) is never touched. `start()` after `stop()` reuses
 * the same data folder and port, as a database server coming back after a crash or a restart would.
 *
 * Debian's binaries (/usr/lib/postgresql/<version>/bin) refuse to run as root, so when we are root
 * they run as the `postgres` OS user (runuser), and the folder belongs to that user.
 */

export type StopMode = 'fast' | 'immediate';

export interface PrivatePostgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The cluster's data folder (PGDATA). */
  readonly dataDir: string;
  /** Database created for the service under test. */
  readonly database: string;
  /** postgres://postgres@127.0.0.1:port/<database> */
  readonly url: string;
  /** The same server's maintenance database, for a test's own admin connection. */
  readonly adminUrl: string;
  readonly running: boolean;
  /** Starts the postmaster and waits until it accepts connections (crash recovery included). */
  start(): Promise<void>;
  /**
   * fast: ends sessions (57P01) and shuts down cleanly. immediate: every process quits at once
   * without a checkpoint, as after a crash; the next start runs crash recovery from the WAL.
   */
  stop(mode?: StopMode): Promise<void>;
  /** Stops the cluster if it runs and deletes its folder. */
  remove(): Promise<void>;
  /** The server log so far (for failure messages). */
  log(): string;
}

const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

function findBinDir(): string {
  const fromEnv = process.env.TEST_PG_BIN_DIR;
  if (fromEnv) return fromEnv;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => /^\d+$/.test(v) && existsSync(path.join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/<version>/bin (set TEST_PG_BIN_DIR)');
  return path.join(base, versions[0]!, 'bin');
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no `postgres` OS user to run the cluster as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of the cluster binaries, as the postgres user when we are root. */
function run(bin: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<RunResult> {
  const cmd = IS_ROOT ? 'runuser' : bin;
  const argv = IS_ROOT ? ['-u', 'postgres', '--', bin, ...args] : args;
  return new Promise((resolve, reject) => {
    // cwd: a folder the postgres user may enter (pg_ctl resolves the current directory).
    const child = spawn(cmd, argv, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const live = new Set<{ stopSync(): void }>();
let exitHookInstalled = false;

/** A test run that dies half-way must not leave a postmaster behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.stopSync();
  });
}

export async function createPrivatePostgres(opts: { database?: string; settings?: Record<string, string | number> } = {}): Promise<PrivatePostgres> {
  const binDir = findBinDir();
  const pgCtl = path.join(binDir, 'pg_ctl');
  const baseDir = mkdtempSync(path.join(tmpdir(), 'cls-private-pg-'));
  if (IS_ROOT) {
    const { uid, gid } = postgresUser();
    chownSync(baseDir, uid, gid);
  }
  const dataDir = path.join(baseDir, 'data');
  const logFile = path.join(baseDir, 'server.log');
  const port = await freePort();
  const database = opts.database ?? 'cls';
  const url = `postgres://postgres@127.0.0.1:${port}/${database}`;
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;

  const init = await run(path.join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'], baseDir);
  if (init.code !== 0) {
    rmSync(baseDir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.code}): ${init.stderr}${init.stdout}`);
  }
  const settings: Record<string, string | number> = {
    listen_addresses: "'127.0.0.1'",
    port,
    // A socket folder of its own: nothing shared with the machine's server.
    unix_socket_directories: `'${baseDir}'`,
    // Tests need crash safety against the postgres processes dying, not against the machine losing
    // power: WAL is still written before a commit is acknowledged (synchronous_commit stays on), it
    // is just not fsynced.
    fsync: 'off',
    full_page_writes: 'off',
    shared_buffers: "'32MB'",
    max_connections: 60,
    logging_collector: 'off',
    log_min_messages: 'warning',
    ...opts.settings,
  };
  appendFileSync(path.join(dataDir, 'postgresql.conf'), `\n# private test cluster\n${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);

  let running = false;
  let created = false;
  let removed = false;

  const handle = {
    stopSync() {
      if (!running) return;
      const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
      spawnSync(IS_ROOT ? 'runuser' : pgCtl, IS_ROOT ? ['-u', 'postgres', '--', pgCtl, ...args] : args, { cwd: baseDir, stdio: 'ignore', timeout: 30_000 });
      running = false;
    },
  };
  live.add(handle);
  installExitHook();

  const readLog = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  const cluster: PrivatePostgres = {
    host: '127.0.0.1',
    port,
    dataDir,
    database,
    url,
    adminUrl,
    get running() {
      return running;
    },
    async start() {
      if (removed) throw new Error('the private cluster was removed');
      if (running) return;
      // -w waits until the server accepts connections, which after an immediate stop includes crash recovery.
      const res = await run(pgCtl, ['-D', dataDir, '-l', logFile, '-w', '-t', '120', 'start'], baseDir, 150_000);
      if (res.code !== 0) throw new Error(`pg_ctl start failed (${res.code}): ${res.stderr}${res.stdout}\n${readLog().slice(-4000)}`);
      running = true;
      if (!created) {
        const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
        await client.connect();
        try {
          await client.query(`create database "${database.replace(/"/g, '""')}"`);
        } finally {
          await client.end();
        }
        created = true;
      }
    },
    async stop(mode = 'fast') {
      if (!running) return;
      const res = await run(pgCtl, ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop'], baseDir, 90_000);
      if (res.code !== 0) throw new Error(`pg_ctl stop -m ${mode} failed (${res.code}): ${res.stderr}${res.stdout}`);
      running = false;
    },
    async remove() {
      if (removed) return;
      if (running) await cluster.stop('immediate');
      removed = true;
      live.delete(handle);
      rmSync(baseDir, { recursive: true, force: true });
    },
    log: readLog,
  };
  return cluster;
}
