import { describe, expect, it } from 'vitest';
import { valueOf } from './helpers.js';

const head = `This CREDIT AGREEMENT is entered into as of March 15, 2024, among ACME CORP., a Delaware corporation (the
"Borrower"), the Lenders party hereto and BANK OF AMERICA, N.A., as Administrative Agent.

WHEREAS, the Borrower has requested credit.

Section 1.01 Defined Terms.
`;

describe('rules engine: interest', () => {
  it('reads fixed margins, loan types, floor and default rate', () => {
    const text = `${head}
"Applicable Rate" means (a) with respect to Term SOFR Loans, 1.750% per annum and (b) with respect to
Base Rate Loans, 0.750% per annum.

"Default Rate" means an interest rate equal to the interest rate otherwise applicable plus 2% per annum.

"Floor" means a rate of interest equal to 0%.

"Type" means, with respect to a Loan, its character as a Base Rate Loan or a Term SOFR Loan.

Section 2.08 Interest. Each Term SOFR Loan shall bear interest at Term SOFR plus the Applicable Rate; each
Base Rate Loan shall bear interest at the Base Rate plus the Applicable Rate.
`;
    expect(valueOf(text, 'interest_rate_details')).toEqual({
      base_rate_options: ['Term SOFR', 'Base Rate'],
      applicable_margins: [
        { rate_option: 'Term SOFR', margin: '1.75%', tier: null },
        { rate_option: 'Base Rate', margin: '0.75%', tier: null },
      ],
      rate_floor: '0%',
      default_rate: '2% per annum in excess of the rate otherwise applicable',
    });
  });

  it('reads a pricing grid row by row and leaves out the fee column', () => {
    const text = `${head}
"Applicable Rate" means the following percentages per annum, based upon the Consolidated Leverage Ratio:

Pricing Level   Consolidated Leverage Ratio        Commitment Fee   Term SOFR Loans   Base Rate Loans
1               < 1.50:1.00                        0.200%           1.250%            0.250%
2               >= 1.50:1.00                       0.250%           1.500%            0.500%

"Base Rate Loan" means a Loan bearing interest based on the Base Rate. Each Term SOFR Loan and Base Rate
Loan is a Loan.
`;
    const details = valueOf(text, 'interest_rate_details') as { applicable_margins: unknown[] };
    expect(details.applicable_margins).toEqual([
      { rate_option: 'Term SOFR', margin: '1.25%', tier: 'Level 1: < 1.50:1.00' },
      { rate_option: 'Base Rate', margin: '0.25%', tier: 'Level 1: < 1.50:1.00' },
      { rate_option: 'Term SOFR', margin: '1.5%', tier: 'Level 2: >= 1.50:1.00' },
      { rate_option: 'Base Rate', margin: '0.5%', tier: 'Level 2: >= 1.50:1.00' },
    ]);
  });

  it('does not list a benchmark that is only a component (Federal Funds Rate) or mentioned once', () => {
    const text = `${head}
"Base Rate" means the highest of (a) the Federal Funds Rate plus 1/2 of 1% and (b) the Prime Rate.
Base Rate Loans and Term SOFR Loans are the Types. A Term SOFR Loan may be converted into a Base Rate Loan.
Any reference to LIBOR Loans in the Existing Credit Agreement is replaced.
`;
    const details = valueOf(text, 'interest_rate_details') as { base_rate_options: string[] };
    expect(details.base_rate_options).toEqual(['Base Rate', 'Term SOFR']);
  });

  it('is null when the document states no pricing', () => {
    expect(valueOf(head, 'interest_rate_details')).toBeNull();
  });
});

describe('rules engine: fees', () => {
  it('reads commitment, letter of credit and agency fees with rates and frequency', () => {
    const text = `${head}
Section 2.09 Fees.

(a) Commitment Fee. The Borrower shall pay to the Administrative Agent for the account of each Lender a
commitment fee equal to 0.25% per annum times the actual daily unused Commitments. The commitment fee shall
be due and payable quarterly in arrears on the last Business Day of each March, June, September and December.

(b) Other Fees. The Borrower shall pay to the Administrative Agent for its own account an agency fee in the
amounts and at the times specified in the Fee Letter.
`;
    expect(valueOf(text, 'key_fees')).toEqual([
      {
        fee_type: 'Commitment Fee',
        fee_rate_or_amount: '0.25% per annum',
        payment_frequency: 'quarterly in arrears',
      },
      {
        fee_type: 'Agency Fee',
        fee_rate_or_amount: 'as specified in the Fee Letter',
        payment_frequency: null,
      },
    ]);
  });

  it('ignores a fee that is only mentioned, not imposed', () => {
    const text = `${head}
"Fee Letter" means the letter agreement dated February 20, 2024 regarding the commitment fee.
The Lenders' rights to the commitment fee are described elsewhere.
`;
    expect(valueOf(text, 'key_fees')).toBeNull();
  });
});
