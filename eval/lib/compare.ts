import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ExtractionEngine, SourcePage } from '../../src/modules/extraction/engine.js';

/**
 * Scoring of extraction results against labels. Values are normalised before comparison so that
 * presentation differences do not count: names by case, whitespace and punctuation; amounts
 * numerically; percentages numerically; dates exactly; lists as sets.
 */

export interface LabelFile {
  document: string;
  description?: string;
  schema: 'credit_agreement';
  fields: Record<string, unknown>;
  booking_sheet: Record<string, unknown>;
}

export interface CorpusDocument {
  name: string;
  pages: SourcePage[];
  labels: LabelFile;
}

export function loadCorpus(dir: string): CorpusDocument[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.labels.json'))
    .sort()
    .map((f) => {
      const labels = JSON.parse(readFileSync(join(dir, f), 'utf8')) as LabelFile;
      const name = f.replace(/\.labels\.json$/, '');
      const text = readFileSync(join(dir, labels.document), 'utf8');
      const pages = text.split('\f').map((t, i) => ({
        documentId: name,
        documentName: labels.document,
        page: i + 1,
        text: t.replace(/^\n/, ''),
      }));
      return { name, pages, labels };
    });
}

export const normText = (s: unknown): string =>
  String(s)
    .toLowerCase()
    .replace(/[“”"’'`]/g, '')
    .replace(/[^a-z0-9%/]+/g, ' ')
    .trim();

const pct = (s: unknown): number | null => {
  if (s === null || s === undefined) return null;
  if (typeof s !== 'string') return null;
  const m = /(\d+(?:\.\d+)?)\s?%/.exec(s);
  return m ? Number(m[1]) : null;
};

const ROLE_SYNONYMS: [RegExp, string][] = [
  [/^swingline lender$/, 'swing line lender'],
  [/^(?:issuing bank|issuing lender|letter of credit issuer|lc issuer)$/, 'l/c issuer'],
  [/^agent$/, 'administrative agent'],
];

export function normRole(role: unknown): string {
  let r = normText(role).replace(/\s*\/\s*/g, '/');
  for (const [re, to] of ROLE_SYNONYMS) if (re.test(r)) r = to;
  return r;
}

const OPTION_SYNONYMS: Record<string, string> = {
  abr: 'alternate base rate',
  'adjusted term sofr': 'term sofr',
};
const normOption = (o: unknown): string => {
  const n = normText(o);
  return OPTION_SYNONYMS[n] ?? n;
};

function sameSet(a: string[], b: string[]): boolean {
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
}

type Obj = Record<string, unknown>;
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const moneyKey = (m: unknown): string =>
  m && typeof m === 'object' ? `${Number((m as Obj).amount)} ${String((m as Obj).currency)}` : 'null';

/** Field-specific equality. Every comparison is of whole values: a list is right only when complete. */
export function fieldEquals(field: string, expected: unknown, actual: unknown): boolean {
  if (expected === null || actual === null || expected === undefined || actual === undefined) {
    return (expected ?? null) === (actual ?? null);
  }
  switch (field) {
    case 'total_commitment':
    case 'total_loan_facility_amount':
      return moneyKey(expected) === moneyKey(actual);
    case 'borrower_names':
    case 'guarantors':
      return sameSet((expected as unknown[]).map(normText), (actual as unknown[]).map(normText));
    case 'lender_parties':
      return sameSet(
        arr(expected).map((p) => `${normRole(p.role)}|${normText(p.name)}`),
        arr(actual).map((p) => `${normRole(p.role)}|${normText(p.name)}`),
      );
    case 'facility_details':
      return sameSet(
        arr(expected).map(
          (f) => `${normText(f.facility_type)}|${moneyKey(f.commitment_amount)}|${String(f.maturity_date)}`,
        ),
        arr(actual).map(
          (f) => `${normText(f.facility_type)}|${moneyKey(f.commitment_amount)}|${String(f.maturity_date)}`,
        ),
      );
    case 'interest_rate_details': {
      const e = expected as Obj;
      const a = actual as Obj;
      return (
        sameSet(arr(e.base_rate_options).map(normOption), arr(a.base_rate_options).map(normOption)) &&
        marginsEqual(e.applicable_margins, a.applicable_margins) &&
        pct(e.rate_floor) === pct(a.rate_floor) &&
        pct(e.default_rate) === pct(a.default_rate)
      );
    }
    case 'key_fees':
    case 'associated_fees':
      return sameSet(
        arr(expected).map((f) => `${normText(f.fee_type)}|${feeRate(f.fee_rate_or_amount ?? f.fee_amount)}`),
        arr(actual).map((f) => `${normText(f.fee_type)}|${feeRate(f.fee_rate_or_amount ?? f.fee_amount)}`),
      );
    case 'financial_covenants':
      return sameSet(
        arr(expected).map((c) => `${normText(c.covenant_type)}|${normText(c.covenant_value)}`),
        arr(actual).map((c) => `${normText(c.covenant_type)}|${normText(c.covenant_value)}`),
      );
    default:
      if (typeof expected === 'string' && typeof actual === 'string')
        return normText(expected) === normText(actual);
      return JSON.stringify(expected) === JSON.stringify(actual);
  }
}

function feeRate(v: unknown): string {
  const p = pct(v);
  return p !== null ? `${p}%` : normText(v);
}

function marginsEqual(e: unknown, a: unknown): boolean {
  if (e === null || e === undefined || a === null || a === undefined) return (e ?? null) === (a ?? null);
  return sameSet(
    arr(e).map((m) => `${normOption(m.rate_option)}|${pct(m.margin)}`),
    arr(a).map((m) => `${normOption(m.rate_option)}|${pct(m.margin)}`),
  );
}

export interface FieldScore {
  field: string;
  labelled: number; // labels with a value
  labelledNull: number; // labels saying "absent"
  predicted: number; // non-null predictions on labelled documents
  correct: number; // non-null predictions equal to a non-null label
  correctNull: number; // null predictions where the label is null
  invented: number; // non-null predictions where the label is null
}

export interface EvalResult {
  scores: FieldScore[];
  total: number;
  right: number;
  invented: number;
  accuracy: number;
  failures: { document: string; field: string; expected: unknown; actual: unknown }[];
  timings: { document: string; pages: number; ms: number }[];
}

export async function evaluate(engine: ExtractionEngine, corpus: CorpusDocument[]): Promise<EvalResult> {
  const scores = new Map<string, FieldScore>();
  const failures: EvalResult['failures'] = [];
  const timings: EvalResult['timings'] = [];
  const score = (key: string): FieldScore => {
    let s = scores.get(key);
    if (!s) {
      s = { field: key, labelled: 0, labelledNull: 0, predicted: 0, correct: 0, correctNull: 0, invented: 0 };
      scores.set(key, s);
    }
    return s;
  };
  for (const doc of corpus) {
    const started = performance.now();
    const ca = await engine.extract({ schemaName: 'credit_agreement', pages: doc.pages });
    timings.push({ document: doc.name, pages: doc.pages.length, ms: performance.now() - started });
    const sheet = await engine.extract({ schemaName: 'loan_booking_sheet', pages: doc.pages });
    const runs: [string, Record<string, unknown>, Record<string, { value: unknown }>][] = [
      ['credit_agreement', doc.labels.fields, ca.fields],
      ['loan_booking_sheet', doc.labels.booking_sheet, sheet.fields],
    ];
    for (const [schema, labels, fields] of runs) {
      for (const [field, expected] of Object.entries(labels)) {
        const actual = fields[field]?.value ?? null;
        const s = score(`${schema}.${field}`);
        const ok = fieldEquals(field, expected, actual);
        if (expected === null) {
          s.labelledNull++;
          if (actual === null) s.correctNull++;
          else s.invented++;
        } else {
          s.labelled++;
          if (actual !== null) s.predicted++;
          if (actual !== null && ok) s.correct++;
        }
        if (!ok) failures.push({ document: doc.name, field: `${schema}.${field}`, expected, actual });
      }
    }
  }
  const list = [...scores.values()];
  const total = list.reduce((n, s) => n + s.labelled + s.labelledNull, 0);
  const right = list.reduce((n, s) => n + s.correct + s.correctNull, 0);
  const invented = list.reduce((n, s) => n + s.invented, 0);
  return {
    scores: list,
    total,
    right,
    invented,
    accuracy: total === 0 ? 0 : right / total,
    failures,
    timings,
  };
}
