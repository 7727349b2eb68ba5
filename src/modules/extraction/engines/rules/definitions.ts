import type { RulesDocument } from './document.js';
import { cleanSpanText, isInSignatures, isInToc } from './document.js';

/**
 * Defined terms. Credit agreements define their vocabulary in Article I as paragraphs that open
 * with the quoted term: `"Business Day" means ...`, `“Maturity Date” shall mean ...`,
 * `"Closing Date" has the meaning specified in Section 4.01`. A definition runs until the next one
 * starts (or a new Section/Article heading), which is how the verbatim text is cut out.
 */
export interface Definition {
  term: string;
  /** Joined offsets of the whole definition, from the opening quote. */
  start: number;
  end: number;
  /** Offset where the text after "means" starts. */
  bodyStart: number;
  /** Clean text (running headers/footers removed, whitespace collapsed). */
  text: string;
}

// Why line-anchored: a quoted term in the middle of a sentence ("the "Borrower") is a use or an
// inline definition, not an Article I entry. A sentence end before the quote is accepted too, for
// text that lost its line breaks in PDF extraction.
const DEFINITION_START =
  /(?:^|\n|[.;]\s{1,4})[ \t]*["“][ \t]?([A-Z0-9][^"“”\n]{0,90}?)[ \t]?["”]\s*(?:,\s*)?(?:shall\s+mean|means|mean|shall\s+have\s+the\s+meaning|has\s+the\s+meaning|have\s+the\s+meanings?|(?:is|are)\s+defined|defines|when\s+used\s+in\s+reference\s+to|:)/g;
// A heading ends the last definition: "Section 1.02 Other Interpretive Provisions." or "ARTICLE II".
// A wrapped line that merely starts with a cross-reference ("Section 2.14 shall apply") is not a
// heading, so the title must be capitalised words ending in a period or a line end.
const SECTION_BREAK =
  /\n[ \t]*(?:(?:SECTION|Section)\s+)?\d{1,2}\.\d{1,2}\.?[ \t]+(?:[A-Z][\w'’/-]*[ \t]*(?:(?:of|and|the|to|for|in|on|or|by|with|upon)[ \t]+)?){1,10}(?:\.|\n)|\n[ \t]*(?:ARTICLE|Article)[ \t]+(?:[IVX]{1,5}|\d{1,2})\b|\n[ \t]*\n[ \t]*\d{1,2}\.[ \t]+[A-Z][\w'’/-]*(?:[ \t]+(?:[A-Z][\w'’/-]*|of|and|the|to|for|in|on|or)){0,8}\./g;

/** A definition longer than this is a parsing accident (an unterminated last definition). */
const MAX_DEFINITION_CHARS = 8000;

export function parseDefinitions(doc: RulesDocument): Map<string, Definition> {
  const starts: { term: string; start: number; bodyStart: number; inline: boolean }[] = [];
  const text = doc.text;
  const limit = doc.bodyEnd;
  DEFINITION_START.lastIndex = doc.bodyStart;
  for (let m = DEFINITION_START.exec(text); m; m = DEFINITION_START.exec(text)) {
    if (m.index >= limit) break;
    const quote = m.index + m[0].search(/["“]/);
    if (isInToc(doc, quote) || isInSignatures(doc, quote)) continue;
    starts.push({
      // Justified typewriter text pads words with extra spaces: "Applicable  Margin".
      term: m[1]!.trim().replace(/\s+/g, ' '),
      start: quote,
      bodyStart: m.index + m[0].length,
      inline: !m[0].slice(0, m[0].search(/["“]/)).includes('\n') && m.index > 0,
    });
  }
  const defs = new Map<string, Definition>();
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!;
    let end = Math.min(starts[i + 1]?.start ?? limit, limit, s.start + MAX_DEFINITION_CHARS);
    if (s.inline) {
      // A definition made in the middle of a paragraph ("... "Prime Rate" means ...") ends with it.
      const para = /\n[ \t]*\n/.exec(text.slice(s.bodyStart, end));
      if (para) end = s.bodyStart + para.index;
    }
    SECTION_BREAK.lastIndex = s.bodyStart;
    const br = SECTION_BREAK.exec(text);
    if (br && br.index < end) end = br.index;
    // The first definition of a term wins: Article I comes before exhibits and later restatements.
    if (defs.has(s.term)) continue;
    const def = {
      term: s.term,
      start: s.start,
      end,
      bodyStart: s.bodyStart,
      text: cleanSpanText(doc, s.start, end),
    };
    defs.set(s.term, def);
    // Older agreements print defined terms in capitals ("BUSINESS DAY" means); extractors look
    // terms up as they are used in the text, so the capitalised term answers to that spelling too.
    const usual = usualSpelling(s.term);
    if (usual !== s.term && !defs.has(usual)) defs.set(usual, def);
  }
  return defs;
}

const SMALL = new Set(['of', 'and', 'the', 'to', 'for', 'in', 'on', 'or', 'by', 'with', 'under']);

function usualSpelling(term: string): string {
  if (/[a-z]/.test(term)) return term;
  return term
    .toLowerCase()
    .split(' ')
    .map((w, i) =>
      i > 0 && SMALL.has(w)
        ? w
        : w.replace(/(^|[-/])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase()),
    )
    .join(' ');
}

export function findDefinition(defs: Map<string, Definition>, ...terms: string[]): Definition | undefined {
  for (const t of terms) {
    const d = defs.get(t);
    if (d) return d;
  }
  return undefined;
}
