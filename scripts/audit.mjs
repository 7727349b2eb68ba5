#!/usr/bin/env node
// `npm run audit`: `npm audit --audit-level=high` with an answer that says which of three things
// happened, because npm exits 1 both for "high findings" and for "could not ask the registry":
//   exit 0  no high or critical advisory
//   exit 1  high or critical advisories (listed)
//   exit 2  the registry's audit endpoint did not answer (offline mirror, proxy): no verdict.
// CI treats 2 as a warning unless AUDIT_REQUIRED=true.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--json', '--audit-level=high'], { encoding: 'utf8', timeout: 120_000 });
let report;
try {
  report = JSON.parse(run.stdout || '{}');
} catch {
  report = undefined;
}

const unreachable = (why) => {
  console.error(`npm audit: NO VERDICT. The registry's audit endpoint could not be used: ${why}`);
  console.error('Run `npm run audit` where https://registry.npmjs.org (or your registry) answers POST /-/npm/v1/security/advisories/bulk.');
  process.exit(2);
};

if (run.error) unreachable(run.error.message);
if (!report) unreachable(`npm printed no JSON (exit ${run.status}): ${(run.stderr || '').trim().split('\n').slice(-2).join(' ')}`);
if (report.error || report.message || report.statusCode) {
  unreachable(report.message ?? `${report.statusCode ?? ''} ${report.error?.summary ?? ''} ${report.uri ?? ''}`.trim());
}

const counts = report.metadata?.vulnerabilities;
if (!counts) unreachable('the answer has no vulnerability counts');
const serious = (counts.high ?? 0) + (counts.critical ?? 0);
const summary = Object.entries(counts)
  .filter(([k]) => k !== 'total')
  .map(([k, v]) => `${k} ${v}`)
  .join(', ');
if (serious === 0) {
  console.log(`npm audit: 0 high or critical advisories (${summary}).`);
  process.exit(0);
}
console.error(`npm audit: ${serious} high or critical advisories (${summary}):`);
for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
  if (v.severity !== 'high' && v.severity !== 'critical') continue;
  const via = (v.via ?? []).map((x) => (typeof x === 'string' ? x : `${x.title} (${x.url})`)).join('; ');
  console.error(`  ${v.severity.padEnd(8)} ${name} ${v.range ?? ''} ${v.fixAvailable ? '(fix available)' : ''}\n           ${via}`);
}
process.exit(1);
