/**
 * In-process workloads: the rules engine on a generated 300-page credit agreement, and text
 * extraction throughput (text-layer PDF and OCR of scanned pages) on fixtures built by the tests'
 * own fixture builders.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildAgreement, type AgreementSpec, type Labels } from '../../eval/lib/agreement.js';
import { fieldEquals } from '../../eval/lib/compare.js';
import type { SourcePage } from '../../src/modules/extraction/engine.js';
import { runRules } from '../../src/modules/extraction/engines/rules/index.js';
import { createOcrEngine, extractText } from '../../src/lib/text-extraction/index.js';
import { makeScannedPdf, makeTextPdf } from '../../test/helpers/fixtures.js';
import { median } from './stats.js';

const SPEC: AgreementSpec = {
  seed: 300,
  style: 'boa',
  title: 'CREDIT AGREEMENT',
  executionDate: '2025-02-14',
  borrowers: [{ name: 'BENCHMARK LOGISTICS HOLDINGS, INC.', description: 'a Delaware corporation' }],
  borrowerTerm: 'Borrower',
  namedGuarantors: [],
  agent: { name: 'BANK OF AMERICA, N.A.', roles: ['Administrative Agent', 'Swing Line Lender', 'L/C Issuer'] },
  cover: [{ names: ['BOFA SECURITIES, INC.', 'WELLS FARGO SECURITIES, LLC'], roles: 'Joint Lead Arrangers and Joint Bookrunners' }],
  lenders: [
    { name: 'BANK OF AMERICA, N.A.', commitment: 200_000_000 },
    { name: 'WELLS FARGO BANK, NATIONAL ASSOCIATION', commitment: 150_000_000, roles: ['L/C Issuer'] },
    { name: 'PNC BANK, NATIONAL ASSOCIATION', commitment: 100_000_000 },
    { name: 'TRUIST BANK', commitment: 50_000_000 },
  ],
  facilities: [
    { kind: 'revolving', amount: 300_000_000 },
    { kind: 'termA', amount: 200_000_000 },
  ],
  maturity: { kind: 'date', date: '2030-02-14' },
  closingDate: 'hereof',
  lcSublimit: 40_000_000,
  swinglineSublimit: 20_000_000,
  pricing: {
    kind: 'grid',
    basis: 'Consolidated Leverage Ratio',
    rows: [
      { test: '< 1.50:1.00', fee: '0.175%', sofr: '1.250%', base: '0.250%' },
      { test: '≥ 1.50:1.00 but < 2.50:1.00', fee: '0.200%', sofr: '1.500%', base: '0.500%' },
      { test: '≥ 2.50:1.00', fee: '0.250%', sofr: '1.750%', base: '0.750%' },
    ],
  },
  commitmentFee: 'Applicable Rate',
  frontingFee: '0.125%',
  floor: '0%',
  defaultRate: '2%',
  law: 'New York',
  lawCaps: true,
  businessDay:
    'means any day other than a Saturday, Sunday or other day on which commercial banks are authorized to close under the Laws of, or are in fact closed in, the state where the Administrative Agent’s Office is located.',
  covenants: [
    { name: 'Consolidated Leverage Ratio', direction: 'max', value: '3.75:1.00' },
    { name: 'Consolidated Interest Coverage Ratio', direction: 'min', value: '3.00:1.00' },
  ],
  prepaymentPremium: false,
  secured: true,
  fillerSchedules: 1400,
  quoteStyle: 'curly',
  dayCount360Only: false,
};

export interface Agreement {
  pages: string[];
  labels: Labels;
}

/** A credit agreement of at least `minPages` pages: the eval corpus's generator with longer schedules. */
export function generateAgreement(minPages: number): Agreement {
  let rows = SPEC.fillerSchedules;
  for (let attempt = 0; attempt < 12; attempt++) {
    const { text, labels } = buildAgreement({ ...SPEC, fillerSchedules: rows });
    const pages = text.split('\f').map((p) => p.replace(/^\n/, ''));
    if (pages.length >= minPages) return { pages, labels };
    rows = Math.ceil((rows * minPages * 1.05) / pages.length);
  }
  throw new Error(`could not generate ${minPages} pages`);
}

export interface RulesResult {
  pages: number;
  characters: number;
  firstMs: number;
  medianMs: number;
  runs: number;
  /** Labelled fields the engine got right (a fast wrong answer would not count). */
  correct: number;
  labelled: number;
}

export function benchRules(agreement: Agreement, runs: number): RulesResult {
  const pages: SourcePage[] = agreement.pages.map((text, i) => ({ documentId: 'agreement-300', documentName: 'agreement.txt', page: i + 1, text }));
  const times: number[] = [];
  let output: ReturnType<typeof runRules> | undefined;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    output = runRules({ schemaName: 'credit_agreement', pages });
    times.push(performance.now() - started);
  }
  const fields = agreement.labels.fields;
  const correct = Object.entries(fields).filter(([name, expected]) => fieldEquals(name, expected, output?.fields[name]?.value ?? null)).length;
  return {
    pages: pages.length,
    characters: pages.reduce((n, p) => n + p.text.length, 0),
    firstMs: times[0]!,
    medianMs: median(times.slice(runs > 1 ? 1 : 0)),
    runs,
    correct,
    labelled: Object.keys(fields).length,
  };
}

export interface ExtractionThroughput {
  kind: 'text-pdf' | 'ocr-pdf';
  pages: number;
  bytes: number;
  ms: number;
  pagesPerSecond: number;
  /** Pages whose text holds the words drawn on them (OCR accuracy sanity check). */
  readable: number;
}

/** Text-layer PDF: pages of agreement text through unpdf, as the processing job does. */
export async function benchTextPdf(dir: string, agreement: Agreement, pageCount: number): Promise<ExtractionThroughput> {
  const pages = agreement.pages.slice(0, pageCount).map((p) => p.split('\n').slice(0, 60).join('\n'));
  const pdf = makeTextPdf(pages);
  const file = path.join(dir, 'text.pdf');
  await writeFile(file, pdf);
  await extractText(file, 'pdf'); // warm-up: module loading and pdf.js start-up are not throughput
  const started = performance.now();
  const out = await extractText(file, 'pdf');
  const ms = performance.now() - started;
  const readable = out.pages.filter((p, i) => p.text.includes((pages[i] ?? '').trim().split(/\s+/).slice(0, 3).join(' '))).length;
  return { kind: 'text-pdf', pages: out.pages.length, bytes: pdf.length, ms, pagesPerSecond: (out.pages.length * 1000) / ms, readable };
}

/** Scanned PDF (one JPEG per page, no text layer): rendered and OCR'd with tesseract.js, one worker. */
export async function benchOcrPdf(dir: string, pageCount: number): Promise<ExtractionThroughput> {
  const texts = Array.from({ length: pageCount }, (_, i) => `PROMISSORY NOTE ${i + 1}\nThe Borrower promises to pay\nthe principal sum of $${(i + 1) * 1000},000.`);
  const pdf = await makeScannedPdf(texts);
  const file = path.join(dir, 'scanned.pdf');
  await writeFile(file, pdf);
  const ocr = createOcrEngine();
  try {
    const warm = await makeScannedPdf(['WARM UP PAGE']);
    await writeFile(path.join(dir, 'warm.pdf'), warm);
    await extractText(path.join(dir, 'warm.pdf'), 'pdf', { ocr });
    const started = performance.now();
    const out = await extractText(file, 'pdf', { ocr });
    const ms = performance.now() - started;
    const readable = out.pages.filter((p, i) => /PROMISSORY/i.test(p.text) && p.text.includes(String(i + 1))).length;
    return { kind: 'ocr-pdf', pages: out.pages.length, bytes: pdf.length, ms, pagesPerSecond: (out.pages.length * 1000) / ms, readable };
  } finally {
    await ocr.close();
  }
}
