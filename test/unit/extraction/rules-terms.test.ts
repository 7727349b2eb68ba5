import { describe, expect, it } from 'vitest';
import {
  addToDate,
  normalisePercent,
  parseDate,
  parseMoney,
} from '../../../src/modules/extraction/engines/rules/values.js';
import { valueOf } from './helpers.js';

const preamble = (date: string): string =>
  `This CREDIT AGREEMENT (this "Agreement") is entered into as of ${date}, among ACME CORP., a Delaware
corporation (the "Borrower"), the Lenders party hereto and BANK OF AMERICA, N.A., as Administrative Agent.

WHEREAS, the Borrower is party to the Existing Credit Agreement dated as of May 1, 2019.

Section 1.01 Defined Terms. As used herein:
`;

describe('rules engine: value parsers', () => {
  it('parses dates as agreements write them and rejects impossible ones', () => {
    expect(parseDate('March 15, 2024')).toBe('2024-03-15');
    expect(parseDate('15 March 2024')).toBe('2024-03-15');
    expect(parseDate('the 15th day of March, 2024')).toBe('2024-03-15');
    expect(parseDate('Sept. 1, 2025')).toBe('2025-09-01');
    expect(parseDate('February 30, 2024')).toBeNull();
  });

  it('parses money without floats', () => {
    expect(parseMoney('$500,000,000')).toEqual({ amount: '500000000.00', currency: 'USD' });
    expect(parseMoney('$1.25 billion')).toEqual({ amount: '1250000000.00', currency: 'USD' });
    expect(parseMoney('€75,000,000.50')).toEqual({ amount: '75000000.50', currency: 'EUR' });
    expect(parseMoney('C$10 million')).toEqual({ amount: '10000000.00', currency: 'CAD' });
    expect(parseMoney('500,000,000')).toBeNull();
  });

  it('adds anniversaries, months and days', () => {
    expect(addToDate('2024-02-29', 1, 'years')).toBe('2025-02-28');
    expect(addToDate('2024-11-08', 364, 'days')).toBe('2025-11-07');
    expect(addToDate('2024-01-31', 1, 'months')).toBe('2024-02-29');
    expect(normalisePercent('1.750%')).toBe('1.75%');
    expect(normalisePercent('zero')).toBe('0%');
  });
});

describe('rules engine: execution date', () => {
  it('takes the preamble date, not a date of another agreement', () => {
    expect(valueOf(preamble('March 15, 2024'), 'agreement_execution_date')).toBe('2024-03-15');
  });

  it('is null for an undated form rather than the next date in the text', () => {
    expect(valueOf(preamble('____________, 2024'), 'agreement_execution_date')).toBeNull();
  });

  it('reads an amendment date, not the amended agreement date', () => {
    const text = `THIS FIRST AMENDMENT TO CREDIT AGREEMENT, dated as of June 30, 2024 (this "Amendment"), is among
ACME CORP., a Delaware corporation (the "Borrower"), and TRUIST BANK, as Administrative Agent, and amends
the Credit Agreement dated as of March 15, 2021.

WHEREAS, the parties wish to amend the Credit Agreement.`;
    expect(valueOf(text, 'agreement_execution_date')).toBe('2024-06-30');
  });
});

describe('rules engine: commitments', () => {
  it('reads the initial aggregate commitments and ignores baskets and the accordion', () => {
    const text = `${preamble('March 15, 2024')}
"Aggregate Commitments" means the Commitments of all the Lenders. The initial amount of the Aggregate
Commitments in effect on the Closing Date is $500,000,000.

"Business Day" means any day other than a Saturday, Sunday or legal holiday in New York.

Section 2.01 The Loans. The Borrower may borrow, prepay and reborrow Committed Loans.

Section 2.14 Increase in Commitments. The Borrower may request an increase in the Aggregate Commitments by
an amount not exceeding $250,000,000.

Section 7.03 Indebtedness. Other Indebtedness in an aggregate principal amount not to exceed $75,000,000.`;
    expect(valueOf(text, 'total_commitment')).toEqual({ amount: '500000000.00', currency: 'USD' });
    expect(valueOf(text, 'is_revolving_facility', 'loan_booking_sheet')).toBe(true);
  });

  it('sums the initial amounts of several facilities', () => {
    const text = `${preamble('March 15, 2024')}
"Revolving Commitment" means the commitment of each Lender. The initial aggregate amount of the Lenders'
Revolving Commitments is $150,000,000.

"Term A Commitment" means the commitment of each Lender. The initial aggregate amount of the Lenders'
Term A Commitments is $350,000,000.
`;
    expect(valueOf(text, 'total_commitment')).toEqual({ amount: '500000000.00', currency: 'USD' });
    expect(valueOf(text, 'facility_details')).toEqual([
      {
        facility_type: 'Revolving Credit Facility',
        commitment_amount: { amount: '150000000.00', currency: 'USD' },
        maturity_date: null,
      },
      {
        facility_type: 'Term Loan A',
        commitment_amount: { amount: '350000000.00', currency: 'USD' },
        maturity_date: null,
      },
    ]);
  });

  it('does not read a basket or threshold as the commitment', () => {
    const text = `${preamble('March 15, 2024')}
"Threshold Amount" means $75,000,000.

Section 7.03 Indebtedness. Indebtedness in an aggregate principal amount not to exceed $50,000,000.`;
    expect(valueOf(text, 'total_commitment')).toBeNull();
  });
});

describe('rules engine: maturity', () => {
  it('reads a stated maturity date from its definition', () => {
    const text = `${preamble('March 15, 2024')}
"Maturity Date" means the earlier of (a) March 15, 2029 and (b) the date of termination of the Aggregate
Commitments pursuant to Section 8.02.
`;
    expect(valueOf(text, 'maturity_date_final')).toBe('2029-03-15');
    expect(valueOf(text, 'maturity_date', 'loan_booking_sheet')).toBe('2029-03-15');
  });

  it('computes a relative maturity only when the anchor date is fixed', () => {
    const fixed = `${preamble('November 8, 2024')}
"Closing Date" means the date hereof.

"Maturity Date" means 364 days after the Closing Date.
`;
    expect(valueOf(fixed, 'maturity_date_final')).toBe('2025-11-07');
    expect(valueOf(fixed, 'maturity_date_rule')).toBe('364 days after the Closing Date');

    const open = `${preamble('November 8, 2024')}
"Closing Date" means the first date on which the conditions precedent in Section 4.01 are satisfied.

"Maturity Date" means the fifth anniversary of the Closing Date.
`;
    expect(valueOf(open, 'maturity_date_final')).toBeNull();
    expect(valueOf(open, 'maturity_date_rule')).toBe('the fifth anniversary of the Closing Date');
  });

  it('takes the latest of per-facility maturities as final', () => {
    const text = `${preamble('March 15, 2024')}
"Maturity Date" means (a) with respect to the Revolving Credit Facility, March 15, 2029 and (b) with
respect to the Term Loan B Facility, March 15, 2031.
`;
    expect(valueOf(text, 'maturity_date_final')).toBe('2031-03-15');
  });

  it('is null when no maturity is stated', () => {
    expect(valueOf(preamble('March 15, 2024'), 'maturity_date_final')).toBeNull();
    expect(valueOf(preamble('March 15, 2024'), 'maturity_date_rule')).toBeNull();
  });
});

describe('rules engine: maturity wording variants', () => {
  it('prefers the relative rule over a conditional date that follows it', () => {
    const text = `${preamble('March 15, 2024')}
"Closing Date" means March 15, 2024.

"Maturity Date" means the fifth anniversary of the Closing Date; provided that if on March 1, 2027 any
Senior Notes remain outstanding, the Maturity Date shall be such date.
`;
    expect(valueOf(text, 'maturity_date_rule')).toBe('the fifth anniversary of the Closing Date');
    expect(valueOf(text, 'maturity_date_final')).toBe('2029-03-15');
  });
});
