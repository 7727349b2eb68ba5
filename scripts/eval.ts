/**
 * Extraction quality harness: runs the offline `rules` engine over the labelled corpus in
 * eval/corpus, prints per-field precision and recall, and writes docs/extraction-quality.md.
 * Run: `npx tsx scripts/eval.ts` (add `--verbose` to list every wrong field).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvalResult } from '../eval/lib/compare.js';
import { evaluate, loadCorpus } from '../eval/lib/compare.js';
import { createRulesEngine } from '../src/modules/extraction/engines/rules/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const pct = (n: number, d: number): string => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

function report(result: EvalResult, documents: number, date: string): string {
  const rows = result.scores
    .sort((a, b) => a.field.localeCompare(b.field))
    .map((s) => {
      const precision = pct(s.correct, s.predicted + s.invented);
      const recall = pct(s.correct, s.labelled);
      return `| ${s.field} | ${s.labelled} | ${s.labelledNull} | ${s.correct} | ${s.correctNull} | ${s.invented} | ${precision} | ${recall} |`;
    });
  const slowest = [...result.timings].sort((a, b) => b.ms - a.ms)[0];
  return [
    '# Extraction quality (offline `rules` engine)',
    '',
    `Generated ${date} by \`npx tsx scripts/eval.ts\` over ${documents} labelled documents in \`eval/corpus/\``,
    '(regenerate the corpus with `npx tsx eval/generate-corpus.ts`).',
    '',
    `- Overall accuracy: **${(result.accuracy * 100).toFixed(1)}%** (${result.right} of ${result.total} labelled fields right, absent fields included)`,
    `- Invented values (a value where the label says the document does not state one): **${result.invented}**`,
    slowest
      ? `- Slowest document: ${slowest.document} (${slowest.pages} pages) in ${slowest.ms.toFixed(0)} ms`
      : '',
    '',
    'Precision = right values / values returned; recall = right values / values labelled. A list or object is',
    'right only when it is complete and exact after normalisation (names by case/whitespace/punctuation,',
    'amounts and percentages numerically, dates exactly).',
    '',
    '| field | labelled | labelled absent | right | right absent | invented | precision | recall |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '## Wrong or missing fields',
    '',
    ...(result.failures.length === 0
      ? ['None.']
      : result.failures.map(
          (f) =>
            `- ${f.document} / ${f.field}: expected \`${JSON.stringify(f.expected)?.slice(0, 160)}\`, got \`${JSON.stringify(f.actual)?.slice(0, 160)}\``,
        )),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const corpus = loadCorpus(join(root, 'eval', 'corpus'));
  const result = await evaluate(createRulesEngine(), corpus);
  const date = new Date().toISOString().slice(0, 10);
  const md = report(result, corpus.length, date);
  writeFileSync(join(root, 'docs', 'extraction-quality.md'), md);
  const out = process.stdout;
  out.write(`documents: ${corpus.length}\n`);
  for (const t of result.timings) out.write(`  ${t.document}: ${t.pages} pages, ${t.ms.toFixed(0)} ms\n`);
  for (const s of result.scores) {
    out.write(
      `${s.field.padEnd(56)} right ${s.correct}/${s.labelled}  absent ${s.correctNull}/${s.labelledNull}  invented ${s.invented}\n`,
    );
  }
  out.write(
    `accuracy ${(result.accuracy * 100).toFixed(1)}% (${result.right}/${result.total}), invented ${result.invented}\n`,
  );
  if (process.argv.includes('--verbose')) {
    for (const f of result.failures)
      out.write(
        `WRONG ${f.document} ${f.field}\n  expected ${JSON.stringify(f.expected)}\n  actual   ${JSON.stringify(f.actual)}\n`,
      );
  }
  out.write('wrote docs/extraction-quality.md\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
