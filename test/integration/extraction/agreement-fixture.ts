/**
 * A short credit agreement in the style of a filed one, split into pages, with the values a
 * careful reader takes from it. Tests of the engines, the run worker and the booking sheet read it.
 */
export const AGREEMENT_PAGES: readonly string[] = [
  `CREDIT AGREEMENT

Dated as of March 15, 2024

among

HARBORVIEW LOGISTICS, INC.,
as the Borrower,

THE LENDERS PARTY HERETO

and

FIRST NATIONAL BANK OF COMMERCE,
as Administrative Agent

This CREDIT AGREEMENT is entered into as of March 15, 2024, among HARBORVIEW LOGISTICS, INC., a Delaware corporation (the "Borrower"), each lender from time to time party hereto (collectively, the "Lenders" and individually, a "Lender"), and FIRST NATIONAL BANK OF COMMERCE, a national banking association, as Administrative Agent.`,
  `ARTICLE I
DEFINITIONS

"Aggregate Commitments" means the Commitments of all the Lenders. The initial amount of the Aggregate Commitments in effect on the Closing Date is $150,000,000.

"Applicable Rate" means (a) with respect to Term SOFR Loans, 2.00% per annum and (b) with respect to Base Rate Loans, 1.00% per annum.

"Business Day" means any day other than a Saturday, Sunday or other day on which commercial banks are authorized to close under the Laws of, or are in fact closed in, the state where the Administrative Agent's Office is located.

"Maturity Date" means March 15, 2029.`,
  `ARTICLE II
THE COMMITMENTS

2.09 Fees. The Borrower shall pay to the Administrative Agent for the account of each Lender a commitment fee equal to 0.25% per annum times the actual daily amount by which the Aggregate Commitments exceed the Total Outstandings, payable quarterly in arrears.

ARTICLE X
MISCELLANEOUS

10.14 GOVERNING LAW. THIS AGREEMENT SHALL BE GOVERNED BY, AND CONSTRUED IN ACCORDANCE WITH, THE LAW OF THE STATE OF NEW YORK.`,
];

export const AGREEMENT_FACTS = {
  executionDate: '2024-03-15',
  borrower: 'HARBORVIEW LOGISTICS, INC.',
  agent: 'FIRST NATIONAL BANK OF COMMERCE',
  commitment: { amount: '150000000.00', currency: 'USD' },
  maturity: '2029-03-15',
  law: 'New York',
} as const;

/** A term sheet for the same borrower that states another commitment: a conflict between documents. */
export const CONFLICTING_TERM_SHEET_PAGES: readonly string[] = [
  `SUMMARY OF TERMS AND CONDITIONS
$175,000,000 Senior Secured Credit Facility

Borrower: HARBORVIEW LOGISTICS, INC. (the "Borrower")
Administrative Agent: FIRST NATIONAL BANK OF COMMERCE
Facility: A revolving credit facility in an aggregate principal amount of $175,000,000 (the "Aggregate Commitments").
Governing Law: New York.`,
];

export function pagesOf(documentId: string, texts: readonly string[], documentName = `${documentId}.pdf`) {
  return texts.map((text, i) => ({ documentId, documentName, page: i + 1, text }));
}
