#!/usr/bin/env node
// Sums Vitest JSON reports into the one plain closing line CI reads: "N passed, N failed".
import { readFileSync, existsSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0; // tests that never ran
let missing = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.log(`${file}: no report (the run did not finish)`);
    missing++;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  // A file that fails to load has no failed test, only a failed suite: count it then, not twice otherwise.
  const failedTests = report.numFailedTests ?? 0;
  failed += failedTests > 0 ? failedTests : (report.numFailedTestSuites ?? 0);
  // This suite allows no skipped tests: a pending, skipped or todo test is one that never ran (a test
  // worker that died leaves the rest of its file pending), so it counts against the run.
  const notRun = report.testResults.reduce((n, f) => n + f.assertionResults.filter((a) => a.status !== 'passed' && a.status !== 'failed').length, 0);
  skipped += notRun;
  console.log(`${file}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${notRun} not run, suites failed ${report.numFailedTestSuites}`);
}
console.log(`${passed} passed, ${failed + missing + skipped} failed${skipped ? ` (${skipped} of them never ran)` : ''}`);
process.exit(failed + missing + skipped > 0 ? 1 : 0);
