#!/usr/bin/env node
/**
 * `npm test`: the whole suite with coverage (vitest run --coverage), plus one guard.
 *
 * Vitest 4's forks pool sometimes loses a worker process near the end of a run on Node 24 ("Worker
 * exited unexpectedly", vitest-dev/vitest#10894): the file that worker was running reports its
 * remaining tests as pending, the run exits 1, and nothing says which file. When that happens, and only
 * then (no test failed, no other error: the only fault is a file that did not finish), the whole run is
 * repeated once, after naming the file. A failing test, a coverage shortfall or an error in a file that
 * finished is never repeated. Skipped tests are not allowed in this suite, so a pending test means a
 * test that never ran.
 *
 * Flags (before any vitest arguments): --no-coverage, --report=<file> (the JSON report; default
 * .vitest-report.json). Everything else goes to vitest. Run it with another Node binary to test on it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const own = (name) => args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
const coverage = !own('no-coverage');
const report = path.resolve(ROOT, own('report')?.slice('--report='.length) || '.vitest-report.json');
const passThrough = args.filter((a) => a !== own('no-coverage') && a !== own('report'));

function run() {
  rmSync(report, { force: true });
  const vitestArgs = [
    path.join(ROOT, 'node_modules/vitest/vitest.mjs'),
    'run',
    ...(coverage ? ['--coverage'] : ['--coverage.enabled=false']),
    '--reporter=default',
    '--reporter=json',
    `--outputFile=${report}`,
    ...passThrough,
  ];
  // A vitest killed by a signal has no status: that is a failed run.
  const { status } = spawnSync(process.execPath, vitestArgs, { cwd: ROOT, stdio: 'inherit' });
  return status ?? 1;
}

/** Test files the run was asked for: every file under test/ unless vitest was given filters. */
function expectedFiles() {
  if (passThrough.some((a) => !a.startsWith('-'))) return [];
  return readdirSync(path.join(ROOT, 'test'), { recursive: true })
    .filter((f) => String(f).endsWith('.test.ts'))
    .map((f) => path.join(ROOT, 'test', String(f)));
}

/**
 * Files that did not finish (a test left pending, or no result at all), files with skipped or todo
 * tests, and how many tests failed.
 */
function inspect() {
  if (!existsSync(report)) return { failedTests: Infinity, failedSuites: 0, unfinished: [], skipping: [] };
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const seen = new Set(r.testResults.map((f) => f.name));
  const having = (...states) => r.testResults.filter((f) => f.assertionResults.some((a) => states.includes(a.status))).map((f) => f.name);
  const unfinished = [...having('pending'), ...expectedFiles().filter((f) => !seen.has(f))];
  const failedTests = r.testResults.reduce((n, f) => n + f.assertionResults.filter((a) => a.status === 'failed').length, 0);
  return { failedTests, failedSuites: r.numFailedTestSuites ?? 0, unfinished, skipping: having('skipped', 'todo') };
}

let status = run();
let result = inspect();
if (status !== 0 && result.failedTests === 0 && result.failedSuites === 0 && result.unfinished.length > 0) {
  console.error(
    `\nWARNING: no test failed, but these files did not finish (a test worker process died):\n  ${result.unfinished
      .map((f) => path.relative(ROOT, f))
      .join('\n  ')}\nRunning the whole suite once more.\n`,
  );
  status = run();
  result = inspect();
}
const neverRan = [...result.unfinished, ...result.skipping];
if (neverRan.length > 0) {
  console.error(`\nFAIL: tests that never ran (skipped, todo or left pending) in:\n  ${neverRan.map((f) => path.relative(ROOT, f)).join('\n  ')}`);
  status = 1;
}
process.exit(status);
