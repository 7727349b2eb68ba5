import { describe, expect, it } from 'vitest';
import { valueOf } from './helpers.js';

// Excerpts of SEC filings in eval/corpus-real: Arby's Restaurant Group credit agreement (2005),
// Kimco Realty Amendment No. 3 with the amended agreement attached (2023).
describe('rules engine: definitions as real filings print them', () => {
  it('reads a capitalised term ("BUSINESS DAY" means) under its usual spelling', () => {
    const text = [
      'CREDIT AGREEMENT, dated as of July 25, 2005, among ARBY\'S RESTAURANT GROUP, INC., a Delaware corporation ("BORROWER"), and CITICORP NORTH AMERICA, INC., as administrative agent.',
      '',
      '         "BORROWING" means a Revolving Credit Borrowing or a Term Loan',
      'Borrowing.',
      '',
      '         "BUSINESS DAY" means a day of the year on which banks are not required',
      'or authorized to close in New York City.',
      '',
      '         "CAPITAL LEASE" means, with respect to any Person, any lease.',
    ].join('\n');
    expect(valueOf(text, 'definition_business_day')).toBe(
      '"BUSINESS DAY" means a day of the year on which banks are not required or authorized to close in New York City.',
    );
  });

  it('reads a colon-style definition with spaces inside the quotes', () => {
    const text = [
      'This CREDIT AGREEMENT, dated as of February 27, 2020, among KIMCO REALTY CORPORATION, a Maryland corporation (“ Kimco ”), and JPMORGAN CHASE BANK, N.A., as administrative agent.',
      'ARTICLE I',
      'DEFINITIONS',
      '“ Borrowers ”: as defined in the introductory paragraph hereof.',
      '“ Business Day ”: a day other than a Saturday, Sunday or other day on which commercial banks in New York City or Chicago are',
      ' authorized or required by law to close.',
      '“ Calculation Date ”: each date of a conversion.',
    ].join('\n');
    expect(valueOf(text, 'definition_business_day')).toBe(
      '“ Business Day ”: a day other than a Saturday, Sunday or other day on which commercial banks in New York City or Chicago are authorized or required by law to close.',
    );
  });

  it('dates maturities by the "Scheduled ... Date" definitions behind an "earliest of" termination date', () => {
    const text = [
      'This CREDIT AGREEMENT, dated as of January 10, 2008, is entered into by and among GOAMERICA, INC., a Delaware corporation ("Borrower"), and CHURCHILL FINANCIAL LLC, a Delaware limited liability company, as administrative agent.',
      '',
      '      "Revolving  Credit  Termination  Date"  means  the  earliest  of  (a)  the',
      'Scheduled  Revolving Credit Termination Date and (b) the date of termination of the',
      'Revolving Credit Commitments.',
      '',
      '      "Scheduled Revolving Credit Termination Date" means January 10, 2013.',
      '',
      '      "Scheduled Term Loan Maturity Date" means January 10, 2014.',
    ].join('\n');
    expect(valueOf(text, 'maturity_date_final')).toBe('2014-01-10');
  });
});
