import type { Evidence, SourcePage } from '../../engine.js';

/**
 * One source document as the rules see it: its pages joined into one string (so that a phrase or a
 * definition that runs over a page break can be matched), with a map back to page offsets for
 * evidence, and the page-level facts that the extractors need first: which lines are running
 * headers/footers, which pages are the table of contents, the cover and the signature pages.
 */
export interface PageInfo {
  page: number;
  text: string;
  /** Offset of this page's text in `RulesDocument.text`. */
  offset: number;
  /** Content range inside the page text, running header and footer lines excluded. */
  contentStart: number;
  contentEnd: number;
  isToc: boolean;
  isSignature: boolean;
}

export interface RulesDocument {
  documentId: string;
  documentName: string | undefined;
  text: string;
  pages: PageInfo[];
  /** Joined offset where the body starts (after cover and table of contents). */
  bodyStart: number;
  /** Joined offset of the first signature page, or text.length when none was found. */
  signatureStart: number;
  /** Joined offset where exhibits and schedules start, or text.length. */
  annexStart: number;
  /**
   * Where body scans stop: the signature pages, or the end of the text when the exhibit after them
   * is the amended agreement itself (an amendment filed with a conformed copy attached), whose
   * definitions and terms are the ones in force.
   */
  bodyEnd: number;
}

/** Pages are joined with a form feed between blank lines, so that line-anchored patterns still see page edges. */
const PAGE_SEPARATOR = '\n\f\n';

const MAX_EDGE_LINES = 4;

/** A line that is nothing but a page number ("12", "- 12 -", "Page 12 of 150", "ii", "A-3"). */
const PAGE_NUMBER_LINE =
  /^\s*(?:-\s*)?(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,7}|[A-Z]-\d{1,3})(?:\s+of\s+\d{1,4})?(?:\s*-)?\s*$/i;

interface Line {
  start: number;
  end: number;
  text: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    lines.push({ start, end, text: text.slice(start, end) });
    if (nl === -1) break;
    start = nl + 1;
  }
  return lines;
}

function edgeLines(lines: Line[]): { head: Line[]; tail: Line[] } {
  const nonEmpty = lines.filter((l) => l.text.trim().length > 0);
  return { head: nonEmpty.slice(0, MAX_EDGE_LINES), tail: nonEmpty.slice(-MAX_EDGE_LINES) };
}

/** Digits vary from page to page in running headers ("Page 3", "#91234v7"); compare lines without them. */
function lineKey(text: string): string {
  return text.trim().toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ');
}

/**
 * Running headers/footers: lines at the top or bottom of a page that recur on many pages. They are
 * cut out of any value that spans a page break (a definition continued on the next page must not
 * carry "Credit Agreement - Page 12" in its middle).
 */
function findBoilerplateKeys(pageLines: Line[][]): Set<string> {
  const counts = new Map<string, number>();
  for (const lines of pageLines) {
    const { head, tail } = edgeLines(lines);
    const seen = new Set<string>();
    for (const l of [...head, ...tail]) {
      const key = lineKey(l.text);
      if (key.length === 0 || seen.has(key)) continue;
      seen.add(key);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const threshold = Math.max(3, Math.ceil(pageLines.length * 0.2));
  const keys = new Set<string>();
  for (const [key, n] of counts) if (n >= threshold) keys.add(key);
  return keys;
}

const TOC_HEADING = /table\s+of\s+contents/i;
/** A table-of-contents entry: a heading that ends in a page number, possibly after dot leaders. */
const TOC_ENTRY =
  /^\s*(?:(?:section|article|schedule|exhibit|annex|appendix)\b|\d{1,2}\.\d{1,2}\b|[IVX]{1,5}\.?\s).{0,150}?(?:\.{2,}|\s)\s*(?:\d{1,3}|[ivx]{1,5})\s*$/i;
const TOC_LISTING = /^\s*(?:schedule|exhibit|annex|appendix)\s+[\w.-]{1,8}\b/i;
// Contents converted from HTML tables put the number, the title and the page on lines of their own
// ("1.1", "  Definitions      1"): under a contents heading those lines count as entries too.
// Anchored and bounded: a long flattened line must not be rescanned from every position.
const TOC_LOOSE =
  /^\s*(?:(?:section|article)\s+)?(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[IVX]{1,5}\.?)\s*$|^\s*\S.{0,150}?(?:\.{2,}|[ \t]{2,})(?:\d{1,3}|[ivx]{1,5})(?:[ \t]+\d{1,3})?\s*$/i;

function isTocPage(lines: Line[], previousWasToc: boolean, pageIndex: number, pageCount: number): boolean {
  // Tables of contents sit at the front: a page deep in the document that lists sections is an
  // exhibit's or schedule's index, and treating it as a TOC would hide real text.
  if (pageIndex > Math.max(12, pageCount * 0.15)) return false;
  const nonEmpty = lines.filter((l) => l.text.trim().length > 0);
  if (nonEmpty.length === 0) return false;
  const heading = nonEmpty.slice(0, 6).some((l) => TOC_HEADING.test(l.text));
  let entries = 0;
  let loose = 0;
  for (const l of nonEmpty) {
    if (TOC_ENTRY.test(l.text) || TOC_LISTING.test(l.text)) entries++;
    else if (heading && l.text.length < 300 && TOC_LOOSE.test(l.text)) loose++;
  }
  const ratio = entries / nonEmpty.length;
  if (heading) return entries >= 3 || ratio >= 0.3 || (entries + loose) / nonEmpty.length >= 0.5;
  // Contents whose heading was lost (or never printed): a page made almost only of entries.
  if (entries >= 8 && ratio >= 0.6) return true;
  return previousWasToc && ratio >= 0.4;
}

const SIG_BY = /^\s*By\s*:/m;
const SIG_NAME_TITLE = /^\s*(?:Name|Title)\s*:/m;
const ANNEX_HEADING = /^\s*(?:EXHIBIT|SCHEDULE|ANNEX|APPENDIX)\s+[A-Z0-9][\w.-]{0,8}\s*$/m;
const IN_WITNESS = /IN\s+WITNESS\s+WHEREOF/i;
/** An exhibit that is the amended agreement: "EXHIBIT A – AMENDED CREDIT AGREEMENT", "Conformed Copy". */
const CONFORMED_HEADING =
  /\b(?:AMENDED|RESTATED|CONFORMED|Amended|Restated|Conformed)\b[^\n]{0,80}\b(?:CREDIT|LOAN|Credit|Loan)\s+(?:AGREEMENT|Agreement)\b|\bCONFORMED\s+COPY\b|\bConformed\s+Copy\b/;
const ATTACHED_DEFINITIONS =
  /\n[ \t]*(?:ARTICLE|Article)\s+(?:I|1)\b[^\n]{0,60}\n?[^\n]{0,60}(?:DEFINITIONS|Definitions)/;

export function buildDocument(
  documentId: string,
  documentName: string | undefined,
  pages: SourcePage[],
): RulesDocument {
  const sorted = [...pages].sort((a, b) => a.page - b.page);
  const pageLines = sorted.map((p) => splitLines(p.text));
  const boilerplate = findBoilerplateKeys(pageLines);

  const infos: PageInfo[] = [];
  let offset = 0;
  let previousToc = false;
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    const lines = pageLines[i]!;
    const { head, tail } = edgeLines(lines);
    const isBoiler = (l: Line): boolean => PAGE_NUMBER_LINE.test(l.text) || boilerplate.has(lineKey(l.text));
    let contentStart = 0;
    for (const l of head) {
      if (!isBoiler(l)) break;
      contentStart = Math.min(p.text.length, l.end + 1);
    }
    let contentEnd = p.text.length;
    for (let j = tail.length - 1; j >= 0; j--) {
      const l = tail[j]!;
      if (l.start < contentStart || !isBoiler(l)) break;
      contentEnd = l.start;
    }
    const isToc = isTocPage(lines, previousToc, i, sorted.length);
    previousToc = isToc;
    infos.push({
      page: p.page,
      text: p.text,
      offset,
      contentStart,
      contentEnd: Math.max(contentStart, contentEnd),
      isToc,
      isSignature: false,
    });
    offset += p.text.length + PAGE_SEPARATOR.length;
  }
  const text = sorted.map((p) => p.text).join(PAGE_SEPARATOR);

  const lastToc = infos.reduce((acc, info, i) => (info.isToc ? i : acc), -1);
  const firstToc = infos.findIndex((info) => info.isToc);
  // An amendment signed before a table of contents is an amendment with the amended agreement
  // attached: the contents belong to the attachment and the amendment's own text is the body.
  const signedBeforeToc = firstToc > 0 && infos.slice(0, firstToc).some((info) => IN_WITNESS.test(info.text));
  const bodyStart =
    lastToc >= 0 && !signedBeforeToc ? infos[lastToc]!.offset + infos[lastToc]!.text.length : 0;

  // Signature pages: from the "IN WITNESS WHEREOF" page (or the first page with a By:/Name:/Title:
  // block in the back half) through the contiguous pages that carry signature blocks, stopping at
  // the first exhibit or schedule, whose forms have signature blocks of their own.
  let sigFirst = -1;
  const half = Math.floor(infos.length / 3);
  for (let i = signedBeforeToc ? 0 : lastToc + 1; i < infos.length; i++) {
    const t = infos[i]!.text;
    if (IN_WITNESS.test(t) || (i >= half && SIG_BY.test(t) && SIG_NAME_TITLE.test(t))) {
      if (ANNEX_HEADING.test(t.slice(0, 400)) && !IN_WITNESS.test(t)) continue;
      sigFirst = i;
      break;
    }
  }
  let annexFirst = -1;
  if (sigFirst >= 0) {
    let i = sigFirst;
    for (; i < infos.length; i++) {
      const info = infos[i]!;
      const t = info.text;
      if (i > sigFirst && ANNEX_HEADING.test(t.slice(0, 400))) break;
      if (i > sigFirst && !SIG_BY.test(t)) break;
      info.isSignature = true;
    }
    annexFirst = i < infos.length ? i : -1;
  }
  if (annexFirst < 0) {
    const from = sigFirst >= 0 ? sigFirst + 1 : Math.max(lastToc + 1, Math.floor(infos.length * 0.5));
    for (let i = from; i < infos.length; i++) {
      if (ANNEX_HEADING.test(infos[i]!.text.slice(0, 300))) {
        annexFirst = i;
        break;
      }
    }
  }
  const signatureStart =
    sigFirst >= 0
      ? infos[sigFirst]!.offset + Math.max(0, infos[sigFirst]!.text.search(IN_WITNESS))
      : text.length;
  const annexStart = annexFirst >= 0 ? infos[annexFirst]!.offset : text.length;
  let bodyEnd = signatureStart;
  if (annexFirst >= 0 && sigFirst >= 0) {
    const head = infos[annexFirst]!.text.slice(0, 800);
    const rest = text.slice(annexStart);
    if (CONFORMED_HEADING.test(head) && ATTACHED_DEFINITIONS.test(rest)) bodyEnd = text.length;
  }
  return {
    documentId,
    documentName,
    text,
    pages: infos,
    bodyStart,
    bodyEnd,
    // On the page that opens the signatures, the body runs up to "IN WITNESS WHEREOF" (a short
    // note has its governing-law clause on the same page).
    signatureStart,
    annexStart,
  };
}

/** Index of the page holding a joined offset (binary search over page offsets). */
export function pageIndexAt(doc: RulesDocument, offset: number): number {
  let lo = 0;
  let hi = doc.pages.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (doc.pages[mid]!.offset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function isInToc(doc: RulesDocument, offset: number): boolean {
  return doc.pages[pageIndexAt(doc, offset)]?.isToc ?? false;
}

/** On a signature page past the body's start of signatures (not the body text above "IN WITNESS"). */
export function isInSignatures(doc: RulesDocument, offset: number): boolean {
  return offset >= doc.signatureStart && (doc.pages[pageIndexAt(doc, offset)]?.isSignature ?? false);
}

interface Piece {
  pageIndex: number;
  start: number;
  end: number;
}

/**
 * Splits a joined span into per-page pieces. Pieces on a later page drop that page's running
 * header, pieces that continue onto another page drop the footer; whitespace is trimmed so quotes
 * start and end on text.
 */
function pieces(doc: RulesDocument, start: number, end: number): Piece[] {
  const out: Piece[] = [];
  const first = pageIndexAt(doc, start);
  const last = pageIndexAt(doc, Math.max(start, end - 1));
  for (let i = first; i <= last; i++) {
    const p = doc.pages[i]!;
    let s = Math.max(0, start - p.offset);
    let e = Math.min(p.text.length, end - p.offset);
    if (i > first) s = Math.max(s, p.contentStart);
    if (i < last) e = Math.min(e, p.contentEnd);
    while (s < e && /\s/.test(p.text[s]!)) s++;
    while (e > s && /\s/.test(p.text[e - 1]!)) e--;
    if (e > s) out.push({ pageIndex: i, start: s, end: e });
  }
  return out;
}

export function evidenceFor(doc: RulesDocument, start: number, end: number): Evidence[] {
  return pieces(doc, start, end).map((piece) => {
    const p = doc.pages[piece.pageIndex]!;
    return {
      document_id: doc.documentId,
      page: p.page,
      quote: p.text.slice(piece.start, piece.end),
      start: piece.start,
      end: piece.end,
    };
  });
}

/** The text of a joined span without running headers/footers, whitespace collapsed. */
export function cleanSpanText(doc: RulesDocument, start: number, end: number): string {
  return pieces(doc, start, end)
    .map((piece) => doc.pages[piece.pageIndex]!.text.slice(piece.start, piece.end))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}
