/**
 * Passage search for the DynamoDB store, which has no text index: the passages of one booking are
 * read (a Query per document) and ranked here. It follows PostgreSQL's `websearch_to_tsquery`
 * syntax (words are ANDed, "quoted phrases", `or`, `-excluded`) and English stop words; stemming
 * is a light suffix stripper rather than Snowball, so the two stores agree on plain words and
 * regular plurals and may differ on rarer word forms. The score counts matched occurrences the
 * way `ts_rank_cd` does for single words (0.1 each), so more matches rank higher.
 */

// PostgreSQL's english.stop list.
const STOP_WORDS = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its ' +
    'itself they them their theirs themselves what which who whom this that these those am is are was were be been being ' +
    'have has had having do does did doing a an the and but if or because as until while of at by for with about against ' +
    'between into through during before after above below to from up down in out on off over under again further then once ' +
    'here there when where why how all any both each few more most other some such no nor not only own same so than too very ' +
    's t can will just don should now'
  ).split(' '),
);

export function stem(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (/(?:x|ch|sh|zz)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith('ed') && w.length > 4) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length > 3) w = w.slice(0, -1);
  return w;
}

export interface Token {
  stem: string;
  start: number;
  end: number;
  /** Position among all words, stop words included (phrase distances count them, as in PostgreSQL). */
  position: number;
}

const WORD = /[\p{L}\p{N}]+/gu;

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let position = 0;
  for (const m of text.matchAll(WORD)) {
    const word = m[0].toLowerCase();
    if (!STOP_WORDS.has(word))
      out.push({ stem: stem(word), start: m.index, end: m.index + m[0].length, position });
    position++;
  }
  return out;
}

/** One query item: a word or a phrase (words at fixed distances), possibly excluded. */
interface Item {
  terms: { stem: string; offset: number }[];
  negated: boolean;
}

/** A conjunction of disjunctions: every group must match, any item of a group suffices. */
export interface ParsedQuery {
  groups: Item[][];
  /** Stems whose occurrences are highlighted and scored. */
  positive: Set<string>;
}

function itemOf(text: string, negated: boolean): Item | undefined {
  const tokens = tokenize(text);
  if (tokens.length === 0) return undefined;
  const base = tokens[0]!.position;
  return { terms: tokens.map((t) => ({ stem: t.stem, offset: t.position - base })), negated };
}

export function parseQuery(query: string): ParsedQuery {
  const groups: Item[][] = [];
  let pendingOr = false;
  const re = /(-?)"([^"]*)"?|(\S+)/g;
  for (const m of query.matchAll(re)) {
    const raw = m[3];
    if (raw !== undefined && raw.toLowerCase() === 'or') {
      pendingOr = groups.length > 0;
      continue;
    }
    const negated = raw !== undefined ? raw.startsWith('-') && raw.length > 1 : m[1] === '-';
    const text = raw !== undefined ? (negated ? raw.slice(1) : raw) : (m[2] ?? '');
    // A bare word is a sequence of words only when punctuation splits it ("e-mail"): match as a phrase.
    const item = itemOf(text, negated);
    if (!item) continue;
    if (pendingOr) groups[groups.length - 1]!.push(item);
    else groups.push([item]);
    pendingOr = false;
  }
  const positive = new Set<string>();
  for (const g of groups) for (const it of g) if (!it.negated) for (const t of it.terms) positive.add(t.stem);
  return { groups, positive };
}

function matches(item: Item, byStem: Map<string, Token[]>): boolean {
  const [first, ...rest] = item.terms;
  const starts = byStem.get(first!.stem) ?? [];
  const found = starts.some((s) =>
    rest.every((t) => (byStem.get(t.stem) ?? []).some((o) => o.position === s.position + t.offset)),
  );
  return item.negated ? !found : found;
}

export interface PassageMatch {
  score: number;
  highlights: { start: number; end: number }[];
}

/** Whether a passage satisfies the query, with its score and the offsets of matched words. */
export function matchPassage(query: ParsedQuery, text: string): PassageMatch | undefined {
  if (query.groups.length === 0 || query.groups.every((g) => g.every((i) => i.negated))) return undefined;
  const tokens = tokenize(text);
  const byStem = new Map<string, Token[]>();
  for (const t of tokens) {
    const list = byStem.get(t.stem);
    if (list) list.push(t);
    else byStem.set(t.stem, [t]);
  }
  if (!query.groups.every((g) => g.some((i) => matches(i, byStem)))) return undefined;
  const highlights = tokens
    .filter((t) => query.positive.has(t.stem))
    .map((t) => ({ start: t.start, end: t.end }));
  return { score: highlights.length * 0.1, highlights };
}
