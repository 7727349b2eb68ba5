import { describe, expect, it } from 'vitest';
import { valueOf } from './helpers.js';

const head = `This CREDIT AGREEMENT is entered into as of March 15, 2024, among ACME CORP., a Delaware corporation (the
"Borrower"), the Lenders party hereto and BANK OF AMERICA, N.A., as Administrative Agent.

WHEREAS, the Borrower has requested credit.

Section 1.01 Defined Terms.
`;

describe('rules engine: governing law', () => {
  it('reads an upper-case clause under a Governing Law heading', () => {
    const text = `${head}
"Agreement" means this Agreement.

Section 10.14 Governing Law; Jurisdiction. (a) GOVERNING LAW. THIS AGREEMENT AND ANY CLAIMS ARISING OUT OF
OR RELATING TO THIS AGREEMENT SHALL BE GOVERNED BY, AND CONSTRUED IN ACCORDANCE WITH, THE LAW OF THE STATE
OF NEW YORK.
`;
    expect(valueOf(text, 'governing_law')).toBe('New York');
  });

  it('ignores a security-perfection reference to another jurisdiction', () => {
    const text = `${head}
Section 5.20 Perfection. The perfection of Liens on Collateral is governed by the laws of the jurisdiction
of organization of each Loan Party.
`;
    expect(valueOf(text, 'governing_law')).toBeNull();
  });

  it('leaves the law null when the agreement has no governing-law clause', () => {
    expect(valueOf(head, 'governing_law')).toBeNull();
  });
});

describe('rules engine: Business Day definition', () => {
  it('returns the definition verbatim, across a page break and without the running footer', () => {
    const footer = '\n\n12\nUS-DOCS\\123.4';
    const pages = [1, 2, 3, 4].map((n) => `Page text ${n}.${footer.replace('12', String(n))}`);
    pages[1] = `${head}
"Business Day" means any day other than a Saturday, Sunday or other day on which commercial banks are
authorized to close under the Laws of, or are in fact closed in,${footer.replace('12', '2')}`;
    pages[2] = `the state where the Administrative Agent's Office is located.

"Capital Lease" means a lease.${footer.replace('12', '3')}`;
    expect(valueOf(pages.join('\f'), 'definition_business_day')).toBe(
      `"Business Day" means any day other than a Saturday, Sunday or other day on which commercial banks are authorized to close under the Laws of, or are in fact closed in, the state where the Administrative Agent's Office is located.`,
    );
  });

  it('does not take a nested use of the term for its definition', () => {
    const text = `${head}
"Eurodollar Business Day" means a Business Day on which dealings are carried on in the London market; the
term "Business Day" means, for this purpose only, any day in London.
`;
    expect(valueOf(text, 'definition_business_day')).toBeNull();
  });
});

describe('rules engine: financial covenants', () => {
  it('reads maintenance covenants from the Financial Covenants section only', () => {
    const text = `${head}
Section 7.03 Indebtedness. Other Indebtedness; provided that on a pro forma basis the Consolidated Leverage
Ratio would not exceed 3.00 to 1.00.

Section 7.11 Financial Covenants.

(a) Consolidated Leverage Ratio. Permit the Consolidated Leverage Ratio as of the end of any fiscal quarter
of the Borrower to be greater than 3.50 to 1.00.

(b) Consolidated Interest Coverage Ratio. Permit the Consolidated Interest Coverage Ratio as of the end of
any fiscal quarter of the Borrower to be less than 3.00 to 1.00.

Section 7.12 Sanctions. Use proceeds in violation of Sanctions.
`;
    const covenants = valueOf(text, 'financial_covenants') as {
      covenant_type: string;
      covenant_value: string;
      testing_frequency: string;
    }[];
    expect(covenants.map((c) => [c.covenant_type, c.covenant_value, c.testing_frequency])).toEqual([
      ['Maximum Consolidated Leverage Ratio', '3.50:1.00', 'Quarterly'],
      ['Minimum Consolidated Interest Coverage Ratio', '3.00:1.00', 'Quarterly'],
    ]);
  });

  it('returns null without a Financial Covenants section, even with incurrence tests', () => {
    const text = `${head}
Section 7.03 Indebtedness. Provided that the Consolidated Leverage Ratio would not exceed 3.00 to 1.00.
`;
    expect(valueOf(text, 'financial_covenants')).toBeNull();
  });
});

describe('rules engine: booking-sheet terms', () => {
  it('maps day count, prepayment and agents', () => {
    const text = `${head}
Section 2.05 Prepayments. The Borrower may voluntarily prepay Loans in whole or in part without premium or
penalty.

Section 2.10 Computation of Interest and Fees. All computations of interest shall be made on the basis of a
360-day year and actual days elapsed.
`;
    expect(valueOf(text, 'accrual_basis', 'loan_booking_sheet')).toBe('Actual/360');
    expect(valueOf(text, 'prepayment_penalty', 'loan_booking_sheet')).toBe(false);
    expect(valueOf(text, 'agent', 'loan_booking_sheet')).toBe('BANK OF AMERICA, N.A.');
    expect(valueOf(text, 'syndicate_agent', 'loan_booking_sheet')).toBeNull();
    expect(valueOf(text, 'billing_address', 'loan_booking_sheet')).toBeNull();
  });

  it('flags a prepayment premium', () => {
    const text = `${head}
Section 2.05 Prepayments. (c) In connection with any Repricing Transaction the Borrower shall pay a
prepayment premium equal to 1.00% of the principal amount of the Term B Loans so prepaid.
`;
    expect(valueOf(text, 'prepayment_penalty', 'loan_booking_sheet')).toBe(true);
  });

  it('lists events of default by their headings', () => {
    const text = `${head}
Section 8.01 Events of Default. Any of the following shall constitute an Event of Default:

(a) Non-Payment. The Borrower fails to pay any amount when due; or

(b) Specific Covenants. The Borrower fails to perform any covenant in Article VII; or

(c) Cross-Default. The Borrower fails to pay Indebtedness above the Threshold Amount.

Section 8.02 Remedies upon Event of Default. The Administrative Agent may declare the Loans immediately due
and payable.
`;
    const events = valueOf(text, 'events_of_default', 'loan_booking_sheet') as {
      event_description: string;
    }[];
    expect(events.map((e) => e.event_description)).toEqual([
      'Non-Payment',
      'Specific Covenants',
      'Cross-Default',
    ]);
  });
});
