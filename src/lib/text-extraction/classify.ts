import type { ExtractedPage } from './types.js';

export type DocumentType =
  'credit_agreement' | 'amendment' | 'term_sheet' | 'promissory_note' | 'security_agreement' | 'other';

export interface Classification {
  type: DocumentType;
  /** 0..1; how sure the heuristics are, not a calibrated probability. */
  confidence: number;
}

type Classified = Exclude<DocumentType, 'other'>;

// Title phrases, matched on the upper-cased, whitespace-collapsed title block.
const TITLE_PATTERNS: Readonly<Record<Classified, readonly RegExp[]>> = {
  amendment: [
    /\b(?:FIRST|SECOND|THIRD|FOURTH|FIFTH|SIXTH|SEVENTH|EIGHTH|NINTH|TENTH|\d+(?:ST|ND|RD|TH))\s+AMENDMENT\b/,
    /\bAMENDMENT\s+(?:NO\.?|NUMBER)\s*\d+/,
    /\bAMENDMENT\s+(?:AND\s+\w+\s+)?TO\b/,
    /\b(?:WAIVER|CONSENT|JOINDER)\s+AND\s+AMENDMENT\b/,
    /\bAMENDMENT\s+AGREEMENT\b/,
  ],
  term_sheet: [
    /\bTERM\s+SHEET\b/,
    /\bSUMMARY\s+OF\s+(?:PRINCIPAL\s+|INDICATIVE\s+|KEY\s+)?TERMS(?:\s+AND\s+CONDITIONS)?\b/,
    /\bINDICATIVE\s+TERMS\b/,
  ],
  promissory_note: [
    /\bPROMISSORY\s+NOTE\b/,
    /\b(?:REVOLVING(?:\s+CREDIT)?|TERM(?:\s+LOAN)?|SWINGLINE|SWING\s+LINE|GRID|DEMAND|SECURED|UNSECURED)\s+NOTE\b/,
  ],
  security_agreement: [
    /\b(?:PLEDGE\s+AND\s+)?SECURITY\s+AGREEMENT\b/,
    /\bPLEDGE\s+AGREEMENT\b/,
    /\b(?:GUARANTEE|GUARANTY)\s+AND\s+COLLATERAL\s+AGREEMENT\b/,
    /\bCOLLATERAL\s+AGREEMENT\b/,
  ],
  credit_agreement: [
    /\b(?:AMENDED\s+AND\s+RESTATED\s+)?(?:REVOLVING\s+|TERM\s+LOAN\s+|SENIOR\s+SECURED\s+)?CREDIT\s+(?:AND\s+GUARANTY\s+)?AGREEMENT\b/,
    /\bLOAN\s+(?:AND\s+SECURITY\s+)?AGREEMENT\b/,
    /\b(?:CREDIT\s+)?FACILITY\s+AGREEMENT\b/,
    /\bFACILITIES\s+AGREEMENT\b/,
  ],
};

// Body phrases that corroborate a type (or stand in for a missing title), on the first pages.
const BODY_PATTERNS: Readonly<Record<Classified, readonly RegExp[]>> = {
  amendment: [
    /\bTHIS\s+AMENDMENT\b/,
    /\bIS\s+HEREBY\s+AMENDED\b/,
    /\bSHALL\s+BE\s+AMENDED\b/,
    /\bAMENDMENT\s+EFFECTIVE\s+DATE\b/,
  ],
  term_sheet: [
    /\bINDICATIVE\b/,
    /\bNON-BINDING\b/,
    /\bSUBJECT\s+TO\s+(?:DEFINITIVE|FINAL)\s+DOCUMENTATION\b/,
    /\bPRICING\s*:/,
  ],
  promissory_note: [
    /\bFOR\s+VALUE\s+RECEIVED\b/,
    /\bPROMISES?\s+TO\s+PAY\s+TO\s+THE\s+ORDER\s+OF\b/,
    /\bTHE\s+HOLDER\s+OF\s+THIS\s+NOTE\b/,
  ],
  security_agreement: [
    /\bHEREBY\s+(?:GRANTS?|PLEDGES?)\b.{0,80}\bSECURITY\s+INTEREST\b/,
    /\bSECURED\s+PARTY\b/,
    /\bUNIFORM\s+COMMERCIAL\s+CODE\b/,
  ],
  credit_agreement: [
    /\bTHE\s+LENDERS\s+(?:FROM\s+TIME\s+TO\s+TIME\s+)?PARTY\s+HERETO\b/,
    /\bADMINISTRATIVE\s+AGENT\b/,
    /\b(?:REVOLVING|TERM\s+LOAN)\s+COMMITMENTS?\b/,
    /\bAPPLICABLE\s+(?:MARGIN|RATE)\b/,
  ],
};

// Types that wrap another: "AMENDMENT NO. 2 TO CREDIT AGREEMENT" is an amendment, and a term
// sheet for a credit facility is a term sheet, whatever else the title names.
const WRAPPERS: readonly Classified[] = ['amendment', 'term_sheet'];
const ORDER: readonly Classified[] = [
  'amendment',
  'term_sheet',
  'promissory_note',
  'security_agreement',
  'credit_agreement',
];

const TITLE_LINES = 12;
const TITLE_CHARS = 600;
const BODY_PAGES = 2;
const BODY_CHARS = 12_000;

function flatten(text: string): string {
  return text.toUpperCase().replace(/\s+/g, ' ').trim();
}

/** The title block: the first non-empty lines of the first page with text. */
function titleBlock(pages: readonly Pick<ExtractedPage, 'text'>[]): string {
  const first = pages.find((p) => p.text.trim() !== '');
  if (!first) return '';
  const lines = first.text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, TITLE_LINES);
  return flatten(lines.join(' ')).slice(0, TITLE_CHARS);
}

// "CREDIT AGREEMENT, as amended by Amendment No. 1" names an amendment without being one.
const AMENDED_BY = /\bAS\s+(?:FURTHER\s+)?(?:AMENDED|MODIFIED|SUPPLEMENTED)\b|\bAMENDED\s+BY\b/;

function earliestMatch(text: string, patterns: readonly RegExp[], skipReferences: boolean): number {
  let best = -1;
  for (const pattern of patterns) {
    for (const m of text.matchAll(new RegExp(pattern.source, 'g'))) {
      if (skipReferences && AMENDED_BY.test(text.slice(Math.max(0, m.index - 60), m.index))) continue;
      if (best === -1 || m.index < best) best = m.index;
      break;
    }
  }
  return best;
}

function bodyHits(text: string, patterns: readonly RegExp[]): number {
  return patterns.filter((p) => p.test(text)).length;
}

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * The kind of loan document from its title block and first pages. Deterministic; a title match
 * gives high confidence, body phrases alone a moderate one, and nothing recognisable `other`
 * with low confidence.
 */
export function classifyDocument(pages: readonly Pick<ExtractedPage, 'text'>[]): Classification {
  const title = titleBlock(pages);
  const body = flatten(
    pages
      .slice(0, BODY_PAGES)
      .map((p) => p.text)
      .join('\n'),
  ).slice(0, BODY_CHARS);

  const titleAt = new Map<Classified, number>();
  for (const type of ORDER) {
    const at = earliestMatch(title, TITLE_PATTERNS[type], type === 'amendment');
    if (at !== -1) titleAt.set(type, at);
  }
  const hits = new Map(ORDER.map((type) => [type, bodyHits(body, BODY_PATTERNS[type])] as const));

  let fromTitle: Classified | undefined = WRAPPERS.find((w) => titleAt.has(w));
  if (!fromTitle && titleAt.size > 0) {
    // The head noun phrase comes first: "PLEDGE AND SECURITY AGREEMENT ... under the CREDIT AGREEMENT".
    fromTitle = [...titleAt.entries()].sort(
      (a, b) => a[1] - b[1] || ORDER.indexOf(a[0]) - ORDER.indexOf(b[0]),
    )[0]![0];
  }
  if (fromTitle) {
    const corroboration = Math.min(hits.get(fromTitle) ?? 0, 2) * 0.04;
    const rivals = titleAt.size - 1;
    return { type: fromTitle, confidence: round(Math.min(0.97, 0.85 + corroboration - rivals * 0.05)) };
  }

  // No title phrase: fall back on body phrases, needing two of them for a type to count.
  const ranked = ORDER.map((type) => [type, hits.get(type) ?? 0] as const).sort(
    (a, b) => b[1] - a[1] || ORDER.indexOf(a[0]) - ORDER.indexOf(b[0]),
  );
  const [best, second] = ranked;
  if (best && best[1] >= 2 && best[1] > (second?.[1] ?? 0)) {
    return { type: best[0], confidence: round(Math.min(0.7, 0.4 + best[1] * 0.1)) };
  }
  return { type: 'other', confidence: best && best[1] > 0 ? 0.2 : 0.3 };
}
