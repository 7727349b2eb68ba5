import { describe, expect, it } from 'vitest';
import { valueOf } from './helpers.js';

// Shape of Kimco Realty's Amendment No. 3 (SEC filing, 2023): the amendment, its signature pages,
// then the amended and restated agreement attached as Exhibit A with its own cover and contents.
const amendment = [
  'Exhibit 10.1',
  'AMENDMENT NO. 3 TO AMENDED AND RESTATED CREDIT AGREEMENT',
  'This AMENDMENT NO. 3 TO AMENDED AND RESTATED CREDIT AGREEMENT , dated as of January 3, 2023 (this “ Amendment No . 3 ”), is by and among KIMCO REALTY OP, LLC, a Delaware limited liability company (the “ Borrower ”), KIMCO REALTY CORPORATION, a Maryland corporation, and JPMORGAN CHASE BANK, N.A., as administrative agent for the Lenders defined below (the “ Administrative Agent ”). Reference is made to that certain Amended and Restated Credit Agreement dated as of February 27, 2020.',
  'RECITALS',
  'C.  Applicable Law . THIS AMENDMENT NO. 3 AND THE RIGHTS AND OBLIGATIONS OF THE PARTIES HEREUNDER SHALL BE GOVERNED BY,',
  ' AND CONSTRUED AND INTERPRETED IN ACCORDANCE WITH, THE LAW OF THE STATE OF NEW YORK.',
  '\fIN WITNESS WHEREOF , the parties hereto have caused this Amendment No. 3 to be duly executed.',
  'Borrower:',
  'KIMCO REALTY OP, LLC (successor by conversion to Kimco Realty Corporation)',
  'By: KIMCO REALTY CORPORATION, its managing member',
  'By:: /s/Glenn G. Cohen',
  'Name: Glenn G. Cohen',
  'Guarantor:',
  'KIMCO REALTY CORPORATION',
  'By:: /s/ Glenn G. Cohen',
  'Name: Glenn G. Cohen',
  '\fEXHIBIT A – AMENDED CREDIT AGREEMENT',
  '$2,000,000,000',
  'AMENDED AND RESTATED CREDIT AGREEMENT',
  'Dated as of February 27, 2020',
  '\fTABLE OF CONTENTS',
  'ARTICLE I DEFINITIONS 2',
  'SECTION 1.1 Defined Terms 2',
  'SECTION 2.5 Fees 49 51',
  'SECTION 7.1 Financial Covenants 84 86',
  '\fAMENDED AND RESTATED CREDIT AGREEMENT, dated as of February 27, 2020, among KIMCO REALTY OP, LLC, a Delaware limited liability company (“ Kimco ”), WELLS FARGO BANK, NATIONAL ASSOCIATION and PNC BANK, NATIONAL ASSOCIATION, as Syndication Agents (in such capacity, collectively, the “ Syndication Agents ”), and JPMORGAN CHASE BANK, N.A., a national banking association, as administrative agent for the Lenders hereunder (in such capacity, the “ Administrative Agent ”).',
  'RECITALS',
  'ARTICLE I',
  'DEFINITIONS',
  '“ Business Day ”: a day other than a Saturday, Sunday or other day on which commercial banks in New York City are authorized or required by law to close.',
  '“ Calculation Date ”: each date of a conversion.',
].join('\n');

describe('rules engine: an amendment filed with the amended agreement attached', () => {
  it('dates the amendment by its own date, not the attached agreement’s', () => {
    expect(valueOf(amendment, 'agreement_execution_date')).toBe('2023-01-03');
  });

  it('reads the amendment’s governing law and signature-page guarantor', () => {
    expect(valueOf(amendment, 'governing_law')).toBe('New York');
    expect(valueOf(amendment, 'guarantors')).toEqual(['KIMCO REALTY CORPORATION']);
    expect(valueOf(amendment, 'borrower_names')).toEqual(['KIMCO REALTY OP, LLC']);
  });

  it('reads the attached agreement’s definitions and the facility size on its cover', () => {
    expect(valueOf(amendment, 'definition_business_day')).toBe(
      '“ Business Day ”: a day other than a Saturday, Sunday or other day on which commercial banks in New York City are authorized or required by law to close.',
    );
    expect(valueOf(amendment, 'total_commitment')).toEqual({ amount: '2000000000.00', currency: 'USD' });
  });

  it('invents no pricing, fees or covenants from contents entries and benchmark definitions', () => {
    const withBenchmarks = `${amendment}\n“ RFR Loan ”: a Loan that bears interest at a rate based on the Adjusted Daily Simple RFR.\n“ RFR Borrowing ”: RFR Loans made on one day. Each RFR Loan and RFR Borrowing is in Dollars.`;
    expect(valueOf(withBenchmarks, 'interest_rate_details')).toBeNull();
    expect(valueOf(withBenchmarks, 'key_fees')).toBeNull();
    expect(valueOf(withBenchmarks, 'financial_covenants')).toBeNull();
  });
});
