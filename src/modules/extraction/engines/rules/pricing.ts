import type { Evidence } from '../../engine.js';
import type { DocContext, Found } from './context.js';
import { bodyMatches, found, sentenceAround } from './context.js';
import { findDefinition } from './definitions.js';
import { evidenceFor } from './document.js';
import { facilityTypeOf } from './terms.js';
import { PERCENT_SOURCE, normalisePercent } from './values.js';

// ---------------------------------------------------------------------------------------------
// Benchmarks

// Loan types name the benchmark options: "Term SOFR Loans", "Base Rate Loans", "ABR Borrowings",
// "Eurodollar Rate Loans". Components of a benchmark (the Federal Funds Rate inside the Base Rate)
// are never followed by "Loan", which is why the loan noun is required.
const OPTION_SOURCE =
  '(Daily\\s+Simple\\s+SOFR|Adjusted\\s+Term\\s+SOFR|Term\\s+SOFR|Daily\\s+SOFR|SOFR|Alternate\\s+Base\\s+Rate|Base\\s+Rate|ABR|Eurodollar(?:\\s+Rate)?|LIBOR|LIBO\\s+Rate|Eurocurrency(?:\\s+Rate)?|EURIBOR|Prime\\s+Rate|Term\\s+Benchmark|RFR|BSBY|CDOR|SONIA)';
const LOAN_TYPE = new RegExp(
  `\\b${OPTION_SOURCE}\\s+(?:Rate\\s+)?(?:Loans?|Borrowings?|Advances?|Tranches?)\\b`,
  'g',
);
// Notes and term sheets: "at a rate per annum equal to the Prime Rate plus 0.50%".
const RATE_EQUAL = new RegExp(
  `\\brate\\s+(?:per\\s+annum\\s+)?equal\\s+to\\s+(?:the\\s+)?(?:sum\\s+of\\s+(?:\\(\\w\\)\\s+)?(?:the\\s+)?)?${OPTION_SOURCE}\\b`,
  'g',
);

export function canonicalOption(raw: string): string {
  let s = raw.replace(/\s+/g, ' ').trim();
  // Grid headings are often in capitals ("BASE RATE LOANS"): the option keeps its usual spelling.
  if (!/[a-z]/.test(s))
    s = s
      .split(' ')
      .map((w) =>
        /^(?:SOFR|LIBOR|LIBO|ABR|EURIBOR|RFR|BSBY|CDOR|SONIA)$/.test(w)
          ? w
          : w.charAt(0) + w.slice(1).toLowerCase(),
      )
      .join(' ');
  if (/^Adjusted Term SOFR$/i.test(s)) return 'Term SOFR';
  if (/^ABR$/.test(s) || /^Alternate Base Rate$/i.test(s)) return 'Alternate Base Rate';
  if (/^Eurodollar/i.test(s)) return 'Eurodollar Rate';
  if (/^(?:LIBOR|LIBO Rate)$/i.test(s)) return 'LIBOR';
  if (/^Eurocurrency/i.test(s)) return 'Eurocurrency Rate';
  return s;
}

// `"Type", when used in reference to any Loan or Borrowing, refers to whether the rate of interest
// ... is determined by reference to the Adjusted LIBO Rate or the Alternate Base Rate.`
const TYPE_OPTIONS = new RegExp(
  `determined\\s+by\\s+reference\\s+to\\s+(?:the\\s+)?${OPTION_SOURCE}((?:,\\s*(?:the\\s+)?(?:Adjusted\\s+)?(?:Daily\\s+Simple\\s+SOFR|Term\\s+SOFR|SOFR|Alternate\\s+Base\\s+Rate|Base\\s+Rate|LIBO\\s+Rate|EURIBOR|Eurocurrency\\s+Rate|Eurodollar\\s+Rate|Prime\\s+Rate|RFR))*)\\s*,?\\s+or\\s+(?:the\\s+)?${OPTION_SOURCE}`,
);

export function extractBaseRateOptions(ctx: DocContext): Found<string[]> | null {
  const typeDef = ctx.definitions.get('Type');
  if (typeDef) {
    const m = TYPE_OPTIONS.exec(
      typeDef.text.replace(/Adjusted\s+(?=LIBO|Term\s+SOFR|Eurocurrency|EURIBOR)/g, ''),
    );
    if (m) {
      const middle = (m[2] ?? '')
        .split(/\s*,\s*/)
        .map((x) => x.replace(/^the\s+/, '').trim())
        .filter((x) => x.length > 0);
      const names = [...new Set([m[1]!, ...middle, m[3]!].map(canonicalOption))];
      if (names.length >= 2)
        return { value: names, confidence: 0.85, evidence: evidenceFor(ctx.doc, typeDef.start, typeDef.end) };
    }
  }
  const counts = new Map<string, { n: number; first: number; firstEnd: number }>();
  const add = (raw: string, start: number, end: number, weight: number): void => {
    const key = canonicalOption(raw);
    const c = counts.get(key);
    if (c) c.n += weight;
    else counts.set(key, { n: weight, first: start, firstEnd: end });
  };
  for (const m of bodyMatches(ctx, LOAN_TYPE)) add(m[1]!, m.index, m.index + m[0].length, 1);
  for (const m of bodyMatches(ctx, RATE_EQUAL)) add(m[1]!, m.index, m.index + m[0].length, 2);
  // A type mentioned once may be a passing reference (a transition clause naming LIBOR); an option
  // is used throughout the agreement.
  const options = [...counts.entries()].filter(([, c]) => c.n >= 2).sort((a, b) => a[1].first - b[1].first);
  // "SOFR Loans" and "Term SOFR Loans" in one agreement are the same option written two ways.
  const names = options.map(([k]) => k).filter((k, _i, all) => !(k === 'SOFR' && all.includes('Term SOFR')));
  if (names.length === 0) return null;
  const evidence = options
    .filter(([k]) => names.includes(k))
    .flatMap(([, c]) => evidenceFor(ctx.doc, c.first, c.firstEnd));
  return { value: names, confidence: 0.85, evidence };
}

// ---------------------------------------------------------------------------------------------
// Margins

export interface Margin {
  rate_option: string | null;
  margin: string;
  tier: string | null;
}

const MARGIN_TERMS = [
  'Applicable Rate',
  'Applicable Margin',
  'Applicable Spread',
  'Applicable Interest Margin',
  'Margin',
];
const GRID_MARKERS =
  /Pricing\s+Level|\bLevel\s+[IV1-9]\b|\bCategory\s+[1-9IV]\b|\bTier\s+[1-9IV]\b|following\s+table|set\s+forth\s+below|pricing\s+grid/i;
const PAIR = new RegExp(
  `${OPTION_SOURCE}\\s+(?:Rate\\s+)?(?:Loans?|Borrowings?|Advances?)?[^%;.]{0,60}?(${PERCENT_SOURCE})`,
  'g',
);
const RATE_FOR = new RegExp(
  `(${PERCENT_SOURCE})(?:\\s+per\\s+annum)?\\s+(?:for|with\\s+respect\\s+to)\\s+(?:the\\s+|all\\s+)?${OPTION_SOURCE}\\s+(?:Rate\\s+)?(?:Loans?|Borrowings?|Advances?|Loan\\s+Advances?)\\b`,
  'g',
);
const PLUS_MARGIN = new RegExp(
  `${OPTION_SOURCE}\\s+(?:plus|\\+)\\s+(?:a\\s+margin\\s+of\\s+)?(${PERCENT_SOURCE})`,
  'g',
);

function columnsOf(header: string): string[] {
  // Column headings of a pricing grid, in reading order. Each heading is one of these; a heading
  // that merges two ("Term SOFR Loans and Letters of Credit") is one column.
  const re =
    /(Commitment(?:\s+Fee)?|Facility\s+Fee|Unused\s+(?:Line\s+|Commitment\s+)?Fee|Letter\s+of\s+Credit\s+Fee|Daily\s+Simple\s+SOFR|Term\s+SOFR|SOFR|Eurodollar|LIBOR|Eurocurrency|Term\s+Benchmark|RFR|EURIBOR|Alternate\s+Base\s+Rate|Base\s+Rate|ABR|Prime)/gi;
  const cols: string[] = [];
  let lastEnd = -100;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    const gap = header.slice(lastEnd, m.index);
    // "Term SOFR Loans and Letters of Credit": a benchmark right after another benchmark joined by
    // "and" or "/" is the same column only for the letter-of-credit fee, which is not a keyword here.
    if (
      lastEnd >= 0 &&
      /^\s*(?:Loans?)?\s*(?:\/|and)\s*$/i.test(gap) &&
      /fee/i.test(m[1]!) === false &&
      cols.length > 0 &&
      /SOFR|Eurodollar|LIBOR|Eurocurrency|Benchmark|RFR|EURIBOR/i.test(cols[cols.length - 1]!) &&
      /SOFR|Eurodollar|LIBOR|Eurocurrency|Benchmark|RFR|EURIBOR/i.test(m[1]!)
    ) {
      lastEnd = m.index + m[0].length;
      continue;
    }
    cols.push(m[1]!.replace(/\s+/g, ' '));
    lastEnd = m.index + m[0].length;
  }
  return cols;
}

const GRID_ROW =
  /^[ \t]*((?:Pricing\s+)?(?:Level|Category|Tier)\s+[IVX\d]{1,4}|[IVX]{1,4}|\d)\b[ \t.:]*([^\n%]*?)((?:\d{1,2}(?:\.\d{1,4})?\s?%[^\n%\d]{0,20}){2,8})$/gm;

function parseGrid(
  text: string,
  base: number,
): { margins: Margin[]; start: number; end: number; mapped: boolean } | null {
  GRID_ROW.lastIndex = 0;
  const rows: { tier: string; values: string[]; index: number; end: number }[] = [];
  for (let m = GRID_ROW.exec(text); m; m = GRID_ROW.exec(text)) {
    const values = [...m[3]!.matchAll(/(\d{1,2}(?:\.\d{1,4})?)\s?%/g)].map((v) =>
      normalisePercent(`${v[1]}%`)!,
    );
    let label = m[1]!.trim();
    if (/^[IVX\d]{1,4}$/.test(label)) label = `Level ${label}`;
    const test = m[2]!.replace(/\s+/g, ' ').trim();
    rows.push({
      tier: test ? `${label}: ${test}` : label,
      values,
      index: m.index,
      end: m.index + m[0].length,
    });
  }
  if (rows.length < 2) return null;
  const width = rows[0]!.values.length;
  if (!rows.every((r) => r.values.length === width)) return null;
  const cols = columnsOf(text.slice(0, rows[0]!.index));
  const mapped = cols.length === width;
  const margins: Margin[] = [];
  for (const r of rows) {
    r.values.forEach((v, i) => {
      const col = mapped ? cols[i]! : null;
      if (col && /fee|commitment|unused/i.test(col)) return;
      margins.push({ rate_option: col ? canonicalOption(col) : null, margin: v, tier: r.tier });
    });
  }
  return { margins, start: base + rows[0]!.index, end: base + rows[rows.length - 1]!.end, mapped };
}

// One cell value at the end of a fixed-width row: "1.25%", "0.375 %", or a bare "4.00" in a grid
// whose definition speaks of percentages. Bare values need two decimals so that the ratio in the
// row's test ("3.0 to 1") is never read as a rate.
const TRAILING_CELL =
  /(?:[ \t]{2,}|\.{2,}[ \t]*|^[ \t]*)(\d{1,2}(?:\.\d{1,4})?[ \t]?%|\d{1,2}\.\d{2,4})[ \t]*$/;
const RULE_LINE = /^[ \t]*[-=_]{5,}[ \t-=_]*$/;

interface TableRow {
  label: string;
  values: string[];
  bare: boolean;
  start: number;
  end: number;
}

function trailingCells(line: string): { values: string[]; rest: string; bare: boolean } {
  const values: string[] = [];
  let rest = line;
  let bare = false;
  for (let i = 0; i < 8; i++) {
    const m = TRAILING_CELL.exec(rest);
    if (!m) break;
    values.unshift(m[1]!.replace(/\s/g, ''));
    if (!m[1]!.includes('%')) bare = true;
    rest = rest.slice(0, m.index);
  }
  return { values, rest: rest.replace(/\.{2,}\s*$/, ''), bare };
}

/**
 * Pricing grids laid out as fixed-width tables (typewriter filings and HTML tables flattened to
 * text): column headings over one or two lines, rows whose test wraps over several lines with the
 * rates at the end of the last one, rule lines between rows, and one table per facility within the
 * same definition ("(a) ... Term Loans ... (b) ... Revolving Loans"). The rates are mapped to the
 * benchmark columns of the heading by position; a table whose heading names no benchmark, or whose
 * rows do not all have one rate per benchmark column, is not read.
 */
function parseFixedWidthGrids(
  text: string,
  base: number,
  revolving: boolean | null,
): {
  margins: Margin[];
  start: number;
  end: number;
  facilities: (string | null)[];
  firstTable: number;
} | null {
  const lines: { text: string; start: number }[] = [];
  for (let pos = 0; pos <= text.length;) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    lines.push({ text: text.slice(pos, end), start: pos });
    if (nl === -1) break;
    pos = nl + 1;
  }
  const tables: { intro: string; heading: string; cols: string[]; rows: TableRow[] }[] = [];
  // Rows of one table, from lines after its heading. A row's test may wrap above its rates ("I
  // Greater than or equal to" over "3.0 to 1  4.00") or below them ("... 5.0  1.25%  2.25%" over
  // "to 1"); lines left after the last row of a run continue that row.
  const readRows = (run: { text: string; start: number }[], rows: TableRow[]): void => {
    let pending: string[] = [];
    let pendingStart = -1;
    for (const l of run) {
      if (RULE_LINE.test(l.text)) {
        pending = [];
        pendingStart = -1;
        continue;
      }
      const cells = l.text.length < 400 ? trailingCells(l.text) : { values: [], rest: l.text, bare: false };
      if (cells.values.length === 0) {
        if (pendingStart < 0) pendingStart = l.start;
        pending.push(l.text.trim());
        continue;
      }
      rows.push({
        label: [...pending, cells.rest.trim()].join(' ').replace(/\s+/g, ' ').trim(),
        values: cells.values,
        bare: cells.bare,
        start: pendingStart >= 0 ? pendingStart : l.start,
        end: l.start + l.text.length,
      });
      pending = [];
      pendingStart = -1;
    }
    const last = rows[rows.length - 1];
    if (last && pending.length > 0 && pending.every((p) => p.length <= 40)) {
      last.label = `${last.label} ${pending.join(' ')}`.replace(/\s+/g, ' ').trim();
    }
  };
  let proseStart = 0;
  let previousRunEnd = -10;
  let i = 0;
  while (i < lines.length) {
    // A table is a run of non-blank lines (headings, rows, rule lines) holding at least one row.
    if (lines[i]!.text.trim() === '') {
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]!.text.trim() !== '') j++;
    const run = lines.slice(i, j);
    const firstRow = run.findIndex((l) => l.text.length < 400 && trailingCells(l.text).values.length > 0);
    const current = tables[tables.length - 1];
    // Flattened tables often put a blank line between rows: a run of rows right after a table,
    // under no heading of its own, continues that table.
    const continues =
      current !== undefined &&
      firstRow >= 0 &&
      i - previousRunEnd <= 3 &&
      columnsOf(
        run
          .slice(0, firstRow)
          .map((l) => l.text)
          .join('\n'),
      ).length === 0;
    if (continues) {
      readRows(run, current.rows);
      proseStart = lines[j - 1]!.start + lines[j - 1]!.text.length;
      previousRunEnd = j;
    } else if (firstRow > 0) {
      // The heading ends at the last rule line above the first row; lines between that rule and the
      // row are the first row's wrapped test.
      let headEnd = firstRow;
      for (let k = firstRow - 1; k >= 0; k--) {
        if (RULE_LINE.test(run[k]!.text)) {
          headEnd = k + 1;
          break;
        }
      }
      const heading = run
        .slice(0, headEnd)
        .map((l) => l.text)
        .join('\n');
      const rows: TableRow[] = [];
      readRows(run.slice(headEnd), rows);
      tables.push({
        intro: text.slice(proseStart, lines[i]!.start),
        heading,
        cols: columnsOf(heading),
        rows,
      });
      proseStart = lines[j - 1]!.start + lines[j - 1]!.text.length;
      previousRunEnd = j;
    }
    i = j;
  }
  for (const t of tables) {
    for (const r of t.rows) {
      // "II  Greater than or equal to 2.00 to 1": a level number in its own column.
      const level =
        /^(?:(?:Pricing\s+)?(?:Level|Category|Tier)\s+)?([IVX]{1,4}|\d)(?:[.:]?\s+|[.:]?$)(.*)$/.exec(
          r.label,
        );
      if (level) r.label = level[2] ? `Level ${level[1]}: ${level[2]}` : `Level ${level[1]}`;
    }
  }
  const margins: Margin[] = [];
  let start = -1;
  let end = -1;
  const read = tables.filter((t) => {
    const width = t.cols.length;
    if (width === 0 || t.rows.length < 2) return false;
    return t.rows.every((r) => r.values.length >= width && r.label.length > 0);
  });
  if (read.length === 0) return null;
  for (const t of read) {
    const width = t.cols.length;
    // A table per facility: the prose before it says which ("with respect to (A) Term Loans ...").
    const facility =
      read.length > 1 ? (facilityTypeOf(t.heading, revolving) ?? facilityTypeOf(t.intro, revolving)) : null;
    const prefix = facility ? `${facility.replace(/ Facility$/, '')}: ` : '';
    for (const r of t.rows) {
      // The rates are the last cells: a test that ends in a number ("less than 3.00") adds one.
      const cells = r.values.slice(-width);
      cells.forEach((v, k) => {
        const col = t.cols[k]!;
        if (/fee|commitment|unused/i.test(col)) return;
        const pct = normalisePercent(v.endsWith('%') ? v : `${v}%`);
        if (pct)
          margins.push({ rate_option: canonicalOption(col), margin: pct, tier: `${prefix}${r.label}` });
      });
      if (start < 0) start = r.start;
      end = Math.max(end, r.end);
    }
  }
  if (margins.length === 0) return null;
  return {
    margins,
    start: base + start,
    end: base + end,
    facilities: read.map((t) => facilityTypeOf(t.heading, revolving) ?? facilityTypeOf(t.intro, revolving)),
    firstTable: read[0]!.intro.length,
  };
}

export function extractMargins(ctx: DocContext, revolving: boolean | null = null): Found<Margin[]> | null {
  const { doc } = ctx;
  const def = findDefinition(ctx.definitions, ...MARGIN_TERMS);
  if (def) {
    const body = doc.text.slice(def.start, def.end);
    // A grid is recognised by its rows as much as by its wording: flattened tables often lose the
    // "Pricing Level" heading to a line break.
    const grid = parseGrid(body, def.start);
    const table = grid?.mapped ? null : parseFixedWidthGrids(body, def.start, revolving);
    if (table) {
      // "(a) with respect to Term Loans which are Base Rate Loans, 1.00%; ... (d) with respect to
      // Revolving Loans, ... set forth below": a flat rate for a facility the grid does not price.
      // Rates for an initial period of a gridded facility ("during the period ... through the
      // Trigger Date") are the grid's first level again and are left out.
      const flat: Margin[] = [];
      const prose = body.slice(0, table.firstTable);
      PAIR.lastIndex = 0;
      for (let m = PAIR.exec(prose); m; m = PAIR.exec(prose)) {
        const clause = prose.slice(Math.max(0, m.index - 80), m.index);
        const facility = facilityTypeOf(clause, revolving);
        const pct = normalisePercent(m[2]!);
        if (!pct || !facility || table.facilities.includes(facility)) continue;
        if (/during\s+the\s+period|\buntil\b|\bthrough\s+the\b|prior\s+to/i.test(clause)) continue;
        flat.push({
          rate_option: canonicalOption(m[1]!),
          margin: pct,
          tier: facility.replace(/ Facility$/, ''),
        });
      }
      return {
        value: [...flat, ...table.margins],
        confidence: 0.75,
        evidence: evidenceFor(doc, table.start, table.end),
      };
    }
    if (grid || GRID_MARKERS.test(body)) {
      if (grid && grid.margins.length > 0) {
        return {
          value: grid.margins,
          confidence: grid.mapped ? 0.8 : 0.5,
          evidence: evidenceFor(doc, grid.start, grid.end),
        };
      }
      return null;
    }
    const margins: Margin[] = [];
    // "4.50% per annum for LIBOR Loan Advances and 3.25% per annum for Base Rate Advances": the rate
    // comes first. Otherwise the option comes first, and the words between them belong to one
    // clause: a gap with "and" or a clause letter reaches into the next option's rate.
    RATE_FOR.lastIndex = 0;
    for (let m = RATE_FOR.exec(body); m; m = RATE_FOR.exec(body)) {
      const pct = normalisePercent(m[1]!);
      if (pct) margins.push({ rate_option: canonicalOption(m[2]!), margin: pct, tier: null });
    }
    PAIR.lastIndex = 0;
    for (let m = margins.length > 0 ? null : PAIR.exec(body); m; m = PAIR.exec(body)) {
      const gap = m[0].slice(m[1]!.length, m[0].length - m[2]!.length);
      if (/\band\b|\(\w{1,3}\)/.test(gap.replace(/^\s+(?:Rate\s+)?(?:Loans?|Borrowings?|Advances?)/, ''))) {
        // The rate may still belong to an option inside the gap: look again from just after this one.
        PAIR.lastIndex = m.index + m[1]!.length;
        continue;
      }
      const pct = normalisePercent(m[2]!);
      if (pct) margins.push({ rate_option: canonicalOption(m[1]!), margin: pct, tier: null });
    }
    if (margins.length > 0) return found(doc, dedupeMargins(margins), 0.85, def.start, def.end);
    return null;
  }
  // Without a defined margin, notes and term sheets state "Term SOFR plus 2.25%".
  const margins: Margin[] = [];
  let start = -1;
  let end = -1;
  for (const m of bodyMatches(ctx, PLUS_MARGIN)) {
    const pct = normalisePercent(m[2]!);
    if (!pct) continue;
    margins.push({ rate_option: canonicalOption(m[1]!), margin: pct, tier: null });
    if (start < 0) start = m.index;
    end = m.index + m[0].length;
    if (margins.length >= 4) break;
  }
  if (margins.length === 0) return null;
  const unique = dedupeMargins(margins);
  // Two different spreads for one option without a grid is a step-up or an example: do not guess.
  const options = new Set(unique.map((u) => u.rate_option));
  if (options.size !== unique.length) return null;
  return found(doc, unique, 0.8, start, end);
}

function dedupeMargins(ms: Margin[]): Margin[] {
  const seen = new Set<string>();
  return ms.filter((m) => {
    const key = `${m.rate_option}|${m.margin}|${m.tier}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Floor and default rate

// "if Term SOFR shall be less than the Floor", "... shall be less than zero, such rate shall be
// deemed to be zero", `"Floor" means a rate of interest equal to 0%`.
const FLOOR_DEFINITION = new RegExp(
  `^["“]Floor["”]\\s+(?:shall\\s+)?means?\\s+(?:a\\s+rate\\s+(?:of\\s+interest\\s+)?(?:per\\s+annum\\s+)?equal\\s+to\\s+)?(${PERCENT_SOURCE}|zero)`,
  'i',
);
const FLOOR_SENTENCE = new RegExp(
  `\\b(?:SOFR|LIBOR|LIBO\\s+Rate|Eurodollar\\s+Rate|Eurocurrency\\s+Rate|Base\\s+Rate|Benchmark|Prime\\s+Rate|EURIBOR)\\b[^.;]{0,200}?\\bless\\s+than\\s+(${PERCENT_SOURCE}|zero)[^.;]{0,80}?\\bdeemed\\s+to\\s+be\\s+(?:equal\\s+to\\s+)?(?:the\\s+Floor|${PERCENT_SOURCE}|zero)` +
    `|\\b(?:SOFR|LIBOR|Eurodollar\\s+Rate|Base\\s+Rate|Prime\\s+Rate)\\b[^.;]{0,120}?\\b(?:shall|will)\\s+(?:in\\s+no\\s+event\\s+)?(?:not\\s+)?be\\s+less\\s+than\\s+(${PERCENT_SOURCE}|zero)` +
    `|\\b(?:SOFR|LIBOR|Eurodollar\\s+Rate|Prime\\s+Rate)\\b[^.;]{0,80}?\\bsubject\\s+to\\s+a\\s+floor\\s+of\\s+(${PERCENT_SOURCE}|zero)`,
  'gi',
);

export function extractFloor(ctx: DocContext): Found<string> | null {
  const floorDef = ctx.definitions.get('Floor');
  if (floorDef) {
    const m = FLOOR_DEFINITION.exec(floorDef.text);
    if (m) {
      const pct = normalisePercent(m[1]!);
      if (pct) return found(ctx.doc, pct, 0.9, floorDef.start, Math.min(floorDef.end, floorDef.start + 200));
    }
  }
  // The floor of the benchmark (LIBOR, SOFR) is the deal's floor; a floor on the base rate
  // ("if the Alternate Base Rate ... would be less than 1.50%") only backs it up.
  let baseRateFloor: Found<string> | null = null;
  for (const m of bodyMatches(ctx, FLOOR_SENTENCE)) {
    const pct = normalisePercent(m[1] ?? m[2] ?? m[3]!);
    if (!pct) continue;
    const f = found(ctx.doc, pct, 0.85, m.index, m.index + m[0].length);
    if (/^(?:Base\s+Rate|Prime\s+Rate)/i.test(m[0])) baseRateFloor ??= f;
    else return f;
  }
  return baseRateFloor;
}

// "Default Rate" means ... plus 2% per annum; or "at a rate per annum equal to 2% in excess of the
// rate otherwise applicable".
const DEFAULT_MARGIN = new RegExp(
  `(${PERCENT_SOURCE})\\s+(?:per\\s+annum\\s+)?(?:in\\s+excess\\s+of|above|over|plus)\\b|\\bplus\\s+(?:\\(\\w+\\)\\s+)?(${PERCENT_SOURCE})(?:\\s+per\\s+annum)?`,
  'i',
);

export function extractDefaultRate(ctx: DocContext): Found<string> | null {
  const def = ctx.definitions.get('Default Rate');
  const describe = (pct: string): string => `${pct} per annum in excess of the rate otherwise applicable`;
  if (def) {
    const m = DEFAULT_MARGIN.exec(def.text.slice(0, 900));
    if (m) {
      const pct = normalisePercent(m[1] ?? m[2]!);
      if (pct) return found(ctx.doc, describe(pct), 0.85, def.start, Math.min(def.end, def.start + 900));
    }
    return null;
  }
  // No definition: the default interest clause itself (notes, short agreements).
  const re =
    /\b(?:default\s+rate|default\s+interest|after\s+(?:the\s+occurrence\s+of\s+an\s+|an\s+)?Event\s+of\s+Default|upon\s+the\s+occurrence\s+(?:and\s+during\s+the\s+continuance\s+)?of\s+an\s+Event\s+of\s+Default)\b/gi;
  for (const m of bodyMatches(ctx, re)) {
    // A default-interest clause names its trigger first and its rate only at the end of a long
    // sentence ("... for as long as such Event of Default shall be continuing, ... shall bear
    // interest at a rate that is 2% per annum in excess of ...").
    let s = sentenceAround(ctx.doc.text, m.index, 200, 900);
    // A paragraph heading ("(c) Default Interest.") is its own sentence: read the paragraph it heads.
    if (s.end - m.index < m[0].length + 3) {
      const para = /\n[ \t]*\n/.exec(ctx.doc.text.slice(m.index, m.index + 1200));
      s = { start: m.index, end: m.index + (para ? para.index : 1200) };
    }
    const sentence = ctx.doc.text.slice(s.start, s.end);
    if (!/interest/i.test(sentence)) continue;
    const d = DEFAULT_MARGIN.exec(sentence);
    if (!d) continue;
    const pct = normalisePercent(d[1] ?? d[2]!);
    if (pct) return found(ctx.doc, describe(pct), 0.8, s.start, s.end);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Fees

export interface Fee {
  fee_type: string;
  fee_rate_or_amount: string | null;
  payment_frequency: string | null;
}

const FEE_KINDS: { type: string; re: RegExp }[] = [
  { type: 'Commitment Fee', re: /\bcommitment\s+fees?\b/gi },
  { type: 'Unused Fee', re: /\bunused\s+(?:line\s+|commitment\s+|facility\s+)?fees?\b/gi },
  { type: 'Facility Fee', re: /\bfacility\s+fees?\b/gi },
  { type: 'Letter of Credit Fee', re: /\bletter\s+of\s+credit\s+fees?\b|\bL\/C\s+fees?\b/gi },
  { type: 'Fronting Fee', re: /\bfronting\s+fees?\b/gi },
  { type: 'Upfront Fee', re: /\b(?:upfront|up-front|closing|origination)\s+fees?\b/gi },
  { type: 'Agency Fee', re: /\b(?:agency|administrative\s+agent(?:'s|’s)?|administration)\s+fees?\b/gi },
  { type: 'Ticking Fee', re: /\bticking\s+fees?\b/gi },
  { type: 'Late Charge', re: /\blate\s+(?:charge|fee|payment\s+charge)s?\b/gi },
];

const FEE_RATE = new RegExp(
  `(?:equal\\s+to|at\\s+(?:a|the)\\s+rate\\s+(?:per\\s+annum\\s+)?(?:equal\\s+to\\s+|of\\s+)?|in\\s+(?:an\\s+)?(?:amount|the\\s+amount)\\s+(?:equal\\s+to\\s+)?|of)\\s+(?:the\\s+)?(?:(Applicable\\s+(?:Rate|Margin|Fee\\s+Rate|Commitment\\s+Fee\\s+(?:Rate|Percentage)|Unused\\s+Fee\\s+Rate|Facility\\s+Fee\\s+Rate|Percentage))|(${PERCENT_SOURCE})(\\s+per\\s+annum)?|(\\$\\s?[\\d,]+(?:\\.\\d{2})?))` +
    `|(?:in\\s+the\\s+amounts?\\s+(?:and\\s+at\\s+the\\s+times?\\s+)?(?:specified|set\\s+forth|provided|agreed)\\s+(?:in|to\\s+in)\\s+(?:the\\s+)?((?:[A-Z][\\w-]*\\s+)?Fee\\s+Letters?))`,
);

function frequencyOf(text: string): string | null {
  const arrears = /in\s+arrears/i.test(text);
  if (/\bquarterly\b|each\s+(?:fiscal\s+)?quarter|March,\s+June,\s+September\s+and\s+December/i.test(text))
    return arrears ? 'quarterly in arrears' : 'quarterly';
  if (/\bmonthly\b|each\s+(?:calendar\s+)?month/i.test(text))
    return arrears ? 'monthly in arrears' : 'monthly';
  if (/\bannually\b|\bannual\b|each\s+anniversary/i.test(text)) return 'annually';
  if (/\bon\s+the\s+(?:Closing|Effective)\s+Date\b/i.test(text)) return 'on the Closing Date';
  if (/\bon\s+demand\b/i.test(text)) return 'on demand';
  return null;
}

/**
 * Fees live in Article II's "Fees" section as paragraphs: "(a) Commitment Fee. The Borrower shall
 * pay ... a commitment fee equal to the Applicable Rate times ... payable quarterly in arrears".
 * A fee is taken only where its paragraph says how much it is; a bare mention is not a fee term.
 */
export function extractFees(ctx: DocContext): Found<Fee[]> | null {
  const { doc } = ctx;
  const defStarts = [...ctx.definitions.values()];
  const inDefinitions = (at: number): boolean => defStarts.some((d) => at >= d.start && at < d.end);
  const fees: Fee[] = [];
  const evidence: Evidence[] = [];
  for (const kind of FEE_KINDS) {
    for (const m of bodyMatches(ctx, kind.re)) {
      if (inDefinitions(m.index)) continue;
      const windowEnd = Math.min(doc.bodyEnd, m.index + 700);
      const window = doc.text.slice(m.index, windowEnd);
      // The paragraph ends at the next lettered paragraph or section heading.
      const stop =
        /\n[ \t]*\([a-z]{1,3}\)\s+[A-Z]|\n[ \t]*(?:Section|SECTION)\s+\d|\n[ \t]*\d{1,2}\.\d{2}\s/.exec(
          window.slice(20),
        );
      const para = stop ? window.slice(0, stop.index + 20) : window;
      const r = FEE_RATE.exec(para);
      // The rate must be stated close to the fee it prices, not somewhere later in the paragraph.
      if (!r || r.index > 300) {
        // "an aggregate fee in an amount equal to (1) the unused commitment ... multiplied by (2)
        // one-half of one percent (.50%) per annum": the rate closes a formula.
        const times =
          /\bmultiplied\s+by\b[^.;%]{0,120}?\(?(\d{0,2}\.\d{1,4}|\d{1,2})\s?%\)?(\s+per\s+annum)?/i.exec(
            para.slice(0, 500),
          );
        const back = doc.text.slice(Math.max(0, m.index - 300), m.index);
        if (!times || !/\bpay\b|\bpayable\b|\bpaid\b/i.test(back + para)) continue;
        const pct = normalisePercent(`${times[1]!.startsWith('.') ? '0' : ''}${times[1]}%`);
        if (!pct) continue;
        fees.push({
          fee_type: kind.type,
          fee_rate_or_amount: `${pct}${times[2] ? ' per annum' : ''}`,
          payment_frequency: frequencyOf(para),
        });
        evidence.push(...evidenceFor(doc, m.index, m.index + para.length));
        break;
      }
      // "shall pay", "agrees to pay", "payable": the paragraph imposes the fee rather than citing it.
      const back = doc.text.slice(Math.max(0, m.index - 300), m.index);
      if (!/\bpay\b|\bpayable\b|\bpaid\b/i.test(back + para)) continue;
      let rate: string | null = null;
      if (r[1]) rate = r[1].replace(/\s+/g, ' ');
      else if (r[2]) rate = `${normalisePercent(r[2])}${r[3] ? ' per annum' : ''}`;
      else if (r[4]) rate = r[4].replace(/\s+/g, '');
      else if (r[5]) rate = `as specified in the ${r[5].replace(/\s+/g, ' ')}`;
      fees.push({ fee_type: kind.type, fee_rate_or_amount: rate, payment_frequency: frequencyOf(para) });
      evidence.push(...evidenceFor(doc, m.index, m.index + para.length));
      break;
    }
  }
  // Fee rates listed inside the margin definition: "(c) with respect to the Unused Revolver
  // Commitment Fee, 0.50%", "4.50% per annum for the Letter of Credit Fee Applicable Margin".
  const marginDef = findDefinition(ctx.definitions, ...MARGIN_TERMS);
  if (marginDef) {
    const inMargin = new RegExp(
      `with\\s+respect\\s+to\\s+(?:the\\s+)?((?:(?:[A-Z][\\w/]*|of)\\s+){0,5}Fees?)\\s*,\\s*(${PERCENT_SOURCE})(\\s+per\\s+annum)?|(${PERCENT_SOURCE})(\\s+per\\s+annum)?\\s+for\\s+(?:the\\s+)?((?:(?:[A-Z][\\w/]*|of)\\s+){0,5}Fees?)\\b`,
      'g',
    );
    for (let m = inMargin.exec(marginDef.text); m; m = inMargin.exec(marginDef.text)) {
      const name = (m[1] ?? m[6]!).replace(/\s+/g, ' ');
      const type = /unused/i.test(name)
        ? 'Unused Fee'
        : FEE_KINDS.find((k) => {
            k.re.lastIndex = 0;
            return k.re.test(name);
          })?.type;
      const pct = normalisePercent(m[2] ?? m[4]!);
      if (!type || !pct || fees.some((f) => f.fee_type === type)) continue;
      fees.push({
        fee_type: type,
        fee_rate_or_amount: `${pct}${(m[3] ?? m[5]) ? ' per annum' : ''}`,
        payment_frequency: null,
      });
      evidence.push(...evidenceFor(doc, marginDef.start, marginDef.end));
    }
  }
  // A flat fee rate given by its own definition: `"Applicable Unused Commitment Fee Rate" means
  // 0.375% per annum.` Only a definition that is nothing but the rate counts; a grid or a formula
  // is left to the fee clause that uses it.
  for (const def of ctx.definitions.values()) {
    const kind =
      /\b(Unused|Commitment|Facility|Letter\s+of\s+Credit|L\/C|Fronting)\b[\w\s]{0,30}\bFee\s+(?:Rate|Percentage)$/i.exec(
        def.term,
      );
    if (!kind) continue;
    const m = new RegExp(
      `^["“][^"”]+["”]\\s*(?:shall\\s+)?means?\\s+(${PERCENT_SOURCE})(\\s+per\\s+annum)?\\s*[.;]?\\s*$`,
      'i',
    ).exec(def.text);
    // "Unused Commitment Fee" is an unused fee before it is a commitment fee.
    const type = [...FEE_KINDS]
      .sort((a, b) => Number(b.type === 'Unused Fee') - Number(a.type === 'Unused Fee'))
      .find((k) => {
        k.re.lastIndex = 0;
        return k.re.test(
          `${def.term.replace(/\s+(?:Rate|Percentage)$/i, '').replace(/^Applicable\s+/i, '')}`,
        );
      })?.type;
    if (!m || !type || fees.some((f) => f.fee_type === type)) continue;
    fees.push({
      fee_type: type,
      fee_rate_or_amount: `${normalisePercent(m[1]!)}${m[2] ? ' per annum' : ''}`,
      payment_frequency: null,
    });
    evidence.push(...evidenceFor(doc, def.start, def.end));
  }
  if (fees.length === 0) return null;
  return { value: fees, confidence: 0.75, evidence };
}
