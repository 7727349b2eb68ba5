/**
 * Extraction quality harness: runs the offline `rules` engine over the labelled corpora (the
 * generated one in eval/corpus and the excerpts of real SEC filings in eval/corpus-real), prints
 * per-field precision and recall, and writes docs/extraction-quality.md.
 * Run: `npx tsx scripts/eval.ts` (add `--verbose` to list every wrong field, `--corpus real` or
 * `--corpus generated` to score one corpus; the report is only written when both are scored).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvalResult } from '../eval/lib/compare.js';
import { evaluate, loadCorpus } from '../eval/lib/compare.js';
import { createRulesEngine } from '../src/modules/extraction/engines/rules/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const pct = (n: number, d: number): string => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

interface CorpusRun {
  title: string;
  dir: string;
  note: string;
  documents: number;
  result: EvalResult;
}

function section(run: CorpusRun): string[] {
  const { result } = run;
  const rows = result.scores
    .sort((a, b) => a.field.localeCompare(b.field))
    .map((s) => {
      const precision = pct(s.correct, s.predicted + s.invented);
      const recall = pct(s.correct, s.labelled);
      return `| ${s.field} | ${s.labelled} | ${s.labelledNull} | ${s.correct} | ${s.correctNull} | ${s.invented} | ${precision} | ${recall} |`;
    });
  const slowest = [...result.timings].sort((a, b) => b.ms - a.ms)[0];
  return [
    `## ${run.title}`,
    '',
    `${run.documents} labelled documents in \`${run.dir}/\`. ${run.note}`,
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
    `### Wrong or missing fields (${run.dir})`,
    '',
    ...(result.failures.length === 0
      ? ['None.']
      : result.failures.map(
          (f) =>
            `- ${f.document} / ${f.field}: expected \`${JSON.stringify(f.expected)?.slice(0, 160)}\`, got \`${JSON.stringify(f.actual)?.slice(0, 160)}\``,
        )),
    '',
  ];
}

function report(runs: CorpusRun[], date: string): string {
  return [
    '# Extraction quality (offline `rules` engine)',
    '',
    `Generated ${date} by \`npx tsx scripts/eval.ts\`.`,
    '',
    ...runs.flatMap(section),
  ].join('\n');
}

const CORPORA = [
  {
    key: 'generated',
    title: 'Generated corpus',
    dir: 'eval/corpus',
    note: 'Written in the style of SEC filings while the engine was built (regenerate with `npx tsx eval/generate-corpus.ts`).',
  },
  {
    key: 'real',
    title: 'Real filings',
    dir: 'eval/corpus-real',
    note: 'Excerpts of credit agreements filed with the SEC (EDGAR), labelled by hand from the excerpt text; sources are in each label file and in eval/corpus-real/README.md.',
  },
] as const;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const only = argValue('--corpus');
  const selected = CORPORA.filter((c) => !only || c.key === only);
  if (selected.length === 0) throw new Error(`unknown corpus ${only ?? ''}; use generated or real`);
  const out = process.stdout;
  const runs: CorpusRun[] = [];
  for (const c of selected) {
    const corpus = loadCorpus(join(root, ...c.dir.split('/')));
    const result = await evaluate(createRulesEngine(), corpus);
    runs.push({ title: c.title, dir: c.dir, note: c.note, documents: corpus.length, result });
    out.write(`== ${c.dir}: ${corpus.length} documents\n`);
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
  }
  if (runs.length === CORPORA.length) {
    const date = new Date().toISOString().slice(0, 10);
    writeFileSync(join(root, 'docs', 'extraction-quality.md'), report(runs, date));
    out.write('wrote docs/extraction-quality.md\n');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
