import type { Definition } from './definitions.js';
import type { RulesDocument } from './document.js';
import { pageIndexAt } from './document.js';
import type { Role } from './names.js';
import { isValidPartyName, parseRole, parseRoleList, scanNameBackward } from './names.js';

/**
 * `attached`: the preamble of an amended agreement attached to its amendment (a conformed copy),
 * which introduces the whole syndicate while the amendment itself names only the signatories.
 */
export type PartySource = 'preamble' | 'cover' | 'signature' | 'label' | 'attached' | 'definition';

export interface PartyFinding {
  name: string;
  roles: Role[];
  /** Quoted defined terms given to the party that are not roles ("Holdings", "Company"). */
  aliases: string[];
  /** The description after the name: "a Delaware corporation", "a national banking association". */
  description: string | null;
  source: PartySource;
  /** Joined offsets of the name and its description/roles, for evidence. */
  start: number;
  end: number;
}

export interface Preamble {
  start: number;
  /** Offset of "among"/"between"/"promises to pay": dates of the deal are before it. */
  partiesStart: number;
  end: number;
}

// Where the operative text opens: "This CREDIT AGREEMENT ...", "THIS AMENDMENT NO. 2 ...",
// "CREDIT AGREEMENT (this "Agreement") dated as of ...", or a note's "FOR VALUE RECEIVED".
const PREAMBLE_OPENING =
  /\b(?:THIS|This)\s+(?:[A-Z0-9"“][\w.,'’&"”-]*\s+){0,12}?(?:AGREEMENT|Agreement|AMENDMENT|Amendment|NOTE|Note)\b|(?:^|\n)[ \t]*(?:[A-Z0-9][A-Z0-9.,'’&-]*[ \t]+){0,10}(?:AGREEMENT|AMENDMENT)[ \t]*(?:\(|,?[ \t]*dated)|FOR\s+VALUE\s+RECEIVED/g;
const PARTIES_WORD = /\b(?:among|between|AMONG|BETWEEN|promises?\s+to\s+pay|PROMISES?\s+TO\s+PAY)\b/g;
// The preamble paragraph ends where the recitals or the operative clauses start.
const PREAMBLE_END =
  /\b(?:WHEREAS|W\s?I\s?T\s?N\s?E\s?S\s?S\s?E\s?T\s?H|RECITALS|PRELIMINARY\s+STATEMENTS?|NOW,?\s+THEREFORE|The\s+parties\s+hereto\s+(?:hereby\s+)?agree|In\s+consideration\s+of|ARTICLE\s+I\b|Section\s+1\.01|1\.01\s+Defined)/g;
const PREAMBLE_MAX = 3000;

export function findPreamble(doc: RulesDocument): Preamble | null {
  // The preamble is near the front; limiting the search keeps exhibits' forms (which have their own
  // "THIS NOTE ..." openings) from being mistaken for it.
  const limit = Math.min(
    doc.signatureStart,
    doc.bodyStart + Math.max(60_000, Math.floor((doc.text.length - doc.bodyStart) * 0.3)),
  );
  return findPreambleIn(doc, doc.bodyStart, limit);
}

/**
 * The preamble of the amended agreement attached to an amendment (see `RulesDocument.bodyEnd`):
 * it opens after the attachment's cover and contents, within a few pages of them.
 */
export function findAttachedPreamble(doc: RulesDocument): Preamble | null {
  if (doc.bodyEnd <= doc.signatureStart || doc.annexStart >= doc.text.length) return null;
  let from = doc.annexStart;
  for (const p of doc.pages) if (p.isToc && p.offset >= doc.annexStart) from = p.offset + p.text.length;
  return findPreambleIn(doc, from, Math.min(doc.text.length, from + 20_000));
}

function findPreambleIn(doc: RulesDocument, from: number, limit: number): Preamble | null {
  const text = doc.text;
  PREAMBLE_OPENING.lastIndex = from;
  for (let m = PREAMBLE_OPENING.exec(text); m && m.index < limit; m = PREAMBLE_OPENING.exec(text)) {
    const start = m.index + (m[0].length - m[0].trimStart().length);
    PARTIES_WORD.lastIndex = start;
    const p = PARTIES_WORD.exec(text);
    if (!p || p.index - start > 1500) continue;
    PREAMBLE_END.lastIndex = p.index;
    const e = PREAMBLE_END.exec(text);
    const end = Math.min(
      e && e.index - p.index < PREAMBLE_MAX ? e.index : p.index + PREAMBLE_MAX,
      text.length,
    );
    return { start, partiesStart: p.index, end };
  }
  return null;
}

interface Tail {
  roles: Role[];
  quotedTerms: string[];
  parens: string[];
  description: string | null;
  end: number;
}

const DESCRIPTION = /^\s*,?\s*(?:a|an|A|AN)\s+([^()]{1,200}?)(?=\s*\(|,\s|\.\s|;|\n[ \t]*\n|$)/;
const ENTITY_WORD =
  /\b(?:corporation|company|partnership|association|bank|trust|limited|société|unlimited|exempted|organized|incorporated|credit union|CORPORATION|COMPANY|PARTNERSHIP|ASSOCIATION|BANK|LIMITED)\b/;
const QUOTED = /["“]([^"“”]{1,60})["”]/g;

/** Reads what follows a party's name: description, parentheticals and "as" roles, in any order. */
function parseTail(text: string, pos: number, limit: number): Tail {
  const tail: Tail = { roles: [], quotedTerms: [], parens: [], description: null, end: pos };
  let cur = pos;
  for (let guard = 0; guard < 6 && cur < limit; guard++) {
    const rest = text.slice(cur, Math.min(limit, cur + 500));
    const desc = tail.description === null ? DESCRIPTION.exec(rest) : null;
    if (desc && ENTITY_WORD.test(desc[1]!)) {
      tail.description = desc[1]!.replace(/\s+/g, ' ').trim();
      cur += desc[0].length;
      continue;
    }
    // One level of nesting: ("Initial Borrower", and with any other Borrower (as defined below), the "Borrowers").
    const paren = /^\s*\(((?:[^()]|\([^()]{0,80}\)){0,400})\)/.exec(rest);
    if (paren) {
      tail.parens.push(paren[1]!);
      QUOTED.lastIndex = 0;
      for (let q = QUOTED.exec(paren[1]!); q; q = QUOTED.exec(paren[1]!)) tail.quotedTerms.push(q[1]!.trim());
      cur += paren[0].length;
      continue;
    }
    // "(in such capacity, the "Administrative Agent") and as collateral agent": a second capacity.
    // A doubled comma (", , as Senior Managing Agents") is a typo that filings do carry.
    const as =
      /^\s*(?:,\s*){0,2}(?:(?:and|AND)\s+)?(?:(?:individually|INDIVIDUALLY)\s+(?:and\s+)?)?(?:as|AS)\s+/.exec(
        rest,
      );
    if (as) {
      const list = parseRoleList(text, cur + as[0].length);
      if (list.roles.length === 0) break;
      tail.roles.push(...list.roles);
      cur = list.end;
      continue;
    }
    break;
  }
  tail.end = cur;
  return tail;
}

// "JPMORGAN CHASE BANK, N.A., individually as a Lender and as Administrative Agent" is common too.
const AS_ANCHOR = /,\s*(?:(?:individually|INDIVIDUALLY)\s+(?:and\s+)?)?(?:as|AS)\s+|\n[ \t]*(?:as|AS)[ \t]+/g;
const DESC_ANCHOR =
  /,\s+(?:a|an|A|AN)\s+(?=[^,()]{0,80}?\b(?:corporation|company|partnership|association|bank|trust|limited|société|unlimited|exempted|organized|incorporated|CORPORATION|COMPANY|PARTNERSHIP|ASSOCIATION|BANK|LIMITED)\b)/g;
const PAREN_ANCHOR = /\s*\(\s*[^()"“”]{0,120}["“]/g;

interface Entity {
  name: string;
  start: number;
  end: number;
  stoppedAt: string | null;
  stopStart: number;
}

const DIVISION_OF = /,?\s*\b(?:a|A)\s+(?:division|DIVISION|Division)\s+(?:of|OF)\b/g;

/**
 * `MERRILL LYNCH CAPITAL, a division of Merrill Lynch Business Financial Services Inc., as
 * administrative agent`: the party is the division named first; the company after "a division of"
 * describes it. The returned span keeps the end of the description so the roles after it are read.
 */
function divisionParent(text: string, span: Entity, regionStart: number, lineMode: boolean): Entity | null {
  const from = Math.max(regionStart, span.start - 120);
  const window = text.slice(from, span.end);
  let last: RegExpExecArray | null = null;
  DIVISION_OF.lastIndex = 0;
  for (let m = DIVISION_OF.exec(window); m; m = DIVISION_OF.exec(window)) last = m;
  if (!last) return null;
  // The phrase must lead into this name ("a division of Merrill Lynch\n Business Financial Services
  // Inc."), not belong to an earlier party of the same sentence ("..., a division of Beta Inc., as
  // agent, GAMMA BANK").
  const phraseEnd = from + last.index + last[0].length;
  if (phraseEnd <= span.start && !/^[\sA-Za-z0-9.&'’-]*$/.test(text.slice(phraseEnd, span.start)))
    return null;
  let end = from + last.index;
  while (end > regionStart && /[\s,]/.test(text[end - 1]!)) end--;
  const parent = scanNameBackward(text, end, lineMode);
  if (!parent || parent.start < regionStart) return null;
  return { ...parent, end: span.end };
}

function sameCapacity(a: string, b: string): boolean {
  const norm = (x: string): string =>
    x
      .toLowerCase()
      .replace(/^co-?/, '')
      .replace(/[^a-z/]/g, '');
  const na = norm(a);
  const nb = norm(b);
  return na === nb || na.endsWith(nb) || nb.endsWith(na);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Finds the parties of one paragraph (a preamble, a cover page, a signature block). Each party is
 * a capitalised name followed by a description, a parenthetical or an "as <role>" list.
 */
export function parseParties(
  text: string,
  regionStart: number,
  regionEnd: number,
  lineMode: boolean,
  source: PartySource,
): PartyFinding[] {
  const region = text.slice(regionStart, regionEnd);
  const anchors: number[] = [];
  for (const re of [AS_ANCHOR, DESC_ANCHOR, PAREN_ANCHOR]) {
    re.lastIndex = 0;
    for (let m = re.exec(region); m; m = re.exec(region)) anchors.push(regionStart + m.index);
  }
  anchors.sort((a, b) => a - b);
  const entities: Entity[] = [];
  const seen = new Set<number>();
  for (const a of anchors) {
    let end = a;
    while (end > regionStart && /\s/.test(text[end - 1]!)) end--;
    const found = scanNameBackward(text, end, lineMode);
    const span = found ? (divisionParent(text, found, regionStart, lineMode) ?? found) : null;
    if (!span || span.start < regionStart || seen.has(span.start)) continue;
    // In prose a legal name is not preceded by "the": "for the Secured Parties (in such capacity,
    // the "Collateral Agent")" names a defined group, not a party.
    if (!lineMode && /\bthe\s+$/.test(text.slice(Math.max(0, span.start - 5), span.start))) continue;
    seen.add(span.start);
    entities.push(span);
  }
  entities.sort((a, b) => a.start - b.start);

  const findings: PartyFinding[] = [];
  for (let i = 0; i < entities.length; i++) {
    const e = entities[i]!;
    const nextStart = entities[i + 1]?.start ?? regionEnd;
    const tail = parseTail(text, e.end, Math.min(regionEnd, nextStart));
    const roles = [...tail.roles];
    const aliases: string[] = [];
    for (const term of tail.quotedTerms) {
      const role = parseRole(term);
      // `as co-syndication agents (in such capacities, the "Syndication Agents")`: the quoted term
      // names the capacity already given, it is not another role.
      if (role && !tail.roles.some((r) => sameCapacity(r.role, role.role))) roles.push(role);
      else if (!role) aliases.push(term);
    }
    const finding: PartyFinding = {
      name: e.name,
      roles,
      aliases,
      description: tail.description,
      source,
      start: e.start,
      end: Math.max(e.end, tail.end),
    };
    findings.push(finding);
    addCoParties(text, e, roles, lineMode, source, regionStart, findings);
  }
  shareRolesWithAliases(findings, text);
  return findings.filter((f) => f.roles.length > 0 || f.aliases.length > 0);
}

/**
 * "ALPHA INC. and BETA LLC, as Borrowers" or a cover's list of arrangers: a plural role belongs to
 * every name of the list before it, not only to the last one.
 */
function addCoParties(
  text: string,
  e: Entity,
  roles: Role[],
  lineMode: boolean,
  source: PartySource,
  regionStart: number,
  findings: PartyFinding[],
): void {
  if (!roles.some((r) => r.plural)) return;
  const shared = roles.map((r) => ({ ...r, plural: false }));
  let cursor: Entity = e;
  // Documentation agents are often listed ten or more at a time.
  for (let n = 0; n < 16; n++) {
    let end: number;
    let sameLine = true;
    if (cursor.stoppedAt === 'and' || cursor.stoppedAt === 'AND' || cursor.stoppedAt === ',') {
      end = cursor.stopStart;
    } else if (lineMode) {
      sameLine = false;
      // Line mode: the previous line is a co-party if it is a name on its own (or "and").
      const lineStart = text.lastIndexOf('\n', cursor.start - 1);
      if (lineStart <= regionStart) return;
      end = lineStart;
      // Covers converted from HTML put a blank line between every line: "WELLS FARGO SECURITIES,
      // LLC\n\nand\n\nU.S. BANK NATIONAL ASSOCIATION,\n\nas Joint Lead Arrangers". Blank lines are
      // crossed only to an "and" line or a name line ending in a comma, which say the list goes on.
      const skipBlank = (at: number): number => {
        let e = at;
        while (e > regionStart && /^[ \t]*$/.test(text.slice(text.lastIndexOf('\n', e - 1) + 1, e))) {
          e = text.lastIndexOf('\n', e - 1);
        }
        return e;
      };
      const afterBlank = skipBlank(end);
      if (afterBlank !== end) {
        const line = text.slice(text.lastIndexOf('\n', afterBlank - 1) + 1, afterBlank);
        // Or the current name is the last but one of a list ("HSBC BANK USA, N.A., and"): the name
        // above it belongs to the list even when its own comma was left out.
        const current = text.slice(
          cursor.start,
          text.indexOf('\n', cursor.start) < 0 ? text.length : text.indexOf('\n', cursor.start),
        );
        const listItem = /,[ \t]*(?:and|AND|&)[ \t]*$/.test(current);
        if (
          !/^\s*(?:and|AND|&)\s*$|,[ \t]*(?:(?:and|AND|&)[ \t]*)?$|[ \t](?:and|AND|&)[ \t]*$/.test(line) &&
          !listItem
        )
          return;
        end = afterBlank;
      }
      const prevLineStart = text.lastIndexOf('\n', end - 1) + 1;
      if (/^\s*(?:and|AND|&)\s*$/.test(text.slice(prevLineStart, end))) end = skipBlank(prevLineStart - 1);
      // "PNC BANK, NATIONAL ASSOCIATION, and" above the last name of a cover list.
      const trailingAnd = /,?[ \t]+(?:and|AND|&)[ \t]*$/.exec(
        text.slice(Math.max(prevLineStart, end - 12), end),
      );
      if (trailingAnd) end -= trailingAnd[0].length;
    } else {
      return;
    }
    while (end > regionStart && /[\s,]/.test(text[end - 1]!)) end--;
    // `BANK OF AMERICA, N.A. ("BOFA") and CREDIT SUISSE ..., as co-syndication agents`: the
    // co-party's short name in parentheses sits between its name and the "and".
    const shortName = /\s*\([^()]{0,60}\)$/.exec(text.slice(Math.max(regionStart, end - 70), end));
    if (shortName) end -= shortName[0].length;
    if (end <= regionStart) return;
    const span = scanNameBackward(text, end, lineMode);
    if (!span || span.start < regionStart) return;
    if (!sameLine && text.slice(text.lastIndexOf('\n', span.start - 1) + 1, span.start).trim() !== '') return;
    findings.push({
      name: span.name,
      roles: shared,
      aliases: [],
      description: null,
      source,
      start: span.start,
      end: e.end,
    });
    cursor = span;
  }
}

/** `BETA LLC ("Beta" and, together with Alpha, the "Borrowers")` gives Alpha the role as well. */
function shareRolesWithAliases(findings: PartyFinding[], text: string): void {
  for (const f of findings) {
    if (f.roles.length === 0) continue;
    const parenText = text.slice(f.start, f.end);
    if (!/together\s+with|each\s+of|collectively/i.test(parenText)) continue;
    for (const other of findings) {
      if (other === f || other.roles.length > 0) continue;
      // Short names are defined in capitals and used in title case: ("COMSYS SERVICES") ... "COMSYS
      // Services, VTP and COMSYS IT are referred to herein ... collectively as the "BORROWERS"".
      const named = other.aliases.some((a) => new RegExp(`\\b${escapeRegex(a)}\\b`, 'i').test(parenText));
      if (named) other.roles = [...f.roles];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Signature pages

const BY_LINE = /^[ \t]*By[ \t]*:/gm;
const BLOCK_BOUNDARY = /^[ \t]*(?:By|Name|Title|Its|Date)[ \t]*:.*$/gm;
const HEADING_LINE = /^[ \t]*([A-Z][A-Za-z/ ,&()-]{3,60}?)[ \t]*:[ \t]*$/gm;

function headingRoles(heading: string): Role[] {
  const roles: Role[] = [];
  const cleaned = heading.replace(/\s*\(?\b(?:continued|CONTINUED|Continued|cont'd)\b\)?\s*$/, '');
  for (const part of cleaned.split(/\s*,\s*|\s+AND\s+|\s+and\s+/)) {
    const r = parseRole(part);
    if (r) roles.push({ ...r, plural: false });
  }
  return roles;
}

/**
 * Signature blocks: the name (and "as <role>") above each "By:" line. A block with no "as" phrase
 * takes its role from the page's heading ("LENDERS:", "BORROWER:"), which carries over to the next
 * signature page as printed agreements do.
 */
export function parseSignaturePages(doc: RulesDocument): PartyFinding[] {
  const findings: PartyFinding[] = [];
  let heading: Role[] = [];
  for (const page of doc.pages) {
    if (!page.isSignature) continue;
    const t = page.text;
    const boundaries: { pos: number; heading?: Role[] }[] = [{ pos: page.contentStart }];
    BLOCK_BOUNDARY.lastIndex = 0;
    for (let m = BLOCK_BOUNDARY.exec(t); m; m = BLOCK_BOUNDARY.exec(t))
      boundaries.push({ pos: m.index + m[0].length });
    HEADING_LINE.lastIndex = 0;
    for (let m = HEADING_LINE.exec(t); m; m = HEADING_LINE.exec(t)) {
      boundaries.push({ pos: m.index + m[0].length, heading: headingRoles(m[1]!) });
    }
    boundaries.sort((a, b) => a.pos - b.pos);
    BY_LINE.lastIndex = 0;
    for (let m = BY_LINE.exec(t); m; m = BY_LINE.exec(t)) {
      let blockStart = page.contentStart;
      for (const b of boundaries) {
        if (b.pos > m.index) break;
        blockStart = Math.max(blockStart, b.pos);
        if (b.heading) heading = b.heading;
      }
      const block = t.slice(blockStart, m.index);
      if (block.trim().length === 0) continue;
      const base = page.offset + blockStart;
      const blockEnd = page.offset + m.index;
      const parsed = parseParties(doc.text, base, blockEnd, true, 'signature').filter(
        (f) => f.roles.length > 0,
      );
      if (parsed.length > 0) {
        findings.push(...parsed);
        continue;
      }
      if (heading.length === 0) continue;
      // No "as" phrase: each line of the block that is a name is a party under the heading
      // (guarantors often sign one block with many names above a single "By:").
      const lineRe = /^[ \t]*(\S[^\n]*)$/gm;
      for (let line = lineRe.exec(block); line; line = lineRe.exec(block)) {
        const full = line[1]!.trim();
        // The name ends where its description or a parenthetical starts:
        // "WESTERN ALLIANCE BANK , an Arizona corporation", "KIMCO REALTY OP, LLC (successor ...)".
        const cut =
          /\s*,?\s+(?:a|an)\s+(?=[^,]*\b(?:corporation|company|partnership|association|bank|trust|limited)\b)|\s*\(|\s*,\s*(?:its|as)\s/i.exec(
            full,
          );
        const raw = (cut ? full.slice(0, cut.index) : full).trim().replace(/\s*,$/, '');
        const lineAt = base + line.index + line[0].length - line[1]!.length;
        const span = scanNameBackward(doc.text, lineAt + raw.length, true);
        if (!span || span.start !== lineAt || span.name !== raw.replace(/\s+/g, ' ')) {
          if (findings.length === 0 || line.index === 0) break;
          continue;
        }
        const desc = cut ? /^\s*,?\s+(?:a|an)\s+([^,(]{1,120})/.exec(full.slice(cut.index)) : null;
        findings.push({
          name: span.name,
          roles: heading,
          aliases: [],
          description: desc ? desc[1]!.trim() : null,
          source: 'signature',
          start: span.start,
          end: span.end,
        });
      }
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Cover page and term-sheet labels

export function parseCover(doc: RulesDocument, preamble: Preamble | null): PartyFinding[] {
  let firstToc = doc.pages.findIndex((p) => p.isToc);
  // No contents: the cover is the page (or two) before the page where the preamble opens.
  if (firstToc < 0 && preamble) firstToc = pageIndexAt(doc, preamble.start);
  if (firstToc <= 0) return [];
  // The cover is the page right before the contents: in an amendment that attaches the amended
  // agreement, the pages before it are the amendment's prose and signatures, read elsewhere.
  const out: PartyFinding[] = [];
  for (let i = firstToc - 1; i >= 0; i--) {
    const p = doc.pages[i]!;
    const end = p.offset + p.text.length;
    if (p.isSignature || (preamble && preamble.start < end && preamble.end > p.offset)) break;
    out.push(...parseParties(doc.text, p.offset, end, true, 'cover').filter((f) => f.roles.length > 0));
    if (firstToc - i >= 2) break;
  }
  return out.sort((a, b) => a.start - b.start);
}

const LABEL_LINE = /^[ \t]*([A-Z][A-Za-z/ -]{2,40}?)[ \t]*:[ \t]*(\S[^\n]*)$/gm;

/**
 * Term sheets name parties in a two-column layout: "Borrower: Acme Corp., a Delaware corporation".
 * Only values that are legal names in full are taken; "A syndicate of banks ..." is not a name.
 */
export function parseLabels(doc: RulesDocument, from: number, to: number): PartyFinding[] {
  const findings: PartyFinding[] = [];
  const region = doc.text.slice(from, to);
  LABEL_LINE.lastIndex = 0;
  for (let m = LABEL_LINE.exec(region); m; m = LABEL_LINE.exec(region)) {
    const role = parseRole(m[1]!);
    if (!role) continue;
    const valueStart = from + m.index + m[0].length - m[2]!.length;
    const value = m[2]!;
    const cut = /,\s+(?:a|an)\s|\s\(|;|\.\s|\s+as\s/.exec(value);
    const head = cut ? value.slice(0, cut.index) : value.replace(/\.$/, '');
    const parts =
      role.plural || /\sand\s/.test(head) ? head.split(/\s+and\s+|,\s+(?=[A-Z])(?![A-Z][\w.]*\s*$)/) : [head];
    let offset = 0;
    for (const partRaw of parts) {
      const idx = head.indexOf(partRaw, offset);
      offset = idx + partRaw.length;
      const part = partRaw.trim().replace(/,$/, '');
      if (!isValidPartyName(part)) continue;
      const partStart = valueStart + idx + (partRaw.length - partRaw.trimStart().length);
      const span = scanNameBackward(doc.text, partStart + part.length, true);
      if (!span || span.start !== partStart) continue;
      findings.push({
        name: span.name,
        roles: [{ ...role, plural: false }],
        aliases: [],
        description: null,
        source: 'label',
        start: span.start,
        end: span.end,
      });
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Capacities given in definitions

/**
 * The swing line lender and the letter of credit issuers are often named only in their definitions:
 * `"Swingline Lender" means, each in its capacity as Swingline Lender hereunder, Churchill or, upon
 * the resignation of Churchill ...`. Only parties already introduced on the lender side (by full
 * name or by their quoted short name) are recognised there, so a definition that mentions the
 * Borrower, or a bank that is no party, gives nothing.
 */
const DEFINED_CAPACITIES = [
  'Swing Line Lender',
  'Swingline Lender',
  'L/C Issuer',
  'LC Issuer',
  'Issuing Bank',
  'Issuing Lender',
  'Letter of Credit Issuer',
];
const DEFINITION_HEAD = /^["“][^"“”]{1,60}["”]\s*(?:,\s*)?(?:shall\s+mean|means?|:)\s*/;

export function partiesFromDefinitions(
  definitions: Map<string, Definition>,
  known: PartyFinding[],
): PartyFinding[] {
  const lenderSide = known.filter(
    (f) => f.source !== 'definition' && f.roles.length > 0 && f.roles.every((r) => r.kind === 'lender'),
  );
  if (lenderSide.length === 0) return [];
  const out: PartyFinding[] = [];
  const done = new Set<Definition>();
  for (const term of DEFINED_CAPACITIES) {
    const def = definitions.get(term);
    if (!def || done.has(def)) continue;
    done.add(def);
    const role = parseRole(term);
    if (!role) continue;
    const lead = DEFINITION_HEAD.exec(def.text);
    if (!lead) continue;
    const head = def.text.slice(lead[0].length, lead[0].length + 200);
    const seen = new Set<string>();
    for (const f of lenderSide) {
      if (seen.has(f.name)) continue;
      const names = [f.name, ...f.aliases.filter((a) => /^[A-Z]/.test(a) && a.length >= 3)];
      const hit = names.some((n) =>
        new RegExp(`(?:^|[^\\w])${escapeRegex(n).replace(/\s+/g, '\\s+')}(?![\\w])`).test(head),
      );
      if (!hit) continue;
      seen.add(f.name);
      out.push({
        name: f.name,
        roles: [{ ...role, plural: false }],
        aliases: [],
        description: null,
        source: 'definition',
        start: def.start,
        end: Math.min(def.end, def.start + lead[0].length + 200),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Guarantors named in the recitals

const RECITAL_GUARANTEE =
  /\bWHEREAS,?\s+(?:the\s+)?([A-Z][\w.&'’ -]{1,60}?),[^;]{0,400}?\b(?:is|are)\s+willing\s+to\s+(?:guarantee|guaranty)\b|\bWHEREAS,?\s+(?:the\s+)?([A-Z][\w.&'’ -]{1,60}?)\s+(?:is|are)\s+willing\s+to\s+(?:guarantee|guaranty)\b|\bWHEREAS,?\s+(?:the\s+)?([A-Z][\w.&'’ -]{1,60}?)\s+(?:has|have)\s+agreed\s+to\s+(?:guarantee|guaranty)\b/g;

/**
 * Parent companies often guarantee through the recitals only: "WHEREAS, Holdings, as the direct
 * owner of ..., is willing to guarantee all of the Obligations". The subject must be a party of the
 * preamble, by its legal name or its quoted short name; "each other Domestic Subsidiary" is nobody.
 */
export function recitalGuarantors(text: string, preamble: Preamble, parties: PartyFinding[]): PartyFinding[] {
  const stop = /\bNOW,?\s+THEREFORE\b|\n[ \t]*ARTICLE\s+(?:I|1)\b/.exec(
    text.slice(preamble.end, preamble.end + 12_000),
  );
  const region = text.slice(preamble.end, preamble.end + (stop ? stop.index : 12_000));
  const candidates = parties.filter(
    (f) => f.source === 'preamble' && !f.roles.some((r) => r.kind === 'borrower' || r.kind === 'lender'),
  );
  const out: PartyFinding[] = [];
  RECITAL_GUARANTEE.lastIndex = 0;
  for (let m = RECITAL_GUARANTEE.exec(region); m; m = RECITAL_GUARANTEE.exec(region)) {
    const subject = (m[1] ?? m[2] ?? m[3]!).replace(/\s+/g, ' ').trim().toLowerCase();
    const party = candidates.find(
      (f) =>
        f.name.toLowerCase() === subject ||
        f.aliases.some((a) => a.replace(/\s+/g, ' ').toLowerCase() === subject),
    );
    if (!party || out.some((o) => o.name === party.name)) continue;
    out.push({
      name: party.name,
      roles: [{ role: 'Guarantor', kind: 'guarantor', plural: false }],
      aliases: [],
      description: null,
      source: 'preamble',
      start: preamble.end + m.index,
      end: preamble.end + m.index + m[0].length,
    });
  }
  return out;
}
