import type { DocContext, Found } from './context.js';
import { bodyMatches, found, sentenceAround } from './context.js';
import { findDefinition } from './definitions.js';
import { evidenceFor } from './document.js';
import type { Money } from './values.js';
import {
  DATE_SOURCE,
  MONEY_SOURCE,
  addMoney,
  addToDate,
  dateRegex,
  moneyEquals,
  parseCount,
  parseDate,
  parseMoney,
} from './values.js';

// ---------------------------------------------------------------------------------------------
// Execution date

// The deal's own date follows one of these words; a bare date in a preamble may be the date of an
// agreement being amended, which is always introduced the same way but comes later.
const DATED_PHRASE = new RegExp(
  `\\b(?:dated(?:\\s+as\\s+of)?|entered\\s+into\\s+(?:as\\s+of|on)|made(?:\\s+and\\s+entered\\s+into)?\\s+(?:as\\s+of|on|this)|effective\\s+as\\s+of|executed\\s+(?:as\\s+of|on)|is\\s+made\\s+as\\s+of|as\\s+of)\\s*:?\\s*(${DATE_SOURCE})`,
  'gi',
);
const DATE_LABEL = new RegExp(
  `(?:^|\\n)[ \\t]*(?:Date|Dated|Note\\s+Date|Date\\s+of\\s+Note)[ \\t]*:[ \\t]*(${DATE_SOURCE})`,
  'gi',
);

export function extractExecutionDate(ctx: DocContext): Found<string> | null {
  const { doc, preamble } = ctx;
  let fromPreamble: Found<string> | null = null;
  if (preamble) {
    // Only the opening of the preamble, up to the first party, holds the deal's own date; a
    // note's opening may put it after "promises to pay" less often than before, so allow a little.
    const end = Math.min(preamble.end, preamble.partiesStart + (ctx.kind === 'note' ? 600 : 0) + 40);
    DATED_PHRASE.lastIndex = preamble.start;
    const m = DATED_PHRASE.exec(doc.text);
    if (m && m.index < end) {
      const iso = parseDate(m[1]!);
      if (iso) fromPreamble = found(doc, iso, 0.9, m.index, m.index + m[0].length);
    }
  }
  // Cover pages print "Dated as of March 15, 2024" under the title.
  let fromCover: Found<string> | null = null;
  const coverEnd = doc.pages.find((p) => p.isToc)?.offset ?? 0;
  if (coverEnd > 0) {
    DATED_PHRASE.lastIndex = 0;
    const m = DATED_PHRASE.exec(doc.text);
    if (m && m.index < coverEnd) {
      const iso = parseDate(m[1]!);
      if (iso) fromCover = found(doc, iso, 0.8, m.index, m.index + m[0].length);
    }
  }
  // Notes often carry the date as a label at the top: "Date: March 15, 2024".
  let fromLabel: Found<string> | null = null;
  if (ctx.kind === 'note' || (!preamble && ctx.kind !== 'term_sheet')) {
    DATE_LABEL.lastIndex = 0;
    const m = DATE_LABEL.exec(doc.text);
    if (m && m.index < Math.min(doc.text.length, 3000)) {
      const iso = parseDate(m[1]!);
      if (iso) fromLabel = found(doc, iso, 0.8, m.index + m[0].length - m[1]!.length, m.index + m[0].length);
    }
  }
  const primary = fromPreamble ?? fromLabel;
  if (primary && fromCover) {
    if (primary.value === fromCover.value) {
      return {
        value: primary.value,
        confidence: 0.95,
        evidence: [...primary.evidence, ...fromCover.evidence],
      };
    }
    return { ...primary, confidence: 0.6 };
  }
  return primary ?? fromCover;
}

// ---------------------------------------------------------------------------------------------
// Commitments and facilities

export interface Facility {
  facility_type: string;
  commitment_amount: Money | null;
  maturity_date: string | null;
}

/** Facility type from the words of the sentence or defined term that states its amount. */
export function facilityTypeOf(phrase: string, revolving: boolean | null): string | null {
  if (/delayed[\s-]draw/i.test(phrase)) return 'Delayed Draw Term Loan';
  if (/\bterm\s+(?:loan\s+)?(?:a|facility\s+a)\b|\btranche\s+a\b|\bterm\s+a[\s-]/i.test(phrase))
    return 'Term Loan A';
  if (/\bterm\s+(?:loan\s+)?(?:b|facility\s+b)\b|\btranche\s+b\b|\bterm\s+b[\s-]/i.test(phrase))
    return 'Term Loan B';
  if (/\bterm\s+loan|\bterm\s+commitment|\bterm\s+facility/i.test(phrase)) return 'Term Loan';
  if (/\brevolv/i.test(phrase)) return 'Revolving Credit Facility';
  if (/letters?\s+of\s+credit/i.test(phrase) || /\bL\/C\b|\bLC\b/.test(phrase))
    return 'Letter of Credit Sublimit';
  if (/swing\s?line/i.test(phrase)) return 'Swing Line Sublimit';
  // Plain "Commitments" of an agreement whose loans may be reborrowed is its revolving facility.
  if (/\bcommitments?\b/i.test(phrase) && revolving === true) return 'Revolving Credit Facility';
  return null;
}

// Why these words: "The initial amount of the Aggregate Commitments in effect on the Closing Date is
// $500,000,000", "The aggregate amount of the Lenders' Revolving Commitments on the Effective Date is
// $750,000,000". Baskets, accordions and thresholds use the same nouns with "not to exceed",
// "increase" or "Indebtedness"; a sentence with any of those is never a commitment statement.
const INITIAL_COMMITMENT = new RegExp(
  `\\b(?:initial|aggregate)\\b[^.;$€£]{0,160}?\\bCommitments?\\b[^.;$€£]{0,160}?\\b(?:is|shall\\s+be|equals?|was|are|totals?)\\s+(?:equal\\s+to\\s+)?(${MONEY_SOURCE})`,
  'g',
);
const COMMITMENT_NOISE =
  /not\s+to\s+exceed|not\s+exceeding|in\s+excess\s+of|\bincrease|\bincremental|accordion|\bexceed|Indebtedness|\bLiens?\b|Investments?|Restricted\s+Payment|minimum|at\s+least|integral\s+multiple|Sublimit|threshold|judgment|less\s+than/i;
const INITIAL_WORDS =
  /\binitial|\bon\s+the\s+(?:Closing|Effective|Restatement|Amendment)(?:\s+\w+)?\s+Date|\bas\s+of\s+the\s+(?:Closing|Effective)\s+Date|\bdate\s+(?:hereof|of\s+this)/i;

// Recitals and notes: "have agreed to extend credit ... in an aggregate principal amount of $X",
// "promises to pay ... the principal sum of ... ($5,000,000.00)".
const PRINCIPAL_AMOUNT = new RegExp(
  `\\b(?:aggregate\\s+principal\\s+amount|principal\\s+(?:sum|amount))\\s+of\\s+(?:up\\s+to\\s+)?(?:[A-Z][A-Z0-9\\s,/-]{3,120}(?:DOLLARS|Dollars)[^($]{0,40}\\(\\s*)?(${MONEY_SOURCE})`,
  'g',
);
const CHANGE_TO = new RegExp(
  `\\bCommitments?\\b[^.;]{0,160}?\\b(?:increased|decreased|reduced|amended)\\b[^.;]{0,60}?\\bfrom\\s+(${MONEY_SOURCE})\\s+to\\s+(${MONEY_SOURCE})`,
  'g',
);
const TERM_SHEET_AMOUNT = new RegExp(
  `(?:^|\\n)[ \\t]*(?:Facility|Facility\\s+Amount|Amount|Commitments?|Aggregate\\s+Commitments?|Total\\s+Commitments?|Loan\\s+Amount|Principal\\s+Amount)[ \\t]*:[ \\t]*([^\\n]{0,160}?)(${MONEY_SOURCE})`,
  'g',
);

// A cover headed by the facility size: "$720,000,000" on its own line above "CREDIT AGREEMENT", or
// "$750,000,000 REVOLVING CREDIT FACILITY". Only the cover (or the attached amended agreement's
// cover) is read: amounts elsewhere on a line of their own are signature-page or schedule noise.
const COVER_AMOUNT = new RegExp(
  `(?:^|\\n)[ \\t]*(${MONEY_SOURCE})[ \\t]*(?:(?:SENIOR\\s+)?(?:SECURED\\s+)?(?:REVOLVING\\s+)?(?:CREDIT|TERM\\s+LOAN|LOAN)\\s+FACILIT(?:Y|IES)[ \\t]*)?(?=\\n)(?:[ \\t]*\\n){1,6}(?:[ \\t]*[A-Z0-9][A-Z0-9 ,.&'-]{0,60}\\n){0,2}[ \\t]*(?:[A-Z0-9][A-Z0-9 ,.&-]{0,60}\\s)?(?:CREDIT|LOAN|FACILITY|TERM\\s+LOAN)\\s+AGREEMENT\\b`,
  'g',
);

function coverAmount(ctx: DocContext): { amount: Money; start: number; end: number } | null {
  const { doc } = ctx;
  const firstToc = doc.pages.find((p) => p.isToc);
  // Without contents the cover is what comes before the preamble.
  const coverEnd = firstToc
    ? firstToc.offset
    : ctx.preamble
      ? ctx.preamble.start
      : Math.min(doc.text.length, 3000);
  const regions: [number, number][] = [[0, Math.min(coverEnd, 6000)]];
  if (doc.bodyEnd > doc.signatureStart && doc.annexStart < doc.text.length)
    regions.push([doc.annexStart, Math.min(doc.text.length, doc.annexStart + 3000)]);
  for (const [from, to] of regions) {
    COVER_AMOUNT.lastIndex = from;
    const m = COVER_AMOUNT.exec(doc.text);
    if (!m || m.index >= to) continue;
    const amount = parseMoney(m[1]!);
    if (amount) {
      const at = m.index + m[0].indexOf(m[1]!);
      return { amount, start: at, end: at + m[1]!.length };
    }
  }
  return null;
}

// Recitals that state what the borrower asked for: "WHEREAS, Borrowers have requested that the
// Lenders extend credit in the form of Term Loans ..., in an aggregate principal amount not in excess
// of $620,000,000". In a request the cap is the facility's size. A recital about the agreement being
// refinanced or amended states the old facility, so it is never read.
const RECITAL_AMOUNT = new RegExp(
  `\\baggregate\\s+(?:original\\s+)?(?:(?:principal|face)\\s+){1,2}amount\\s+(?:at\\s+any\\s+(?:one\\s+)?time\\s+outstanding\\s+)?(?:of\\s+)?(?:up\\s+to\\s+|not\\s+(?:in\\s+excess\\s+of|to\\s+exceed|exceeding)\\s+)?(${MONEY_SOURCE})`,
  'g',
);
const RECITAL_REQUEST =
  /\b(?:request(?:ed|s)?|agreed|agrees|willing)\b[^.;]{0,200}?\b(?:extend|make|provide|issue|lend|establish)\b/i;
// An amendment and restatement may itself be what is requested ("requested an amendment and
// restatement ... to establish a term loan facility of up to $25,500,000"), so "amend" alone does not
// disqualify a request; a clause about what exists or grows does.
const RECITAL_OLD =
  /\bExisting\b|\bexisting\s+credit|refinanc|previously|heretofore|\bprior\s+(?:credit|agreement|loan)|outstanding\s+under|\bincrease|incremental/i;

export function recitalFacilities(
  ctx: DocContext,
  revolving: boolean | null,
): { type: string; amount: Money; start: number; end: number }[] {
  const { doc, preamble } = ctx;
  if (!preamble || ctx.kind === 'note' || ctx.kind === 'term_sheet') return [];
  const text = doc.text;
  const to = Math.min(text.length, doc.bodyEnd, preamble.end + 6000);
  const region = text.slice(preamble.end, to);
  // The recitals end where the operative text starts.
  const stop =
    /\bNOW,?\s+THEREFORE\b|\n[ \t]*ARTICLE\s+(?:I|1)\b|\n[ \t]*(?:SECTION|Section)\s+1\.0?1\b/.exec(region);
  const recitals = stop ? region.slice(0, stop.index) : region;
  const out: { type: string; amount: Money; start: number; end: number }[] = [];
  const clauseRe = /\bWHEREAS\b/g;
  const starts: number[] = [];
  for (let m = clauseRe.exec(recitals); m; m = clauseRe.exec(recitals)) starts.push(m.index);
  for (let i = 0; i < starts.length; i++) {
    const clause = recitals.slice(starts[i], starts[i + 1] ?? recitals.length);
    if (!RECITAL_REQUEST.test(clause) || RECITAL_OLD.test(clause)) continue;
    RECITAL_AMOUNT.lastIndex = 0;
    const m = RECITAL_AMOUNT.exec(clause);
    // One amount per request: a clause with two is a facility and its sublimit or a split, which
    // the clause's words alone cannot attribute.
    if (!m || RECITAL_AMOUNT.exec(clause)) continue;
    const type = facilityTypeOf(clause.slice(0, m.index), revolving);
    const amount = parseMoney(m[1]!);
    if (!type || !amount || out.some((o) => o.type === type)) continue;
    const start = preamble.end + starts[i]!;
    out.push({ type, amount, start, end: preamble.end + starts[i]! + m.index + m[0].length });
  }
  return out;
}

const isSublimitType = (type: string): boolean => /Sublimit$/.test(type);

export interface CommitmentResult {
  total: Found<Money> | null;
  facilities: { type: string; amount: Money; start: number; end: number; confidence: number }[];
}

export function extractCommitments(ctx: DocContext, revolving: boolean | null): CommitmentResult {
  const { doc } = ctx;
  const text = doc.text;
  const statements: { type: string | null; amount: Money; start: number; end: number; confidence: number }[] =
    [];

  for (const m of bodyMatches(ctx, INITIAL_COMMITMENT)) {
    const s = sentenceAround(text, m.index, 300, m[0].length + 50);
    const sentence = text.slice(s.start, m.index + m[0].length);
    if (COMMITMENT_NOISE.test(sentence) || !INITIAL_WORDS.test(sentence)) continue;
    const amount = parseMoney(m[1]!);
    if (!amount) continue;
    statements.push({
      type: facilityTypeOf(sentence, revolving),
      amount,
      start: Math.max(s.start, m.index),
      end: m.index + m[0].length,
      confidence: 0.92,
    });
  }

  if (statements.length === 0) {
    for (const m of bodyMatches(ctx, CHANGE_TO)) {
      const amount = parseMoney(m[2]!);
      if (!amount) continue;
      statements.push({
        type: facilityTypeOf(m[0], revolving),
        amount,
        start: m.index,
        end: m.index + m[0].length,
        confidence: 0.85,
      });
    }
  }

  if (statements.length === 0) {
    for (const r of recitalFacilities(ctx, revolving)) {
      if (!isSublimitType(r.type)) statements.push({ ...r, confidence: 0.8 });
    }
  }

  if (statements.length === 0 && (ctx.kind === 'note' || ctx.preamble)) {
    // Notes state the principal in their opening; agreements state the facility in the recitals.
    const from = ctx.preamble ? ctx.preamble.start : doc.bodyStart;
    const to =
      ctx.kind === 'note'
        ? Math.min(text.length, from + 3000)
        : Math.min(text.length, (ctx.preamble?.end ?? from) + 4000);
    for (const m of bodyMatches(ctx, PRINCIPAL_AMOUNT, from, to)) {
      const s = sentenceAround(text, m.index, 400, 200);
      const sentence = text.slice(s.start, s.end);
      if (COMMITMENT_NOISE.test(sentence.replace(/up\s+to/gi, ''))) continue;
      if (ctx.kind !== 'note' && !/facilit|commitment|term\s+loan|credit|loans?\b/i.test(sentence)) continue;
      // "the lenders under the Existing Credit Agreement made loans in an aggregate principal amount
      // of $400,000,000": the facility being refinanced, not this one.
      if (
        ctx.kind !== 'note' &&
        /\bExisting\b|refinanc|previously|heretofore|outstanding\s+under/i.test(sentence)
      )
        continue;
      const amount = parseMoney(m[1]!);
      if (!amount) continue;
      statements.push({
        type: ctx.kind === 'note' ? null : facilityTypeOf(sentence, revolving),
        amount,
        start: m.index,
        end: m.index + m[0].length,
        confidence: 0.85,
      });
    }
  }

  if (statements.length === 0 && ctx.kind === 'term_sheet') {
    TERM_SHEET_AMOUNT.lastIndex = doc.bodyStart;
    const m = TERM_SHEET_AMOUNT.exec(text);
    if (m && !COMMITMENT_NOISE.test(m[1]!)) {
      const amount = parseMoney(m[2]!);
      if (amount) {
        const line = text.slice(
          m.index,
          text.indexOf('\n', m.index + m[0].length) === -1
            ? text.length
            : text.indexOf('\n', m.index + m[0].length),
        );
        statements.push({
          type: facilityTypeOf(line, revolving) ?? (revolving ? 'Revolving Credit Facility' : null),
          amount,
          start: m.index,
          end: m.index + m[0].length,
          confidence: 0.85,
        });
      }
    }
  }

  // One statement per facility; two different amounts for the same facility make it ambiguous.
  const byType = new Map<string, (typeof statements)[number]>();
  let ambiguous = false;
  for (const st of statements) {
    const key = st.type ?? '(total)';
    const prev = byType.get(key);
    if (prev && !moneyEquals(prev.amount, st.amount)) ambiguous = true;
    if (!prev) byType.set(key, st);
  }
  const facilities = [...byType.values()]
    .filter((s) => s.type !== null)
    .map((s) => ({ type: s.type!, amount: s.amount, start: s.start, end: s.end, confidence: s.confidence }));

  let total: Found<Money> | null = null;
  const cover = coverAmount(ctx);
  if (cover && statements.length === 0) {
    return { total: found(doc, cover.amount, 0.8, cover.start, cover.end), facilities };
  }
  const untyped = byType.get('(total)');
  if (untyped && byType.size === 1) {
    total = found(doc, untyped.amount, ambiguous ? 0.5 : untyped.confidence, untyped.start, untyped.end);
  } else if (facilities.length > 0 && !untyped) {
    let sum: Money | null = facilities[0]!.amount;
    for (const f of facilities.slice(1)) sum = sum ? addMoney(sum, f.amount) : null;
    if (sum && cover && !moneyEquals(sum, cover.amount)) {
      // The cover's headline is the agreement's own total; facility statements that do not add up
      // to it were read from caps or requests, so the cover wins and a reviewer looks.
      total = found(doc, cover.amount, 0.6, cover.start, cover.end);
    } else if (sum) {
      const confidence =
        (facilities.length > 1 ? 0.85 : Math.min(...facilities.map((f) => f.confidence))) -
        (ambiguous ? 0.35 : 0);
      total = {
        value: sum,
        confidence,
        evidence: facilities.flatMap((f) => evidenceFor(doc, f.start, f.end)),
      };
    }
  }
  return { total, facilities };
}

const SUBLIMIT_TERMS: [string, string[]][] = [
  [
    'Letter of Credit Sublimit',
    [
      'Letter of Credit Sublimit',
      'L/C Sublimit',
      'LC Sublimit',
      'Letter of Credit Commitment',
      'L/C Commitment',
    ],
  ],
  [
    'Swing Line Sublimit',
    ['Swing Line Sublimit', 'Swingline Sublimit', 'Swing Line Commitment', 'Swingline Commitment'],
  ],
];

/** Sublimits are defined terms: `"Letter of Credit Sublimit" means an amount equal to the lesser of (a) $50,000,000 and ...`. */
export function extractSublimits(
  ctx: DocContext,
): { type: string; amount: Money; start: number; end: number }[] {
  const out: { type: string; amount: Money; start: number; end: number }[] = [];
  for (const [type, terms] of SUBLIMIT_TERMS) {
    const def = findDefinition(ctx.definitions, ...terms);
    if (!def) continue;
    const head = def.text.slice(0, 400);
    const m = new RegExp(MONEY_SOURCE).exec(head);
    if (!m) continue;
    const amount = parseMoney(m[0]);
    if (amount) out.push({ type, amount, start: def.start, end: Math.min(def.end, def.start + 400) });
  }
  // "WHEREAS, Borrower has requested the Issuers to issue Letters of Credit, in an aggregate face
  // amount at any time outstanding not in excess of $30,000,000".
  for (const r of recitalFacilities(ctx, null)) {
    if (isSublimitType(r.type) && !out.some((o) => o.type === r.type)) out.push(r);
  }
  if (out.length > 0 || ctx.definitions.size > 3) return out;
  // Term sheets: "with a $25,000,000 sublimit for letters of credit and a $15,000,000 sublimit for swingline loans".
  const re = new RegExp(
    `(${MONEY_SOURCE})\\s+sub-?limit\\s+for\\s+(?:the\\s+issuance\\s+of\\s+)?(letters?\\s+of\\s+credit|swing\\s?line\\s+loans)`,
    'gi',
  );
  for (const m of bodyMatches(ctx, re)) {
    const amount = parseMoney(m[1]!);
    const type = /letter/i.test(m[2]!) ? 'Letter of Credit Sublimit' : 'Swing Line Sublimit';
    if (amount && !out.some((o) => o.type === type))
      out.push({ type, amount, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Maturity

const MATURITY_TERMS = [
  'Maturity Date',
  'Revolving Credit Maturity Date',
  'Revolving Maturity Date',
  'Revolving Loan Maturity Date',
  'Revolving Termination Date',
  'Revolving Credit Termination Date',
  'Termination Date',
  'Commitment Termination Date',
  'Commitment Expiry Date',
  'Term Loan Maturity Date',
  'Term A Maturity Date',
  'Term Loan A Maturity Date',
  'Term B Maturity Date',
  'Term Loan B Maturity Date',
  'Delayed Draw Term Loan Maturity Date',
  'Stated Maturity Date',
  'Final Maturity Date',
  'Scheduled Maturity Date',
  // The dated form behind a "Termination Date" that is "the earliest of" it and acceleration.
  'Scheduled Revolving Credit Termination Date',
  'Scheduled Revolving Termination Date',
  'Scheduled Termination Date',
  'Scheduled Term Loan Maturity Date',
  'Scheduled Revolving Credit Maturity Date',
  'Scheduled RC Maturity Date',
];

const NUMBER_WORD =
  '(?:\\d{1,4}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen|twenty|thirty|sixty|ninety)';
const ORDINAL_WORD =
  '(?:\\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)';
// Relative maturities: "the fifth anniversary of the Closing Date", "364 days after the Closing
// Date", "the date that is five (5) years after the Effective Date".
const RELATIVE_MATURITY = new RegExp(
  `(?:the\\s+(?:date\\s+that\\s+is\\s+)?(${ORDINAL_WORD})\\s+anniversary\\s+of\\s+the\\s+((?:Closing|Effective|Funding|Restatement)\\s+Date|date\\s+(?:hereof|of\\s+this\\s+(?:Agreement|Note)))` +
    `|(?:the\\s+date\\s+(?:that\\s+is|which\\s+is|falling)\\s+)?(${NUMBER_WORD})(?:\\s*\\(\\d{1,4}\\))?\\s+(days?|months?|years?)\\s+(?:after|following|from)\\s+the\\s+((?:Closing|Effective|Funding|Restatement)\\s+Date|date\\s+(?:hereof|of\\s+this\\s+(?:Agreement|Note))))`,
  'i',
);

export interface MaturityResult {
  final: Found<string> | null;
  rule: Found<string> | null;
  byFacility: { type: string; date: string }[];
  /** Every dated statement, facility-specific or general ('Loans'). */
  dates: { type: string; date: string }[];
}

/** The Closing Date when the agreement fixes it: `"Closing Date" means March 15, 2024` or "the date hereof". */
function anchorDate(ctx: DocContext, anchor: string, executionDate: string | null): string | null {
  if (/date\s+(?:hereof|of\s+this)/i.test(anchor)) return executionDate;
  const def = ctx.definitions.get(anchor.replace(/\s+/g, ' '));
  if (!def) return null;
  const head = def.text.slice(def.term.length + 2, def.term.length + 160);
  const d = new RegExp(`^\\W*(?:shall\\s+)?means?\\s+(${DATE_SOURCE})`, 'i').exec(head);
  if (d) return parseDate(d[1]!);
  if (/^\W*(?:shall\s+)?means?\s+the\s+date\s+(?:hereof|of\s+this\s+Agreement)/i.test(head))
    return executionDate;
  return null;
}

function relativeMaturity(
  ctx: DocContext,
  text: string,
  executionDate: string | null,
): { rule: string; date: string | null } | null {
  const m = RELATIVE_MATURITY.exec(text);
  if (!m) return null;
  const rule = m[0].replace(/\s+/g, ' ').trim();
  let amount: number | null;
  let unit: 'days' | 'months' | 'years';
  let anchor: string;
  if (m[1]) {
    amount = parseCount(m[1]);
    unit = 'years';
    anchor = m[2]!;
  } else {
    amount = parseCount(m[3]!);
    const u = m[4]!.toLowerCase();
    unit = u.startsWith('day') ? 'days' : u.startsWith('month') ? 'months' : 'years';
    anchor = m[5]!;
  }
  const base = anchorDate(ctx, anchor, executionDate);
  const date = amount !== null && base ? addToDate(base, amount, unit) : null;
  return { rule, date };
}

// "(a) with respect to the Revolving Credit Facility, March 15, 2029 and (b) with respect to the Term
// Loan Facility, March 15, 2031".
const PER_FACILITY_DATE = new RegExp(
  `with\\s+respect\\s+to\\s+(?:the\\s+|any\\s+)?([A-Z][\\w\\s-]{2,60}?),\\s*(?:the\\s+earlier\\s+of\\s+\\(\\w\\)\\s+)?(${DATE_SOURCE})`,
  'g',
);

export function extractMaturity(
  ctx: DocContext,
  executionDate: string | null,
  revolving: boolean | null,
): MaturityResult {
  const { doc } = ctx;
  const dates: { type: string; date: string; start: number; end: number; confidence: number }[] = [];
  let rule: Found<string> | null = null;
  let ruleDate: Found<string> | null = null;

  for (const term of MATURITY_TERMS) {
    const def = ctx.definitions.get(term);
    if (!def) continue;
    const body = doc.text.slice(def.bodyStart, Math.min(def.end, def.bodyStart + 600));
    // A facility-specific term ("Term Loan Maturity Date") dates that facility; a general one
    // ("Maturity Date") dates every facility.
    const termType = facilityTypeOf(term.replace(/Maturity|Termination|Scheduled/g, ''), null) ?? 'Loans';
    PER_FACILITY_DATE.lastIndex = 0;
    let perFacility = false;
    for (let m = PER_FACILITY_DATE.exec(body); m; m = PER_FACILITY_DATE.exec(body)) {
      const iso = parseDate(m[2]!);
      const type = facilityTypeOf(m[1]!, revolving);
      if (!iso || !type) continue;
      perFacility = true;
      dates.push({
        type,
        date: iso,
        start: def.bodyStart + m.index,
        end: def.bodyStart + m.index + m[0].length,
        confidence: 0.9,
      });
    }
    if (perFacility) continue;
    // The stated date of the definition: "means March 15, 2029" or "the earlier of (a) March 15, 2029 and ...".
    const first = dateRegex('i').exec(body.slice(0, 300));
    // "the fifth anniversary of the Closing Date; provided that if on March 1, 2027 ..." states a
    // relative maturity; the date that follows it is a condition, not the maturity.
    const relAt = RELATIVE_MATURITY.exec(body.slice(0, 400))?.index ?? Infinity;
    if (
      first &&
      first.index < relAt &&
      !/\bprior\s+to\s*$|\bafter\s*$|\bbefore\s*$/i.test(body.slice(0, first.index))
    ) {
      const iso = parseDate(first[0]);
      if (iso) {
        dates.push({
          type: termType,
          date: iso,
          start: def.start,
          end: def.bodyStart + first.index + first[0].length,
          confidence: 0.9,
        });
        continue;
      }
    }
    const rel = relativeMaturity(ctx, body.slice(0, 400), executionDate);
    if (rel && !rule) {
      rule = found(doc, rel.rule, 0.85, def.start, Math.min(def.end, def.bodyStart + 400));
      if (rel.date) ruleDate = { value: rel.date, confidence: 0.75, evidence: rule.evidence };
    }
  }

  // An amendment replacing the date: `replacing "March 15, 2027" with "March 15, 2029"`.
  if (ctx.kind === 'amendment') {
    const re = new RegExp(
      `Maturity\\s+Date(?:[^.;]|\\.(?=\\d)){0,200}?replac\\w*\\s+["“]?(${DATE_SOURCE})["”]?\\s+(?:therein\\s+)?with\\s+["“]?(${DATE_SOURCE})`,
      'gi',
    );
    for (const m of bodyMatches(ctx, re)) {
      const iso = parseDate(m[2]!);
      if (iso)
        dates.push({
          type: 'Loans',
          date: iso,
          start: m.index,
          end: m.index + m[0].length,
          confidence: 0.85,
        });
    }
  }

  // Notes: "... shall be due and payable on June 30, 2027" or `June 30, 2027 (the "Maturity Date")`.
  if (dates.length === 0 && (ctx.kind === 'note' || ctx.kind === 'unknown')) {
    // The inline definition is the strongest statement; "due and payable on" must be about the
    // whole principal, not an installment "commencing on" a date.
    const inline = new RegExp(
      `(${DATE_SOURCE})\\s*\\((?:the\\s+)?["“](?:Maturity|Termination)\\s+Date["”]\\)`,
      'gi',
    );
    const payable = new RegExp(
      `\\b(?:entire|all|remaining|outstanding|unpaid)\\b[^.;]{0,160}?(?:due\\s+and\\s+payable|shall\\s+mature|matures?)\\b[^.;]{0,80}?\\bon\\s+(${DATE_SOURCE})`,
      'gi',
    );
    for (const re of [inline, payable]) {
      for (const m of bodyMatches(ctx, re)) {
        if (/commencing|beginning|each\s+month|monthly|quarterly/i.test(m[0])) continue;
        const iso = parseDate(m[1]!);
        if (!iso) continue;
        dates.push({
          type: 'Loans',
          date: iso,
          start: m.index,
          end: m.index + m[0].length,
          confidence: 0.85,
        });
        break;
      }
      if (dates.length > 0) break;
    }
  }

  // Term sheets: "Maturity: March 15, 2029" or "Maturity Date: Five years after the Closing Date."
  if (dates.length === 0 && !rule && ctx.kind === 'term_sheet') {
    const label =
      /(?:^|\n)[ \t]*(?:Final\s+)?(?:Maturity(?:\s+Date)?|Term|Tenor)[ \t]*:[ \t]*([^\n]{3,200})/g;
    for (const m of bodyMatches(ctx, label)) {
      const valueStart = m.index + m[0].length - m[1]!.length;
      const d = dateRegex('i').exec(m[1]!);
      if (d && d.index < 40) {
        const iso = parseDate(d[0]);
        if (iso)
          dates.push({
            type: 'Loans',
            date: iso,
            start: valueStart,
            end: valueStart + d.index + d[0].length,
            confidence: 0.85,
          });
        break;
      }
      const rel = relativeMaturity(ctx, m[1]!, executionDate);
      if (rel) {
        rule = found(doc, rel.rule, 0.8, valueStart, valueStart + m[1]!.length);
        if (rel.date) ruleDate = { value: rel.date, confidence: 0.7, evidence: rule.evidence };
        break;
      }
    }
  }

  let final: Found<string> | null = null;
  if (dates.length > 0) {
    const latest = dates.reduce((a, b) => (b.date > a.date ? b : a));
    const support = dates.filter((d) => d.date === latest.date);
    final = {
      value: latest.date,
      confidence: latest.confidence,
      evidence: support.flatMap((d) => evidenceFor(doc, d.start, d.end)),
    };
  } else if (ruleDate) {
    final = ruleDate;
  }
  const byFacility = dates.filter((d) => d.type !== 'Loans').map((d) => ({ type: d.type, date: d.date }));
  return { final, rule, byFacility, dates: dates.map((d) => ({ type: d.type, date: d.date })) };
}
