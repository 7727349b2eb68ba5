import type { Evidence } from '../../engine.js';
import type { Definition } from './definitions.js';
import { parseDefinitions } from './definitions.js';
import type { RulesDocument } from './document.js';
import { evidenceFor, isInSignatures, isInToc } from './document.js';
import type { PartyFinding, Preamble } from './parties.js';
import {
  findAttachedPreamble,
  findPreamble,
  parseCover,
  parseLabels,
  parseParties,
  parseSignaturePages,
  partiesFromDefinitions,
  recitalGuarantors,
} from './parties.js';

/** A value one extractor found in one document, with its support. */
export interface Found<T> {
  value: T;
  confidence: number;
  evidence: Evidence[];
}

/**
 * Everything located once per document before any field is extracted: sections first (preamble,
 * definitions, signature pages), then the per-field extractors only look where their field lives.
 */
export interface DocContext {
  doc: RulesDocument;
  preamble: Preamble | null;
  definitions: Map<string, Definition>;
  parties: PartyFinding[];
  /** Kind of document from its title, which changes where some terms are stated. */
  kind: 'agreement' | 'amendment' | 'note' | 'term_sheet' | 'unknown';
}

function documentKind(doc: RulesDocument, preamble: Preamble | null): DocContext['kind'] {
  const head = doc.text.slice(0, 4000);
  if (
    /\b(?:TERM\s+SHEET|SUMMARY\s+OF\s+(?:PRINCIPAL\s+)?TERMS|Summary\s+of\s+(?:Principal\s+)?Terms)\b/.test(
      head,
    )
  )
    return 'term_sheet';
  const opening = preamble ? doc.text.slice(preamble.start, preamble.partiesStart) : head;
  if (
    /\bAMENDMENT\b|\bAmendment\s+No\b|\bAmendment\b\s*\(this/.test(opening) &&
    !/AMENDED\s+AND\s+RESTATED/.test(opening)
  ) {
    return 'amendment';
  }
  if (/\bNOTE\b|FOR\s+VALUE\s+RECEIVED|\bPromissory\s+Note\b/.test(opening)) return 'note';
  if (/\bAGREEMENT\b|\bAgreement\b/.test(opening)) return 'agreement';
  return 'unknown';
}

export function buildContext(doc: RulesDocument): DocContext {
  const preamble = findPreamble(doc);
  const definitions = parseDefinitions(doc);
  const kind = documentKind(doc, preamble);
  const parties: PartyFinding[] = [];
  if (preamble) {
    parties.push(...parseParties(doc.text, preamble.start, preamble.end, false, 'preamble'));
    parties.push(...recitalGuarantors(doc.text, preamble, parties));
  }
  parties.push(...parseCover(doc, preamble));
  parties.push(...parseSignaturePages(doc));
  const attached = findAttachedPreamble(doc);
  if (attached && attached.start > (preamble?.end ?? 0))
    parties.push(...parseParties(doc.text, attached.start, attached.end, false, 'attached'));
  parties.push(...partiesFromDefinitions(definitions, parties));
  if (kind === 'term_sheet' || !preamble)
    parties.push(...parseLabels(doc, doc.bodyStart, Math.min(doc.text.length, doc.annexStart)));
  return { doc, preamble, definitions, parties, kind };
}

export function found<T>(
  doc: RulesDocument,
  value: T,
  confidence: number,
  start: number,
  end: number,
): Found<T> {
  return { value, confidence, evidence: evidenceFor(doc, start, end) };
}

/** Iterates a global regex over the main body (after the TOC, before signatures), skipping TOC pages. */
export function* bodyMatches(
  ctx: DocContext,
  re: RegExp,
  from?: number,
  to?: number,
): Generator<RegExpExecArray> {
  const { doc } = ctx;
  const end = to ?? doc.bodyEnd;
  re.lastIndex = from ?? doc.bodyStart;
  for (let m = re.exec(doc.text); m; m = re.exec(doc.text)) {
    if (m.index >= end) return;
    if (m[0].length === 0) re.lastIndex++;
    if (isInToc(doc, m.index) || isInSignatures(doc, m.index)) continue;
    yield m;
  }
}

/** The sentence around an offset, bounded, for deciding what a number is about. */
export function sentenceAround(
  text: string,
  at: number,
  maxBack = 400,
  maxForward = 400,
): { start: number; end: number } {
  let start = at;
  const minStart = Math.max(0, at - maxBack);
  while (start > minStart) {
    const c = text[start - 1]!;
    if (
      (c === '.' || c === ';') &&
      /\s/.test(text[start] ?? ' ') &&
      !/(?:\b[A-Z]|\bN\.A|\bInc|\bCorp|\bCo|\bLtd|\bNo|\bU\.S|\bSec|\bL\.P|\bi\.e|\be\.g)$/i.test(
        text.slice(Math.max(0, start - 6), start - 1),
      )
    )
      break;
    if (c === '\n' && text[start - 2] === '\n') break;
    start--;
  }
  let end = at;
  const maxEnd = Math.min(text.length, at + maxForward);
  while (end < maxEnd) {
    const c = text[end]!;
    if (
      (c === '.' || c === ';') &&
      /\s/.test(text[end + 1] ?? ' ') &&
      !/(?:\b[A-Z]|\bN\.A|\bInc|\bCorp|\bCo|\bLtd|\bNo|\bU\.S|\bSec|\bL\.P|\bi\.e|\be\.g)$/i.test(
        text.slice(Math.max(0, end - 6), end),
      )
    ) {
      end++;
      break;
    }
    if (c === '\n' && text[end + 1] === '\n') break;
    end++;
  }
  return { start, end };
}

export type { Definition };
