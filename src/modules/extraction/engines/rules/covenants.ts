import type { Evidence } from '../../engine.js';
import type { DocContext, Found } from './context.js';
import { bodyMatches, found, sentenceAround } from './context.js';
import { findDefinition } from './definitions.js';
import { evidenceFor } from './document.js';
import { MONEY_SOURCE, parseMoney } from './values.js';

// ---------------------------------------------------------------------------------------------
// Governing law

const US_STATES = [
  'Alabama',
  'Alaska',
  'Arizona',
  'Arkansas',
  'California',
  'Colorado',
  'Connecticut',
  'Delaware',
  'Florida',
  'Georgia',
  'Hawaii',
  'Idaho',
  'Illinois',
  'Indiana',
  'Iowa',
  'Kansas',
  'Kentucky',
  'Louisiana',
  'Maine',
  'Maryland',
  'Massachusetts',
  'Michigan',
  'Minnesota',
  'Mississippi',
  'Missouri',
  'Montana',
  'Nebraska',
  'Nevada',
  'New Hampshire',
  'New Jersey',
  'New Mexico',
  'New York',
  'North Carolina',
  'North Dakota',
  'Ohio',
  'Oklahoma',
  'Oregon',
  'Pennsylvania',
  'Rhode Island',
  'South Carolina',
  'South Dakota',
  'Tennessee',
  'Texas',
  'Utah',
  'Vermont',
  'Virginia',
  'Washington',
  'West Virginia',
  'Wisconsin',
  'Wyoming',
];
const JURISDICTION =
  `(?:(?:the\\s+)?(?:State|Commonwealth)\\s+of\\s+(${US_STATES.join('|').replace(/ /g, '\\s+')})` +
  `|(England\\s+and\\s+Wales|England|Scotland|Ontario|Quebec|the\\s+District\\s+of\\s+Columbia|Bermuda|the\\s+Cayman\\s+Islands|Luxembourg|Germany|Ireland|the\\s+Netherlands))`;
// "governed by, and construed in accordance with, the law of the State of New York". Upper-case
// text (common in this clause) is matched case-insensitively; the state is then title-cased.
const GOVERNED_BY = new RegExp(
  `\\bgoverned\\s+by,?\\s+(?:and\\s+(?:shall\\s+be\\s+)?(?:construed|interpreted|enforced)\\s+(?:and\\s+(?:interpreted|enforced)\\s+)?in\\s+accordance\\s+with,?\\s+)?(?:and\\s+construed\\s+under,?\\s+)?(?:the\\s+)?(?:internal\\s+)?laws?\\s+of\\s+${JURISDICTION}` +
    `|\\b${JURISDICTION}\\s+law\\s+shall\\s+govern`,
  'gi',
);

function titleCaseWords(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .trim()
    .split(' ')
    .map((w, i) =>
      i > 0 && /^(?:and|of|the)$/i.test(w)
        ? w.toLowerCase()
        : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase(),
    )
    .join(' ')
    .replace(/^The /, '');
}

/**
 * The agreement's own governing-law clause, not those of exhibits (forms may differ) nor the
 * perfection rules that point at "the laws of the jurisdiction of organization". Several clauses
 * that agree make it sure; clauses that disagree (a Canadian guarantee governed by Ontario law
 * inside a New York agreement) leave the one under a "Governing Law" heading, or nothing.
 */
export function extractGoverningLaw(ctx: DocContext): Found<string> | null {
  const { doc } = ctx;
  const hits: { value: string; start: number; end: number; headed: boolean; thisAgreement: boolean }[] = [];
  for (const m of bodyMatches(ctx, GOVERNED_BY, doc.bodyStart, doc.bodyEnd)) {
    const raw = m[1] ?? m[2] ?? m[3] ?? m[4]!;
    const value = titleCaseWords(raw);
    const before = doc.text.slice(Math.max(0, m.index - 500), m.index);
    const headed = /GOVERNING\s+LAW|Governing\s+Law|Applicable\s+Law|APPLICABLE\s+LAW/.test(before);
    const thisAgreement = /\b(?:this|THIS)\s+(?:AGREEMENT|Agreement|AMENDMENT|Amendment|NOTE|Note)\b/.test(
      before.slice(-300),
    );
    hits.push({ value, start: m.index, end: m.index + m[0].length, headed, thisAgreement });
  }
  if (hits.length === 0) return labelledLaw(ctx);
  const primary = hits.filter((h) => h.headed && h.thisAgreement);
  const pool = primary.length > 0 ? primary : hits.filter((h) => h.headed || h.thisAgreement);
  if (pool.length === 0) return null;
  const values = new Set(pool.map((h) => h.value));
  if (values.size > 1) return null;
  const best = pool[0]!;
  const agreeing = hits.filter((h) => h.value === best.value).length;
  const confidence = primary.length > 0 ? (agreeing > 1 ? 0.95 : 0.9) : 0.8;
  return found(doc, best.value, confidence, best.start, best.end);
}

// Term sheets: "Governing Law: New York" or "Governing Law: The laws of the State of New York."
const LAW_LABEL = new RegExp(
  `(?:^|\\n)[ \\t]*Governing\\s+Law[ \\t]*:[ \\t]*(?:(?:the\\s+)?laws?\\s+of\\s+)?(?:(?:the\\s+)?(?:State|Commonwealth)\\s+of\\s+)?(${US_STATES.join('|').replace(/ /g, '\\s+')}|England|Ontario)\\b`,
  'gi',
);

function labelledLaw(ctx: DocContext): Found<string> | null {
  if (ctx.kind !== 'term_sheet') return null;
  for (const m of bodyMatches(ctx, LAW_LABEL)) {
    return found(ctx.doc, titleCaseWords(m[1]!), 0.85, m.index, m.index + m[0].length);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Business Day

export function extractBusinessDay(ctx: DocContext): Found<string> | null {
  const def = findDefinition(ctx.definitions, 'Business Day', 'Business Days');
  if (!def) return null;
  // A definition of more than a page or so is a parsing accident rather than a definition.
  if (def.text.length < 30 || def.text.length > 4000) return null;
  return found(ctx.doc, def.text, def.text.length > 2000 ? 0.7 : 0.9, def.start, def.end);
}

// ---------------------------------------------------------------------------------------------
// Financial covenants

export interface Covenant {
  covenant_type: string;
  covenant_details: string | null;
  covenant_value: string | null;
  testing_frequency: string | null;
}

const RATIO_NAME =
  /((?:Consolidated\s+|Total\s+|Senior\s+|Secured\s+|First\s+Lien\s+|Net\s+|Adjusted\s+|Funded\s+)*(?:Leverage|Interest\s+Coverage|Fixed\s+Charge\s+Coverage|Debt\s+Service\s+Coverage|Debt\s+to\s+(?:EBITDA|Capitalization)|Asset\s+Coverage)\s+Ratio)/;
const RATIO_VALUE = /(\d{1,2}(?:\.\d{1,2})?)\s*(?:to|:)\s*(1(?:\.0{1,2})?)\b/;
const MONEY_COVENANT =
  /((?:Consolidated\s+|Tangible\s+)*(?:Net\s+Worth|Liquidity|EBITDA|Capital\s+Expenditures))/;

function ratioFromText(sentence: string): string | null {
  const m = RATIO_VALUE.exec(sentence);
  if (!m) return null;
  const left = Number(m[1]).toFixed(2);
  return `${left}:1.00`;
}

function testingFrequency(sentence: string): string | null {
  if (/fiscal\s+quarter|each\s+quarter|quarterly|Measurement\s+Period|Test\s+Period/i.test(sentence))
    return 'Quarterly';
  if (/fiscal\s+year|annually/i.test(sentence)) return 'Annually';
  if (/fiscal\s+month|monthly/i.test(sentence)) return 'Monthly';
  if (/at\s+all\s+times/i.test(sentence)) return 'At all times';
  return null;
}

// The covenant section heading: "Section 7.11 Financial Covenants." / "FINANCIAL COVENANTS".
const COVENANT_HEADING =
  /(?:^|\n)[ \t]*(?:(?:Section|SECTION)\s+)?(?:\d{1,2}\.\d{1,2}\.?)?[ \t]*(?:Financial\s+Covenants?|FINANCIAL\s+COVENANTS?|Financial\s+Condition\s+Covenants?|FINANCIAL\s+CONDITION\s+COVENANTS?)\.?[ \t]*(?=\n|[A-Z(])/g;

/**
 * Maintenance covenants, found only inside the "Financial Covenants" section: the same ratios appear
 * all over an agreement as incurrence tests ("on a pro forma basis ... would not exceed"), pricing
 * levels and definitions, none of which is a covenant.
 */
export function extractFinancialCovenants(ctx: DocContext): Found<Covenant[]> | null {
  const { doc } = ctx;
  let sectionStart = -1;
  for (const m of bodyMatches(ctx, COVENANT_HEADING)) {
    if ([...ctx.definitions.values()].some((d) => m.index >= d.start && m.index < d.end)) continue;
    sectionStart = m.index + m[0].length;
    break;
  }
  if (sectionStart < 0) return null;
  const next = /\n[ \t]*(?:(?:Section|SECTION)\s+\d{1,2}\.\d{1,2}|ARTICLE\s+[IVX]+|\d{1,2}\.\d{2}\s+[A-Z])/g;
  next.lastIndex = sectionStart + 10;
  const n = next.exec(doc.text);
  const sectionEnd = Math.min(n ? n.index : sectionStart + 5000, sectionStart + 8000, doc.bodyEnd);
  const section = doc.text.slice(sectionStart, sectionEnd);

  const covenants: Covenant[] = [];
  const evidence: Evidence[] = [];
  const seen = new Set<string>();
  const clause =
    /(?:Permit|permit|maintain|Maintain|shall\s+not\s+(?:permit|be)|will\s+not\s+permit|shall\s+(?:at\s+all\s+times\s+)?maintain)[^;]{0,500}?(?:;|\.(?=\s))/g;
  for (let m = clause.exec(section); m; m = clause.exec(section)) {
    const sentence = m[0];
    if (/pro\s+forma|would|after\s+giving\s+effect/i.test(sentence)) continue;
    const ratio = RATIO_NAME.exec(sentence);
    const moneyName = ratio ? null : MONEY_COVENANT.exec(sentence);
    if (!ratio && !moneyName) continue;
    const name = (ratio?.[1] ?? moneyName![1]!).replace(/\s+/g, ' ');
    const maximum = /greater\s+than|exceed|more\s+than|in\s+excess\s+of/i.test(sentence);
    const minimum = /less\s+than|below|at\s+least|not\s+less/i.test(sentence);
    const prefix = maximum && !minimum ? 'Maximum' : minimum && !maximum ? 'Minimum' : null;
    const type = prefix ? `${prefix} ${name}` : name;
    if (seen.has(type)) continue;
    let value: string | null = null;
    if (ratio) {
      // A step-down schedule ("set forth below opposite such period") has no single threshold.
      if (!/set\s+forth\s+(?:below|opposite)|table\s+below/i.test(sentence)) value = ratioFromText(sentence);
    } else {
      const mm = new RegExp(MONEY_SOURCE).exec(sentence);
      const money = mm ? parseMoney(mm[0]) : null;
      if (money) value = `${money.currency} ${money.amount}`;
    }
    seen.add(type);
    const details = sentence.replace(/\s+/g, ' ').trim();
    covenants.push({
      covenant_type: type,
      covenant_details: details,
      covenant_value: value,
      testing_frequency: testingFrequency(sentence),
    });
    evidence.push(...evidenceFor(doc, sectionStart + m.index, sectionStart + m.index + m[0].length));
  }
  if (covenants.length === 0) return null;
  return { value: covenants, confidence: 0.8, evidence };
}

// ---------------------------------------------------------------------------------------------
// Events of default (booking sheet)

const EOD_HEADING =
  /(?:^|\n)[ \t]*(?:(?:Section|SECTION)\s+)?\d{1,2}\.\d{1,2}\.?[ \t]+(?:Events\s+of\s+Default|EVENTS\s+OF\s+DEFAULT)\.?/g;

/**
 * Events of default listed with headings ("(a) Non-Payment.", "(b) Specific Covenants."), the
 * common form of syndicated agreements. Lists without headings are left to a reviewer rather than
 * summarised by guesswork.
 */
export function extractEventsOfDefault(
  ctx: DocContext,
): Found<{ event_description: string; remedy: string | null }[]> | null {
  const { doc } = ctx;
  let start = -1;
  for (const m of bodyMatches(ctx, EOD_HEADING)) {
    start = m.index + m[0].length;
    break;
  }
  if (start < 0) return null;
  const section = doc.text.slice(start, Math.min(doc.bodyEnd, start + 20000));
  const end = /\n[ \t]*(?:(?:Section|SECTION)\s+)?\d{1,2}\.\d{1,2}\.?[ \t]+[A-Z]/.exec(section);
  const body = end ? section.slice(0, end.index) : section;
  const items: { event_description: string; remedy: string | null }[] = [];
  const letters: string[] = [];
  const re =
    /(?:^|\n)[ \t]*\(([a-z]{1,2})\)[ \t]+((?:[A-Z][\w'’/-]*)(?:[ \t]+(?:[A-Z][\w'’/-]*|of|and|or|the|to|by|under|in|for|with|Under))*)\.(?=\s)/g;
  let first = -1;
  let last = -1;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    letters.push(m[1]!);
    items.push({ event_description: m[2]!.replace(/\s+/g, ' '), remedy: null });
    if (first < 0) first = m.index;
    last = m.index + m[0].length;
  }
  // Headings must run (a), (b), (c) ... to be a heading list rather than stray references.
  const expected = letters.every((l, i) => l === String.fromCharCode(97 + i));
  if (items.length < 3 || !expected) return null;
  const remedy = /declare[^.]{0,200}immediately\s+due\s+and\s+payable/i.test(
    doc.text.slice(start + body.length, start + body.length + 6000),
  )
    ? 'acceleration of the obligations and termination of the commitments'
    : null;
  for (const it of items) it.remedy = remedy;
  return found(doc, items, 0.75, start + first, start + last);
}

// ---------------------------------------------------------------------------------------------
// Day count, prepayment, revolving, collateral, lender type (booking sheet)

export function extractAccrualBasis(ctx: DocContext): Found<string> | null {
  const re =
    /\b(?:basis\s+of\s+a\s+(?:year\s+of\s+)?(360|365|366|365\s+or\s+366)(?:[\s-]+days?|-day)(?:\s+year)?|(360|365)-day\s+year|twelve\s+30-day\s+months|30\/360)/gi;
  const bases = new Map<string, { start: number; end: number }>();
  for (const m of bodyMatches(ctx, re)) {
    const s = sentenceAround(ctx.doc.text, m.index, 300, 200);
    const sentence = ctx.doc.text.slice(s.start, s.end);
    if (!/interest|fees?|computed|calculated|computations?/i.test(sentence)) continue;
    const days = m[1] ?? m[2];
    let basis: string;
    if (/twelve\s+30-day|30\/360/i.test(m[0])) basis = '30/360';
    else if (days === '360') basis = 'Actual/360';
    else if (/365\s+or\s+366/.test(days ?? '') || /leap\s+year|366/i.test(sentence)) basis = 'Actual/Actual';
    else basis = 'Actual/365';
    if (!bases.has(basis)) bases.set(basis, { start: s.start, end: s.end });
  }
  if (bases.size === 0) return null;
  // Agreements often count Base Rate loans on a 365/366-day year and everything else on 360 days;
  // the booking sheet has one basis, so the 360-day one (SOFR loans and fees) is offered for review.
  const pick = bases.has('Actual/360') ? 'Actual/360' : [...bases.keys()][0]!;
  const span = bases.get(pick)!;
  return found(ctx.doc, pick, bases.size === 1 ? 0.85 : 0.6, span.start, span.end);
}

export function extractPrepaymentPenalty(ctx: DocContext): Found<boolean> | null {
  // A defined fee or premium on prepayment or repayment that is priced: `"Applicable Term Loan
  // Repayment Fee" means ... a fee equal to 3% of the Term Loan Termination Amount`.
  for (const def of ctx.definitions.values()) {
    if (!/\b(?:Prepayment|Repayment)\s+(?:Fee|Premium|Penalty)$/i.test(def.term)) continue;
    if (/\d(?:\.\d+)?\s?%|\bpercent\b/i.test(def.text.slice(0, 1500)))
      return found(ctx.doc, true, 0.75, def.start, Math.min(def.end, def.start + 400));
  }
  const premium =
    /\b(?:Prepayment\s+Premium|prepayment\s+premium|make-whole|Make-Whole|prepayment\s+(?:fee|penalty)\s+(?:equal|of)|Repricing\s+Transaction)\b/g;
  for (const m of bodyMatches(ctx, premium)) {
    const s = sentenceAround(ctx.doc.text, m.index, 300, 300);
    const sentence = ctx.doc.text.slice(s.start, s.end);
    if (/without\s+(?:any\s+)?(?:premium|penalty)|no\s+(?:premium|penalty)/i.test(sentence)) continue;
    if (/\d(?:\.\d+)?\s?%|\bpremium\s+equal/i.test(sentence))
      return found(ctx.doc, true, 0.8, s.start, s.end);
  }
  const free =
    /\bwithout\s+(?:any\s+)?(?:premium\s+or\s+penalty|penalty\s+or\s+premium|prepayment\s+(?:premium|penalty))\b/gi;
  for (const m of bodyMatches(ctx, free)) {
    const s = sentenceAround(ctx.doc.text, m.index, 400, 200);
    const sentence = ctx.doc.text.slice(s.start, s.end);
    if (!/prepa/i.test(sentence)) continue;
    return found(ctx.doc, false, 0.8, s.start, s.end);
  }
  return null;
}

/**
 * Revolving when loans may be reborrowed ("may borrow ..., prepay ... and reborrow") or the
 * agreement has revolving commitments; not revolving when term loans "may not be reborrowed" and
 * nothing revolves.
 */
export function extractRevolving(ctx: DocContext): Found<boolean> | null {
  const revolving =
    /\breborrow\b|\brevolving\s+(?:credit\s+)?(?:commitments?|loans?|facility|line\s+of\s+credit)\b/gi;
  let first: RegExpExecArray | null = null;
  let count = 0;
  for (const m of bodyMatches(ctx, revolving)) {
    // "may not be reborrowed" is a term loan's rule, not a revolving facility.
    if (/not\s+be\s+$/.test(ctx.doc.text.slice(Math.max(0, m.index - 12), m.index))) continue;
    if (/is\s+not\s+a\s+$|non-$/.test(ctx.doc.text.slice(Math.max(0, m.index - 12), m.index))) continue;
    // A right to reborrow is the definition of a revolving facility; one mention settles it.
    count += /^reborrow$/i.test(m[0]) ? 2 : 1;
    first ??= m;
    if (count >= 2) break;
  }
  if (first && count >= 2) return found(ctx.doc, true, 0.85, first.index, first.index + first[0].length);
  // The title says so: "REVOLVING CREDIT AGREEMENT", "First Amendment to Revolving Credit Agreement".
  const title =
    /\b(?:REVOLVING\s+CREDIT\s+AGREEMENT|Revolving\s+Credit\s+Agreement|REVOLVING\s+(?:LINE\s+OF\s+)?CREDIT\s+(?:AND\s+\w+\s+)?(?:FACILITY|AGREEMENT))\b/.exec(
      ctx.doc.text.slice(0, Math.min(ctx.doc.text.length, (ctx.preamble?.end ?? 0) + 1500)),
    );
  if (title && count === 0) return found(ctx.doc, true, 0.75, title.index, title.index + title[0].length);
  const termOnly =
    /\b(?:may\s+not\s+be\s+reborrowed|shall\s+not\s+be\s+reborrowed|not\s+be\s+re-?borrowed)\b/g;
  for (const m of bodyMatches(ctx, termOnly)) {
    if (count === 0) return found(ctx.doc, false, 0.8, m.index, m.index + m[0].length);
  }
  // Only the contents were read (a cover and its contents, or a body the patterns missed): a
  // section headed "Revolving Loans" or "Revolving Credit Commitments" says the facility revolves.
  if (count === 0) {
    const heading =
      /^[ \t]*(?:(?:Section\s+)?\d{1,2}\.\d{1,2}\.?[ \t]+)?Revolving\s+(?:Credit\s+)?(?:Loans?|Commitments?|Facility|Advances)\b/gim;
    for (const p of ctx.doc.pages) {
      if (!p.isToc) continue;
      heading.lastIndex = 0;
      const m = heading.exec(p.text);
      if (m) {
        const at = p.offset + m.index + m[0].length - m[0].trimStart().length;
        return found(ctx.doc, true, 0.7, at, p.offset + m.index + m[0].length);
      }
    }
  }
  return null;
}

export function extractCollateral(
  ctx: DocContext,
): Found<
  { collateral_type: string; collateral_value: string | null; security_agreement: string | null }[]
> | null {
  const re =
    /\bsecured\s+by\s+(?:a\s+)?(?:valid\s+(?:and\s+)?)?(?:first[\s-]priority\s+)?(?:perfected\s+)?(?:first[\s-]priority\s+)?(?:security\s+interests?|liens?)\s+(?:in|on|upon)\s+((?:substantially\s+)?all\s+(?:of\s+)?(?:the\s+)?[^.;]{3,120}?)(?=\s+(?:pursuant\s+to|under|granted|as\s+set\s+forth|subject\s+to)\b|[.;,(])/gi;
  for (const m of bodyMatches(ctx, re)) {
    const type = m[1]!.replace(/\s+/g, ' ').trim();
    const agreement =
      [
        'Security Agreement',
        'Pledge and Security Agreement',
        'Guarantee and Collateral Agreement',
        'Guaranty and Security Agreement',
        'Collateral Agreement',
      ].find((t) => ctx.definitions.has(t)) ?? null;
    return found(
      ctx.doc,
      [{ collateral_type: type, collateral_value: null, security_agreement: agreement }],
      0.7,
      m.index,
      m.index + m[0].length,
    );
  }
  return null;
}
