import type {
  Evidence,
  ExtractionEngine,
  ExtractionInput,
  ExtractionOutput,
  FieldCandidate,
  SourcePage,
} from '../../engine.js';
import { finaliseFields } from '../../engine.js';
import { getExtractionSchema } from '../../schemas/index.js';
import type { DocContext, Found } from './context.js';
import { buildContext } from './context.js';
import {
  extractAccrualBasis,
  extractBusinessDay,
  extractCollateral,
  extractEventsOfDefault,
  extractFinancialCovenants,
  extractGoverningLaw,
  extractPrepaymentPenalty,
  extractRevolving,
} from './covenants.js';
import { buildDocument, evidenceFor } from './document.js';
import { isValidPartyName } from './names.js';
import type { PartyFinding } from './parties.js';
import type { Fee, Margin } from './pricing.js';
import {
  extractBaseRateOptions,
  extractDefaultRate,
  extractFees,
  extractFloor,
  extractMargins,
} from './pricing.js';
import type { Facility } from './terms.js';
import { extractCommitments, extractExecutionDate, extractMaturity, extractSublimits } from './terms.js';

export const RULES_ENGINE_NAME = 'rules';

/**
 * How sure the rules are that a field they looked for and did not find is really absent. Pattern
 * rules miss unusual wording, so an absence is never certain and is always offered for review.
 */
const ABSENCE_CONFIDENCE = 0.5;
/** Evidence lists are for a reviewer; past this many quotes they stop helping. */
const MAX_EVIDENCE = 24;

type Candidates = Record<string, FieldCandidate>;

function cand<T>(f: Found<T> | null): FieldCandidate {
  if (!f) return { value: null, confidence: ABSENCE_CONFIDENCE, evidence: [] };
  return { value: f.value, confidence: f.confidence, evidence: f.evidence.slice(0, MAX_EVIDENCE) };
}

function normName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

function partyEvidence(ctx: DocContext, findings: PartyFinding[]): Evidence[] {
  return findings.slice(0, MAX_EVIDENCE).flatMap((f) => evidenceFor(ctx.doc, f.start, f.end));
}

interface PartyResults {
  borrowers: Found<string[]> | null;
  guarantors: Found<string[]> | null;
  lenders: Found<{ role: string; name: string }[]> | null;
  lenderType: Found<string> | null;
}

/**
 * Borrowers come from the preamble first (the one place every party is introduced with its role),
 * then signature pages, the cover, or a term sheet's labels. A "Company" is a borrower only when the
 * agreement's own definition of "Borrower" says so.
 */
function assembleParties(ctx: DocContext): PartyResults {
  const companyIsBorrower = ['Borrower', 'Borrowers'].some((t) =>
    /\bthe\s+Company\b/.test(ctx.definitions.get(t)?.text.slice(0, 300) ?? ''),
  );
  const isBorrower = (f: PartyFinding): boolean =>
    f.roles.some((r) => r.kind === 'borrower') || (companyIsBorrower && f.aliases.includes('Company'));

  const order: PartyFinding['source'][] = ['preamble', 'signature', 'cover', 'label'];
  let borrowers: Found<string[]> | null = null;
  for (const source of order) {
    const list = ctx.parties.filter((f) => f.source === source && isBorrower(f));
    if (list.length === 0) continue;
    const names: string[] = [];
    const seen = new Set<string>();
    for (const f of list) {
      const key = normName(f.name);
      if (!seen.has(key)) {
        seen.add(key);
        names.push(f.name);
      }
    }
    const confirmed = ctx.parties.some(
      (f) => f.source !== source && isBorrower(f) && seen.has(normName(f.name)),
    );
    const base = source === 'preamble' ? 0.9 : source === 'label' ? 0.75 : 0.8;
    borrowers = {
      value: names,
      confidence: confirmed ? Math.min(0.97, base + 0.05) : base,
      evidence: partyEvidence(ctx, list),
    };
    break;
  }

  // The attached amended agreement's preamble may still name the parties as they were before the
  // amendment (a predecessor borrower): only its lender side is read.
  // A preamble that lists its parties without roles ("among CASTLE DENTAL CENTERS, INC., THE OTHER
  // CREDIT PARTIES SIGNATORY HERETO, ...") leaves the borrower to its definition: `"Borrower"
  // means Castle Dental Centers, Inc., a Delaware corporation`, taken only when the preamble names it.
  if (!borrowers && ctx.preamble) {
    // `"Borrower" means the Company or any Subsidiary Borrower` points at the Company's definition.
    const own = ctx.definitions.get('Borrower');
    const def =
      own && /^["“]Borrower["”]\s+(?:shall\s+)?means\s+the\s+Company\b/.test(own.text)
        ? ctx.definitions.get('Company')
        : own;
    const m = def
      ? /^["“](?:Borrower|Company)["”]\s+(?:shall\s+)?means\s+([A-Z][^,;()]{2,80}(?:,\s*(?:Inc|Corp|Ltd|L\.?P|LLC|L\.L\.C|N\.A)\.?)?)(?=,|\.|\s*\()/.exec(
          def.text,
        )
      : null;
    const name = m?.[1]?.trim();
    const preambleText = ctx.doc.text
      .slice(ctx.preamble.start, ctx.preamble.end)
      .replace(/\s+/g, ' ')
      .toLowerCase();
    if (
      def &&
      name &&
      isValidPartyName(name) &&
      /\s/.test(name) &&
      preambleText.includes(name.toLowerCase())
    ) {
      borrowers = {
        value: [name],
        confidence: 0.75,
        evidence: evidenceFor(ctx.doc, def.start, Math.min(def.end, def.start + 200)),
      };
    }
  }

  const guarantorFindings = ctx.parties.filter(
    (f) => f.source !== 'attached' && f.roles.some((r) => r.kind === 'guarantor'),
  );
  const guarantorNames: string[] = [];
  const gSeen = new Set<string>();
  for (const f of guarantorFindings) {
    const key = normName(f.name);
    if (gSeen.has(key) || (borrowers && borrowers.value.some((b) => normName(b) === key))) continue;
    gSeen.add(key);
    guarantorNames.push(f.name);
  }
  const guarantors: Found<string[]> | null =
    guarantorNames.length > 0
      ? { value: guarantorNames, confidence: 0.8, evidence: partyEvidence(ctx, guarantorFindings) }
      : null;

  // Reading order within each source, so that lists ("Syndication Agents") keep the document's order.
  const lenderFindings = ctx.parties
    .filter((f) => f.roles.some((r) => r.kind === 'lender'))
    .sort((a, b) => (a.source === b.source ? a.start - b.start : 0));
  const pairs: { role: string; name: string }[] = [];
  const pSeen = new Set<string>();
  const display = new Map<string, string>();
  // The preamble's spelling of a name is preferred over a signature page's.
  const displayOrder: PartyFinding['source'][] = [...order, 'attached', 'definition'];
  for (const f of [...lenderFindings].sort(
    (a, b) => displayOrder.indexOf(a.source) - displayOrder.indexOf(b.source),
  )) {
    if (!display.has(normName(f.name))) display.set(normName(f.name), f.name);
  }
  for (const f of lenderFindings) {
    for (const r of f.roles) {
      if (r.kind !== 'lender') continue;
      // "as Agent" on a signature page is the administrative agent the preamble named.
      const roleKey = r.role.toLowerCase().replace(/[^a-z]/g, '');
      const key = `${normName(f.name)}|${roleKey === 'agent' ? 'administrativeagent' : roleKey}`;
      if (pSeen.has(key)) continue;
      pSeen.add(key);
      pairs.push({ role: r.role, name: display.get(normName(f.name)) ?? f.name });
    }
  }
  const sources = new Set(lenderFindings.map((f) => f.source));
  const lenders: Found<{ role: string; name: string }[]> | null =
    pairs.length > 0
      ? {
          value: pairs,
          confidence:
            sources.has('preamble') || sources.has('signature') || sources.has('attached') ? 0.85 : 0.75,
          evidence: partyEvidence(ctx, lenderFindings),
        }
      : null;

  // The documents say what kind of institution the lender is: "a national banking association".
  let lenderType: Found<string> | null = null;
  for (const f of lenderFindings) {
    if (!f.description || !f.roles.some((r) => /^(?:Lender|Administrative Agent|Agent)$/.test(r.role)))
      continue;
    const kind = /credit\s+union/i.test(f.description)
      ? 'credit union'
      : /bank|banking/i.test(f.description)
        ? 'bank'
        : null;
    if (kind) {
      lenderType = { value: kind, confidence: 0.8, evidence: evidenceFor(ctx.doc, f.start, f.end) };
      break;
    }
  }
  // The agent's short name may carry the description instead: `"JPMCB" means JPMorgan Chase Bank,
  // N.A., a national banking association`.
  if (!lenderType && lenders) {
    const agents = lenders.value
      .filter((p) => /^(?:Administrative Agent|Agent)$/.test(p.role))
      .map((p) => p.name);
    for (const def of ctx.definitions.values()) {
      if (def.text.length > 240) continue;
      const lower = def.text.toLowerCase().replace(/\s+/g, ' ');
      const agent = agents.find(
        (a) => lower.includes(`${a.toLowerCase()}, a`) || lower.includes(`${a.toLowerCase()} , a`),
      );
      if (!agent) continue;
      const after = lower.slice(lower.indexOf(agent.toLowerCase()) + agent.length);
      const kind = /^\s*,\s*an?\s+[^,.;]{0,60}?credit\s+union/.test(after)
        ? 'credit union'
        : /^\s*,\s*an?\s+[^,.;]{0,60}?\b(?:bank|banking)\b/.test(after)
          ? 'bank'
          : null;
      if (kind) {
        lenderType = { value: kind, confidence: 0.75, evidence: evidenceFor(ctx.doc, def.start, def.end) };
        break;
      }
    }
  }
  return { borrowers, guarantors, lenders, lenderType };
}

interface DocumentExtraction {
  creditAgreement: Candidates;
  bookingSheet: Candidates;
  warnings: string[];
}

function extractDocument(
  documentId: string,
  documentName: string | undefined,
  pages: SourcePage[],
): DocumentExtraction {
  const doc = buildDocument(documentId, documentName, pages);
  const ctx = buildContext(doc);
  const warnings: string[] = [];
  const label = documentName ?? documentId;
  if (!ctx.preamble && ctx.kind !== 'term_sheet')
    warnings.push(`${label}: no preamble found; parties and date may be missing`);
  if (ctx.definitions.size === 0 && ctx.kind === 'agreement')
    warnings.push(`${label}: no definitions section found`);

  const revolvingFound = extractRevolving(ctx);
  const revolving = revolvingFound ? revolvingFound.value : null;
  const execution = extractExecutionDate(ctx);
  const parties = assembleParties(ctx);
  const commitments = extractCommitments(ctx, revolving);
  const sublimits = extractSublimits(ctx);
  const maturity = extractMaturity(ctx, execution?.value ?? null, revolving);

  // Facilities: each stated commitment and sublimit, with its maturity when the agreement gives one
  // per facility (or one maturity for a single-facility agreement).
  const facilities: Facility[] = [];
  const facilityEvidence: Evidence[] = [];
  const maturityFor = (type: string): string | null => {
    const own = maturity.byFacility.find((m) => m.type === type);
    if (own) return own.date;
    // One maturity for the whole agreement applies to each of its facilities.
    const general = maturity.dates.filter((m) => m.type === 'Loans');
    if (general.length > 0 && maturity.byFacility.length === 0) {
      return general.reduce((a, b) => (b.date > a.date ? b : a)).date;
    }
    if (maturity.dates.length === 0 && maturity.final && commitments.facilities.length === 1)
      return maturity.final.value;
    return null;
  };
  for (const f of commitments.facilities) {
    facilities.push({
      facility_type: f.type,
      commitment_amount: f.amount,
      maturity_date: maturityFor(f.type),
    });
    facilityEvidence.push(...evidenceFor(doc, f.start, f.end));
  }
  if (facilities.length > 0) {
    for (const s of sublimits) {
      facilities.push({ facility_type: s.type, commitment_amount: s.amount, maturity_date: null });
      facilityEvidence.push(...evidenceFor(doc, s.start, s.end));
    }
  }
  const facilityFound: Found<Facility[]> | null =
    facilities.length > 0 ? { value: facilities, confidence: 0.75, evidence: facilityEvidence } : null;

  const options = extractBaseRateOptions(ctx);
  const margins = extractMargins(ctx, revolving);
  const floor = extractFloor(ctx);
  const defaultRate = extractDefaultRate(ctx);
  let interest: Found<{
    base_rate_options: string[];
    applicable_margins: Margin[] | null;
    rate_floor: string | null;
    default_rate: string | null;
  }> | null = null;
  // Without a spread, benchmarks count only as a choice of rates ("Base Rate Loans and Term SOFR
  // Loans"): a single loan type named without margins (an attached agreement's "RFR Loan"
  // definitions) says nothing about the interest terms.
  if (margins || (options && options.value.length >= 2)) {
    const parts = [options, margins, floor, defaultRate].filter((p): p is Found<never> => p !== null);
    interest = {
      value: {
        // A grid's columns name options too: a benchmark priced in the grid is an option even when
        // the loans of that type are rarely named in the excerpt read.
        base_rate_options: [
          ...new Set([
            ...(options?.value ?? []),
            ...(margins?.value ?? []).map((m) => m.rate_option).filter((o): o is string => o !== null),
          ]),
        ],
        applicable_margins: margins?.value ?? null,
        rate_floor: floor?.value ?? null,
        default_rate: defaultRate?.value ?? null,
      },
      confidence: Math.min(...parts.map((p) => p.confidence)),
      evidence: parts.flatMap((p) => p.evidence),
    };
  }
  const fees = extractFees(ctx);
  const covenants = extractFinancialCovenants(ctx);
  const governingLaw = extractGoverningLaw(ctx);
  const businessDay = extractBusinessDay(ctx);

  const creditAgreement: Candidates = {
    agreement_execution_date: cand(execution),
    borrower_names: cand(parties.borrowers),
    guarantors: cand(parties.guarantors),
    lender_parties: cand(parties.lenders),
    total_commitment: cand(commitments.total),
    facility_details: cand(facilityFound),
    interest_rate_details: cand(interest),
    key_fees: cand(fees),
    maturity_date_final: cand(maturity.final),
    maturity_date_rule: cand(maturity.rule),
    governing_law: cand(governingLaw),
    definition_business_day: cand(businessDay),
    financial_covenants: cand(covenants),
  };

  const agentOf = (pattern: RegExp): Found<string> | null => {
    if (!parties.lenders) return null;
    const names = [...new Set(parties.lenders.value.filter((p) => pattern.test(p.role)).map((p) => p.name))];
    if (names.length === 0) return null;
    return {
      value: names.join('; '),
      confidence: parties.lenders.confidence,
      evidence: parties.lenders.evidence,
    };
  };
  const mapFees = (
    f: Found<Fee[]> | null,
  ): Found<{ fee_type: string; fee_amount: string | null }[]> | null =>
    f
      ? { ...f, value: f.value.map((x) => ({ fee_type: x.fee_type, fee_amount: x.fee_rate_or_amount })) }
      : null;
  const mapCovenants = (
    c: typeof covenants,
  ): Found<
    { covenant_type: string; covenant_value: string | null; testing_frequency: string | null }[]
  > | null =>
    c
      ? {
          ...c,
          value: c.value.map((x) => ({
            covenant_type: x.covenant_type,
            covenant_value: x.covenant_value,
            testing_frequency: x.testing_frequency,
          })),
        }
      : null;

  const bookingSheet: Candidates = {
    maturity_date: cand(maturity.final),
    total_loan_facility_amount: cand(commitments.total),
    borrower_names: cand(parties.borrowers),
    lender_type: cand(parties.lenderType),
    agent: cand(agentOf(/^(?:Administrative Agent|Agent)$/)),
    syndicate_agent: cand(agentOf(/^(?:Co-)?Syndication Agent$/)),
    governing_law: cand(governingLaw),
    definition_business_day: cand(businessDay),
    is_revolving_facility: cand(revolvingFound),
    associated_fees: cand(mapFees(fees)),
    financial_covenants: cand(mapCovenants(covenants)),
    accrual_basis: cand(extractAccrualBasis(ctx)),
    prepayment_penalty: cand(extractPrepaymentPenalty(ctx)),
    collateral_details: cand(extractCollateral(ctx)),
    events_of_default: cand(extractEventsOfDefault(ctx)),
  };
  return { creditAgreement, bookingSheet, warnings };
}

/**
 * The offline engine: deterministic pattern rules over the documents' text, no network and no
 * model. It answers null rather than guess; every value carries the quotes it was read from.
 */
export function createRulesEngine(): ExtractionEngine {
  return {
    name: RULES_ENGINE_NAME,
    extract(input: ExtractionInput): Promise<ExtractionOutput> {
      try {
        return Promise.resolve(runRules(input));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
}

export function runRules(input: ExtractionInput): ExtractionOutput {
  const schema = getExtractionSchema(input.schemaName);
  input.signal?.throwIfAborted();
  const byDocument = new Map<string, SourcePage[]>();
  for (const p of input.pages) {
    const list = byDocument.get(p.documentId);
    if (list) list.push(p);
    else byDocument.set(p.documentId, [p]);
  }
  const candidates: Record<string, FieldCandidate[]> = {};
  const warnings: string[] = [];
  if (byDocument.size === 0) warnings.push('no pages to read');
  for (const [documentId, pages] of byDocument) {
    input.signal?.throwIfAborted();
    const result = extractDocument(documentId, pages[0]?.documentName, pages);
    warnings.push(...result.warnings);
    const fields = schema.name === 'credit_agreement' ? result.creditAgreement : result.bookingSheet;
    for (const [field, c] of Object.entries(fields)) (candidates[field] ??= []).push(c);
  }
  return { fields: finaliseFields(schema.name, RULES_ENGINE_NAME, candidates), warnings };
}
