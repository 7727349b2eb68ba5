import type { SourcePage } from '../../engine.js';
import { pageKey } from './evidence.js';

/** A page a retrieval step found relevant to one of the queries. */
export interface RankedPage {
  documentId: string;
  page: number;
  score: number;
}

/**
 * Ranks a booking's pages for a set of queries: the booking's own search index, or the knowledge
 * base's Retrieve filtered by booking. Bound to one booking by whoever builds the engine.
 */
export type PageRanker = (queries: readonly string[], signal?: AbortSignal) => Promise<RankedPage[]>;

/** Where the terms of a credit agreement are usually stated, as search queries. */
export const RETRIEVAL_QUERIES: Readonly<Record<string, readonly string[]>> = {
  credit_agreement: [
    'credit agreement dated as of among borrower lenders administrative agent',
    'aggregate commitments revolving credit facility term loan amount',
    'maturity date termination date',
    'applicable rate margin Term SOFR Base Rate pricing grid',
    'floor default rate interest',
    'commitment fee letter of credit fee upfront fee agency fee',
    'governing law State of New York',
    'Business Day means',
    'financial covenants consolidated leverage ratio interest coverage ratio',
    'guarantors guaranty',
    'letter of credit sublimit swing line sublimit',
  ],
  loan_booking_sheet: [
    'credit agreement dated as of among borrower lenders administrative agent',
    'aggregate commitments revolving credit facility term loan amount',
    'maturity date termination date',
    'commitment fee unused fee accrue quarterly in arrears',
    'computed on the basis of a year of 360 days actual days elapsed',
    'prepayment premium voluntary prepayments',
    'governing law State of New York',
    'Business Day means',
    'financial covenants consolidated leverage ratio interest coverage ratio',
    'negative covenants liens indebtedness',
    'collateral security agreement lien on substantially all assets',
    'events of default remedies acceleration',
    'reporting financial statements compliance certificate quarterly annual',
    'assignments participations successors and assigns',
    'amendments waivers',
    'notices address payment office',
    'syndication agent participants',
  ],
};

/** Pages of each document always offered: the cover and preamble name the parties and the date. */
const LEADING_PAGES = 3;

export interface ContextSelection {
  pages: SourcePage[];
  /** True when some pages were left out to fit the budget. */
  truncated: boolean;
  /** How the pages were chosen, for the run's warnings. */
  strategy: 'all' | 'retrieval' | 'leading';
}

const inOrder = (a: SourcePage, b: SourcePage): number =>
  a.documentId < b.documentId ? -1 : a.documentId > b.documentId ? 1 : a.page - b.page;

/**
 * The pages the model reads. A booking whose text fits the budget is sent whole (the model sees
 * everything, nothing is lost to retrieval); a larger one is cut down to each document's leading
 * pages plus the pages retrieval ranks highest, in document order, until the budget is spent.
 */
export async function selectContext(
  pages: readonly SourcePage[],
  budgetChars: number,
  queries: readonly string[],
  rank: PageRanker | undefined,
  signal?: AbortSignal,
): Promise<ContextSelection> {
  const total = pages.reduce((n, p) => n + p.text.length, 0);
  if (total <= budgetChars) return { pages: [...pages].sort(inOrder), truncated: false, strategy: 'all' };

  const byKey = new Map(pages.map((p) => [pageKey(p.documentId, p.page), p]));
  const chosen = new Map<string, SourcePage>();
  let used = 0;
  const take = (p: SourcePage | undefined): void => {
    if (!p) return;
    const key = pageKey(p.documentId, p.page);
    if (chosen.has(key) || used + p.text.length > budgetChars) return;
    chosen.set(key, p);
    used += p.text.length;
  };

  const firstPages = new Map<string, number>();
  for (const p of [...pages].sort(inOrder)) {
    const seen = firstPages.get(p.documentId) ?? 0;
    if (seen < LEADING_PAGES) {
      take(p);
      firstPages.set(p.documentId, seen + 1);
    }
  }

  let strategy: ContextSelection['strategy'] = 'leading';
  if (rank) {
    const ranked = await rank(queries, signal);
    // A page relevant to several queries outranks one that matched a single query strongly.
    const scores = new Map<string, number>();
    for (const r of ranked) {
      const key = pageKey(r.documentId, r.page);
      if (byKey.has(key)) scores.set(key, (scores.get(key) ?? 0) + 1 + Math.max(0, r.score));
    }
    if (scores.size > 0) strategy = 'retrieval';
    for (const [key] of [...scores].sort((a, b) => b[1] - a[1])) take(byKey.get(key));
  }
  return { pages: [...chosen.values()].sort(inOrder), truncated: true, strategy };
}
