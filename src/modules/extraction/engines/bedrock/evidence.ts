import type { Evidence, SourcePage } from '../../engine.js';

/** A quote shorter than this proves nothing: "5" or "NY" occurs on almost any page. */
export const MIN_QUOTE_LENGTH = 3;

/**
 * Typographic variants a model tends to normalise when it copies text: curly quotes, dashes,
 * non-breaking spaces. Folding both sides the same way lets an honest copy match without letting
 * a paraphrase through.
 */
function foldChar(ch: string): string {
  switch (ch) {
    case '\u2018':
    case '\u2019':
    case '\u201a':
    case '\u2032':
      return "'";
    case '\u201c':
    case '\u201d':
    case '\u201e':
    case '\u2033':
      return '"';
    case '\u2010':
    case '\u2011':
    case '\u2012':
    case '\u2013':
    case '\u2014':
    case '\u2212':
      return '-';
    default:
      return ch;
  }
}

const isSpace = (ch: string): boolean => /\s/.test(ch);

/**
 * The folded text with runs of whitespace collapsed to one space, and for each folded character
 * the offset of the original character it came from (so a match maps back to the page's offsets).
 */
function fold(text: string): { folded: string; origin: number[] } {
  let folded = '';
  const origin: number[] = [];
  let inSpace = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (isSpace(ch)) {
      if (!inSpace && folded.length > 0) {
        folded += ' ';
        origin.push(i);
      }
      inSpace = true;
      continue;
    }
    inSpace = false;
    folded += foldChar(ch);
    origin.push(i);
  }
  return { folded, origin };
}

/**
 * Where `quote` occurs in `text`: verbatim first, then modulo whitespace and typographic
 * variants. Returns offsets into `text` such that `text.slice(start, end)` is the page's own
 * wording of the quote, or undefined when the page does not contain it.
 */
export function locateQuote(text: string, quote: string): { start: number; end: number } | undefined {
  const trimmed = quote.trim();
  if (trimmed.length < MIN_QUOTE_LENGTH) return undefined;
  const exact = text.indexOf(trimmed);
  if (exact >= 0) return { start: exact, end: exact + trimmed.length };
  const page = fold(text);
  const wanted = fold(trimmed).folded.trim();
  if (wanted.length < MIN_QUOTE_LENGTH) return undefined;
  const at = page.folded.indexOf(wanted);
  if (at < 0) return undefined;
  const start = page.origin[at]!;
  const end = page.origin[at + wanted.length - 1]! + 1;
  return { start, end };
}

export interface ClaimedEvidence {
  document_id?: unknown;
  page?: unknown;
  quote?: unknown;
}

export interface VerifiedEvidence {
  evidence: Evidence[];
  /** Claims whose quote was not found on the page they named (or named no known page). */
  rejected: number;
}

/**
 * Keeps only the evidence whose quote really is on the page the model named, with the offsets
 * computed here: a model's citation is a claim to check, never a fact to store.
 */
export function verifyEvidence(claims: unknown, pages: ReadonlyMap<string, SourcePage>): VerifiedEvidence {
  const list = Array.isArray(claims) ? (claims as unknown[]) : [];
  const evidence: Evidence[] = [];
  let rejected = 0;
  for (const raw of list) {
    const claim = (typeof raw === 'object' && raw !== null ? raw : {}) as ClaimedEvidence;
    const documentId = typeof claim.document_id === 'string' ? claim.document_id : undefined;
    const pageNo =
      typeof claim.page === 'number' ? claim.page : typeof claim.page === 'string' ? Number(claim.page) : NaN;
    const quote = typeof claim.quote === 'string' ? claim.quote : undefined;
    const page =
      documentId !== undefined && Number.isInteger(pageNo)
        ? pages.get(pageKey(documentId, pageNo))
        : undefined;
    const found = page && quote !== undefined ? locateQuote(page.text, quote) : undefined;
    if (!page || !found) {
      rejected += 1;
      continue;
    }
    evidence.push({
      document_id: page.documentId,
      page: page.page,
      quote: page.text.slice(found.start, found.end),
      start: found.start,
      end: found.end,
    });
  }
  return { evidence, rejected };
}

export const pageKey = (documentId: string, page: number): string => `${documentId}\u0000${page}`;

export function indexPages(pages: readonly SourcePage[]): Map<string, SourcePage> {
  const map = new Map<string, SourcePage>();
  for (const p of pages) map.set(pageKey(p.documentId, p.page), p);
  return map;
}
