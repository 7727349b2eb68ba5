/**
 * Party names and roles as credit agreements write them in the preamble, on the cover and on the
 * signature pages: `ACME CORP., a Delaware corporation (the "Borrower")`,
 * `BANK OF AMERICA, N.A., as Administrative Agent, Swing Line Lender and L/C Issuer`.
 * A name is read backwards from the point where its description, parenthetical or "as" phrase
 * begins, over capitalised words only, which is what keeps prose ("the Lenders party hereto")
 * out of the results.
 */

/** Corporate suffixes that follow a comma inside a name ("BANK OF AMERICA, N.A."). */
const SUFFIX_PHRASE =
  /^(?:N\.\s?A\.?|National Association|NATIONAL ASSOCIATION|Inc\.?|INC\.?|Incorporated|INCORPORATED|Corp\.?|CORP\.?|Ltd\.?|LTD\.?|Limited|LIMITED|L\.?\s?L\.?\s?C\.?|LLC|L\.?\s?P\.?|LP|LLP|L\.L\.P\.|LLLP|PLC|plc|P\.L\.C\.|S\.A\.?|SA|AG|N\.V\.|B\.V\.|GmbH|Co\.|CO\.|Company|COMPANY|ACB|FCB|FSB|F\.S\.B\.|SE|ASA|S\.p\.A\.|(?:[A-Z][\w.]*\s+){1,3}(?:Branch|BRANCH))$/;

/** Lower-case words that may sit inside a name ("Bank of America", "Banco de Sabadell"). */
const NAME_CONNECTORS = new Set(['of', 'de', 'du', 'des', 'la', 'le', 'y', 'und', 'for', '&']);

/** Capitalised words that separate parties or belong to headings, never to a name. */
const NAME_STOPS = new Set([
  'among',
  'AMONG',
  'Among',
  'between',
  'BETWEEN',
  'Between',
  'and',
  'AND',
  'And',
  'by',
  'BY',
  'By',
  'to',
  'TO',
  'with',
  'WITH',
  'hereto',
  'HERETO',
  'PARTY',
  'PARTIES',
  'Dated',
  'DATED',
  'dated',
  'as',
  'AS',
  'undersigned',
  'UNDERSIGNED',
  'order',
  'ORDER',
  'From',
  'FROM',
  'Time',
  'TIME',
]);

/** Generic party descriptions that look capitalised in all-caps covers but name nobody. */
const GENERIC_NAME =
  /^(?:the\s+)?(?:other\s+|several\s+|various\s+|initial\s+)?(?:lenders?|guarantors?|subsidiary guarantors?|borrowers?|borrowing subsidiaries|issuing banks?|issuing lenders?|l\/c issuers?|issuers?|subsidiar(?:y|ies)|loan parties|loan party|credit parties|secured parties|lender parties|persons?|parties|agents?|banks?|financial institutions?|each lender|obligors?|grantors?|holders?|purchasers?|sellers?)$/i;
const NAME_REJECT =
  /\b(?:AGREEMENT|Agreement|PARTY|PARTIES|HERETO|hereto|SIGNATURE|Signature|Section|SECTION|Schedule|Exhibit)\b|[[\]_●•]|\.{3}/;

export interface NameSpan {
  name: string;
  start: number;
  end: number;
  /** The separator word that ended the backward scan ("and" lets a plural role reach a co-party). */
  stoppedAt: string | null;
  /** Offset of that separator (the co-party's name ends before it). */
  stopStart: number;
}

const WORD = /\S+/g;

function isCapitalised(token: string): boolean {
  return /^[A-Z0-9&]/.test(token) && /[A-Za-z]/.test(token);
}

/**
 * Reads a party name backwards from `end` (exclusive). `lineMode` is for covers and signature
 * pages, where each name has its own line and a line break is a boundary; in prose a name may wrap.
 */
export function scanNameBackward(text: string, end: number, lineMode: boolean): NameSpan | null {
  const from = Math.max(0, end - 240);
  const window = text.slice(from, end);
  const tokens: { t: string; s: number; e: number }[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(window); m; m = WORD.exec(window)) {
    tokens.push({ t: m[0], s: from + m.index, e: from + m.index + m[0].length });
  }
  // The token cut by the window start may be a fragment.
  if (from > 0 && tokens.length > 0 && tokens[0]!.s === from) tokens.shift();

  const taken: { t: string; s: number; e: number }[] = [];
  let stoppedAt: string | null = null;
  let stopStart = -1;
  for (let i = tokens.length - 1; i >= 0; i--) {
    const tok = tokens[i]!;
    const next = taken[0];
    if (next) {
      const gap = text.slice(tok.e, next.s);
      if (/\n[ \t]*\n|\f/.test(gap)) break;
      if (lineMode && gap.includes('\n')) {
        const joinable = tok.t.endsWith(',') ? SUFFIX_PHRASE.test(taken.map((x) => x.t).join(' ')) : false;
        if (!joinable && !NAME_CONNECTORS.has(tok.t) && !NAME_CONNECTORS.has(next.t)) break;
      }
    }
    let t = tok.t;
    // "HSBC SECURITIES (USA) INC.": a short capitalised parenthetical inside a name.
    const innerParen = /^\([A-Z]{2,6}\)$/.test(t) && taken.length > 0;
    if (!innerParen && (/[)"”;:]$/.test(t) || /^[("“]/.test(t))) {
      stoppedAt = t;
      stopStart = tok.s;
      break;
    }
    if (t.endsWith(',')) {
      t = t.slice(0, -1);
      if (taken.length > 0 && !SUFFIX_PHRASE.test(taken.map((x) => x.t).join(' '))) {
        stoppedAt = ',';
        stopStart = tok.s + t.length;
        break;
      }
    }
    if (NAME_STOPS.has(t)) {
      stoppedAt = t;
      stopStart = tok.s;
      break;
    }
    // A number inside a name ("LANDSEA HOMES- WAB 2 LLC", "LS-VEH TX 2 LLC") but never at its end.
    const innerNumber = /^\d{1,4}$/.test(t) && taken.length > 0;
    if (!isCapitalised(t) && !NAME_CONNECTORS.has(t) && !innerNumber && !innerParen) {
      stoppedAt = t;
      stopStart = tok.s;
      break;
    }
    taken.unshift({ t, s: tok.s, e: tok.s + t.length });
    if (taken.length > 14) return null;
  }
  while (taken.length > 0 && NAME_CONNECTORS.has(taken[0]!.t)) taken.shift();
  while (taken.length > 0 && NAME_CONNECTORS.has(taken[taken.length - 1]!.t)) taken.pop();
  if (taken.length === 0) return null;
  const start = taken[0]!.s;
  const stop = taken[taken.length - 1]!.e;
  const name = text.slice(start, stop).replace(/\s+/g, ' ').replace(/,$/, '').trim();
  if (!isValidPartyName(name)) return null;
  return { name, start, end: stop, stoppedAt, stopStart };
}

export function isValidPartyName(name: string): boolean {
  if (name.length < 3 || name.length > 120) return false;
  if (!/[A-Za-z]{2}/.test(name)) return false;
  if (GENERIC_NAME.test(name) || NAME_REJECT.test(name)) return false;
  if (ROLE_ONLY.test(name)) return false;
  // Capitalised descriptions on covers: "EACH, A DEBTOR AND DEBTOR IN POSSESSION".
  // ("A DIVISION OF ..." stays: the party scan unwraps it to the division's own name.)
  if (
    (/^(?:a|an|each|all|any|certain|other|such|said)\b(?![.&])/i.test(name) &&
      !/^an?\s+division\s+of\b/i.test(name)) ||
    /\bin\s+possession\b/i.test(name)
  )
    return false;
  // A lone capitalised word such as "Holdings" or "Company" is a defined term, not a legal name.
  if (!/\s/.test(name) && !/^[A-Z0-9&.-]{3,}$/.test(name)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Roles

const ROLE_QUALIFIER =
  '(?:co-?)?(?:administrative|collateral|syndication|documentation|paying|sustainability|structuring|joint|sole|lead|senior|managing|global|swing\\s?line|l\\/c|lc|letter\\s+of\\s+credit|issuing|term(?:\\s+loan)?|revolving(?:\\s+credit)?|initial|parent|subsidiary|u\\.?s\\.?|canadian|european|fronting|principal|left|physical|green|book[\\s-]?running|co)';
const ROLE_HEAD =
  '(?:agents?|arrangers?|bookrunners?|book\\s?runners?|lenders?|issuers?|issuing\\s+banks?|issuing\\s+lenders?|managers?|co-?managers?|co-?borrowers?|borrowers?|guarantors?|trustees?|coordinators?)';
const ROLE_ITEM = new RegExp(
  `^(?:(?:a|an|the|one\\s+of\\s+the|each|its)\\s+)?((?:${ROLE_QUALIFIER}[\\s-]+){0,4}${ROLE_HEAD})$`,
  'i',
);
const ROLE_ONLY = new RegExp(`^(?:(?:a|an|the)\\s+)?(?:${ROLE_QUALIFIER}[\\s-]+){0,4}${ROLE_HEAD}$`, 'i');

export type RoleKind = 'borrower' | 'guarantor' | 'lender';

export interface Role {
  role: string;
  kind: RoleKind;
  plural: boolean;
}

const SMALL_WORDS = new Set(['of', 'and']);

function titleCase(s: string): string {
  return s
    .split(/(\s+|-)/)
    .map((w) => {
      if (/^\s+$|^-$/.test(w)) return w;
      const lower = w.toLowerCase();
      if (SMALL_WORDS.has(lower)) return lower;
      if (/^l\/c$/i.test(w)) return 'L/C';
      if (/^lc$/i.test(w)) return 'LC';
      if (/^u\.?s\.?$/i.test(w)) return 'U.S.';
      return lower.charAt(0).toUpperCase() + lower.slice(1);
    })
    .join('');
}

/** "Joint Lead Arrangers" -> {role: "Joint Lead Arranger", plural: true}; null when not a role. */
export function parseRole(item: string): Role | null {
  const cleaned = item
    .trim()
    .replace(/\s+/g, ' ')
    // "Administrative Agent for the Lenders", "Collateral Agent hereunder": the capacity is the role.
    .replace(/\s+(?:for|on behalf of|under|hereunder|thereunder)\b.*$/i, '');
  const m = ROLE_ITEM.exec(cleaned);
  if (!m) return null;
  let role = titleCase(m[1]!);
  let plural = false;
  const singular = role.replace(
    /(Agent|Arranger|Bookrunner|Lender|Issuer|Bank|Manager|Borrower|Guarantor|Trustee|Coordinator)s$/,
    '$1',
  );
  if (singular !== role) {
    plural = true;
    role = singular;
  }
  role = role
    .replace(/^Swingline /, 'Swingline ')
    .replace(/^Swing Line /, 'Swing Line ')
    .replace(/Book Runners?$/, 'Bookrunner');
  if (/Book Runners$/i.test(m[1]!)) plural = true;
  // "as Agent" in a credit agreement is the administrative agent under another name.
  const kind: RoleKind = /Borrower$/.test(role)
    ? 'borrower'
    : /Guarantor$/.test(role)
      ? 'guarantor'
      : 'lender';
  return { role, kind, plural };
}

/**
 * Parses the role list after ", as ": "Administrative Agent, Swing Line Lender and an L/C Issuer".
 * Items are consumed while each one is a role; the first thing that is not ("the Lenders party
 * hereto", a new party's name) ends the list. Returns the roles and where the list ended.
 */
export function parseRoleList(text: string, start: number): { roles: Role[]; end: number } {
  const window = text.slice(start, Math.min(text.length, start + 300));
  const roles: Role[] = [];
  let pos = 0;
  let end = 0;
  const SEPARATOR = /,|;|\(|\)|\.(?=\s|$)|\s+(?:and|AND)\s+|\s*&\s+|\n[ \t]*\n|\s+By\s*:|$/g;
  for (;;) {
    SEPARATOR.lastIndex = pos;
    const sep = SEPARATOR.exec(window);
    if (!sep || sep.index - pos > 80) break;
    let itemEnd = sep.index;
    let role = parseRole(window.slice(pos, itemEnd));
    if (!role) {
      // On covers and signature pages the role line simply ends: "as Administrative Agent\nBy: ...".
      const nl = window.indexOf('\n', pos);
      if (nl > pos && nl < itemEnd) {
        itemEnd = nl;
        role = parseRole(window.slice(pos, itemEnd));
      }
    }
    if (!role) break;
    roles.push(role);
    // "administrative agent for the Lenders and the Issuers": the capacity's object runs to the next
    // comma or parenthesis, and its "and the Issuers" is not another role of this party.
    if (/\s(?:for|on\s+behalf\s+of)\s/i.test(window.slice(pos, itemEnd))) {
      const stop = /,|;|\(|\n[ \t]*\n|\s+(?:and|AND)\s+(?:as|AS)\s/.exec(window.slice(itemEnd));
      itemEnd = stop ? itemEnd + stop.index : window.length;
      end = itemEnd;
      if (!stop || !/^\s+(?:and|AND)\s+(?:as|AS)\s|^,/.test(window.slice(itemEnd))) break;
    }
    end = itemEnd;
    const sepHere = /^(?:,|\s+(?:and|AND)\s+|\s*&\s+)/.test(window.slice(itemEnd));
    if (itemEnd !== sep.index && !sepHere) break;
    // What qualifies a capacity belongs to it, not to the list: "(as hereinafter defined)",
    // "for the Lenders and the Issuers", "for the Secured Parties and as a Lender".
    const qualifier =
      /^\s*\((?:as\s+)?(?:hereinafter\s+|herein\s+|defined\s+|as\s+)?(?:defined|referred\s+to)[^()]{0,40}\)|^\s+(?:for|on\s+behalf\s+of)\s+(?:the\s+|each\s+|itself\s+and\s+the\s+)?[^,;()\n]{0,80}?(?=\s*(?:,|;|\(|$|\n)|\s+(?:and|AND)\s+(?:as|AS)\s)/.exec(
        window.slice(itemEnd, itemEnd + 120),
      );
    if (qualifier) {
      itemEnd += qualifier[0].length;
      end = itemEnd;
      const more =
        /^\s*\((?:as\s+)?(?:hereinafter\s+|herein\s+)?(?:defined|referred\s+to)[^()]{0,40}\)|^\s+(?:for|on\s+behalf\s+of)\s+(?:the\s+)?[^,;()\n]{0,80}?(?=\s*(?:,|;|\(|$|\n)|\s+(?:and|AND)\s+(?:as|AS)\s)/.exec(
          window.slice(itemEnd, itemEnd + 120),
        );
      if (more) {
        itemEnd += more[0].length;
        end = itemEnd;
      }
    }
    const glue = /^(?:,\s*(?:and\s+|AND\s+)?|\s+(?:and|AND)\s+|\s*&\s+)(?:(?:as|AS)\s+)?/.exec(
      window.slice(itemEnd, itemEnd + 48),
    );
    // A blank line ends a capacity list: on a cover "GOAMERICA, INC.,\n\nas Borrower,\n\nTHE LENDERS
    // AND L/C ISSUERS PARTY HERETO" the next paragraph names other parties, not more capacities.
    if (!glue || /\n[ \t]*\n/.test(glue[0])) break;
    pos = itemEnd + glue[0].length;
  }
  return { roles, end: start + end };
}
