#!/usr/bin/env node
// `npm start` on a fresh clone: install dependencies if missing, build if the build is stale, run.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { execSync, spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) run('npm ci --no-audit --no-fund');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}
// `npm start` runs the API (with embedded workers by default); `npm run worker` a worker-only process.
const entry = path.join(root, 'dist', process.argv[2] === 'worker' ? 'worker.js' : 'main.js');
if (!existsSync(entry) || statSync(entry).mtimeMs < newestMtime(path.join(root, 'src'))) {
  run('npm run build --silent');
}

const child = spawn(process.execPath, ['--enable-source-maps', entry], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
