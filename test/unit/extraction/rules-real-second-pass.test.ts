import { describe, expect, it } from 'vitest';
import { valueOf } from './helpers.js';

type Party = { role: string; name: string };
type Margin = { rate_option: string; margin: string; tier: string | null };
type Facility = { facility_type: string; commitment_amount: { amount: string } | null };
const pairs = (v: unknown): string[] => (v as Party[]).map((p) => `${p.role}|${p.name}`).sort();
const margins = (v: unknown): string[] =>
  ((v as { applicable_margins: Margin[] }).applicable_margins ?? []).map(
    (m) => `${m.rate_option} ${m.margin}`,
  );

// Shapes met in the real filings of eval/corpus-real (GoAmerica, AutoZone, Arby's, Kimco).
describe('rules engine: second pass over real filings', () => {
  it('ends a cover capacity list at a blank line, so the borrower is not "the Lenders" below it', () => {
    const text = [
      'CREDIT AGREEMENT\n\nDated as of January 10, 2008\n\namong\n\nGOAMERICA, INC.,\n\nas Borrower,\n\nTHE LENDERS AND L/C ISSUERS PARTY HERETO\n\nand\n\nCHURCHILL FINANCIAL LLC,\nas Administrative Agent',
      '\fTABLE OF CONTENTS\n\nArticle I   Definitions.............1\nSection 1.1 Defined Terms...........1\nSection 1.2 UCC Terms..............31\n',
      '\fThis CREDIT AGREEMENT, dated as of January 10, 2008, is entered into by and among GOAMERICA, INC., a Delaware corporation ("Borrower"), and CHURCHILL FINANCIAL LLC, a Delaware limited liability company ("Churchill"), as administrative agent (in such capacity, the "Administrative Agent").\n\nThe parties hereto agree as follows:',
    ].join('');
    const lenders = pairs(valueOf(text, 'lender_parties'));
    expect(lenders).toEqual(['Administrative Agent|CHURCHILL FINANCIAL LLC']);
    expect(valueOf(text, 'borrower_names')).toEqual(['GOAMERICA, INC.']);
  });

  it('takes co-arrangers that a converted cover separates by blank lines and an "and" line', () => {
    const text = [
      'AMENDED AND RESTATED 364-DAY CREDIT AGREEMENT\n\nDated as of November 18, 2016\n\namong\n\nAUTOZONE, INC.,\n\nas Borrower,\n\nTHE SEVERAL LENDERS\n\nFROM TIME TO TIME PARTY HERETO\n\nAND\n\nWELLS FARGO BANK, NATIONAL ASSOCIATION,\n\nas Administrative Agent\n\n \n\nWELLS FARGO SECURITIES, LLC\n\nand\n\nU.S. BANK NATIONAL ASSOCIATION,\n\nas Joint Lead Arrangers and Joint Book Runners\n',
      '\fTABLE OF CONTENTS\n\nSECTION 1 DEFINITIONS      1\n1.1  Definitions      1\n1.2  Computation of Time Periods      20\n2.1  Revolving Loans      21\n',
    ].join('');
    const lenders = pairs(valueOf(text, 'lender_parties'));
    expect(lenders).toEqual([
      'Administrative Agent|WELLS FARGO BANK, NATIONAL ASSOCIATION',
      'Joint Bookrunner|U.S. BANK NATIONAL ASSOCIATION',
      'Joint Bookrunner|WELLS FARGO SECURITIES, LLC',
      'Joint Lead Arranger|U.S. BANK NATIONAL ASSOCIATION',
      'Joint Lead Arranger|WELLS FARGO SECURITIES, LLC',
    ]);
    // Only the contents say so, but a "Revolving Loans" section is a revolving facility.
    expect(valueOf(text, 'is_revolving_facility', 'loan_booking_sheet')).toBe(true);
  });

  it('does not cross a blank line to a name that does not continue a list', () => {
    const text =
      'CREDIT AGREEMENT\n\namong\n\nACME HOLDINGS LLC\n\nBETA BANK, N.A.\n\nas Joint Lead Arrangers\n\fTABLE OF CONTENTS\n\nSection 1.1 Defined Terms.........1\nSection 1.2 Other Terms...........2\nSection 1.3 More Terms............3\n';
    expect(pairs(valueOf(text, 'lender_parties'))).toEqual(['Joint Lead Arranger|BETA BANK, N.A.']);
  });

  it('reads joint book-running managers on a typewriter cover', () => {
    const text =
      '                         CITIGROUP GLOBAL MARKETS INC.,\n                         BANC OF AMERICA SECURITIES LLC\n                                       and\n                      CREDIT SUISSE, CAYMAN ISLANDS BRANCH\n             as Joint Lead Arrangers and Joint Book-Running Managers\n\fTABLE OF CONTENTS\n\nSection 1.1     Defined Terms.........2\nSection 1.2     Computation...........46\nSection 1.3     Accounting............46\n';
    const lenders = pairs(valueOf(text, 'lender_parties'));
    expect(lenders.filter((p) => p.startsWith('Joint Book-Running Manager|'))).toEqual([
      'Joint Book-Running Manager|BANC OF AMERICA SECURITIES LLC',
      'Joint Book-Running Manager|CITIGROUP GLOBAL MARKETS INC.',
      'Joint Book-Running Manager|CREDIT SUISSE, CAYMAN ISLANDS BRANCH',
    ]);
  });

  it('reads the syndicate from the preamble of the amended agreement attached to an amendment', () => {
    const syndicate = Array.from({ length: 10 }, (_, i) => `BANK NUMBER ${'ABCDEFGHIJ'[i]}, N.A.`).join(', ');
    const text = [
      'AMENDMENT NO. 3 TO CREDIT AGREEMENT\nThis AMENDMENT NO. 3, dated as of January 3, 2023, is by and among KIMCO REALTY OP, LLC, a Delaware limited liability company (the "Borrower"), and JPMORGAN CHASE BANK, N.A., as administrative agent (the "Administrative Agent").\nSECTION 1. Amendment. The Credit Agreement is amended as set forth on Exhibit A.\n',
      '\fIN WITNESS WHEREOF, the parties hereto have caused this Amendment to be executed.\nKIMCO REALTY OP, LLC, as Borrower\nBy: /s/ Glenn Cohen\nName: Glenn Cohen\nTitle: CFO\nJPMORGAN CHASE BANK, N.A., as Administrative Agent\nBy: /s/ Austin Lotito\nName: Austin Lotito\nTitle: Executive Director\n',
      '\fEXHIBIT A – AMENDED CREDIT AGREEMENT\n$2,000,000,000\nAMENDED AND RESTATED CREDIT AGREEMENT\nDated as of February 27, 2020\n',
      '\fTABLE OF CONTENTS\nARTICLE I DEFINITIONS 2\nSECTION 1.1 Defined Terms 2\nSECTION 2.5 Fees 49\nSECTION 10.15 GOVERNING LAW 109\n',
      `\fAMENDED AND RESTATED CREDIT AGREEMENT, dated as of February 27, 2020, among KIMCO REALTY CORPORATION, a Maryland corporation ("Kimco"), the several banks from time to time parties to this Agreement (the "Lenders"), WELLS FARGO BANK, NATIONAL ASSOCIATION and PNC BANK, NATIONAL ASSOCIATION, as Syndication Agents, ${syndicate}, as Documentation Agents, BANK OF NEW YORK MELLON and MORGAN STANLEY SENIOR FUNDING, INC., , as Senior Managing Agents, and JPMORGAN CHASE BANK, N.A., a national banking association, as administrative agent for the Lenders hereunder (in such capacity, the "Administrative Agent").\nRECITALS\nWHEREAS, the parties wish to amend and restate the Existing Credit Agreement;\nARTICLE I\nDEFINITIONS\n"Business Day": a day other than a Saturday or Sunday.\n"Revolving Commitments": the commitments of the Lenders to make revolving loans, which the Borrower may borrow, repay and reborrow.\n`,
    ].join('');
    const lenders = pairs(valueOf(text, 'lender_parties'));
    expect(lenders.filter((p) => p.startsWith('Documentation Agent|'))).toHaveLength(10);
    expect(lenders).toContain('Syndication Agent|WELLS FARGO BANK, NATIONAL ASSOCIATION');
    expect(lenders).toContain('Senior Managing Agent|MORGAN STANLEY SENIOR FUNDING, INC.');
    expect(lenders).toContain('Senior Managing Agent|BANK OF NEW YORK MELLON');
    // The attachment's borrower is the predecessor: the amendment's own parties are the borrowers.
    expect(valueOf(text, 'borrower_names')).toEqual(['KIMCO REALTY OP, LLC']);
    expect(valueOf(text, 'syndicate_agent', 'loan_booking_sheet')).toBe(
      'WELLS FARGO BANK, NATIONAL ASSOCIATION; PNC BANK, NATIONAL ASSOCIATION',
    );
    expect(valueOf(text, 'lender_type', 'loan_booking_sheet')).toBe('bank');
  });

  const preamble =
    'This CREDIT AGREEMENT, dated as of January 10, 2008, is entered into by and among GOAMERICA, INC., a Delaware corporation ("GoAmerica"), and CHURCHILL FINANCIAL LLC, a Delaware limited liability company ("Churchill"), as administrative agent (in such capacity, the "Administrative Agent").\n\nThe parties hereto agree as follows:\n\nARTICLE I\n\n';

  it('names the swing line lender from its definition when it names a party on the lender side', () => {
    const text = `${preamble}      "Swingline  Lender"  means,  each  in its  capacity  as  Swingline  Lender\nhereunder,  Churchill or, upon the  resignation  of Churchill as  Administrative\nAgent  hereunder,  any Lender.\n\n      "Term Loan" means the term loan.\n`;
    expect(pairs(valueOf(text, 'lender_parties'))).toEqual([
      'Administrative Agent|CHURCHILL FINANCIAL LLC',
      'Swingline Lender|CHURCHILL FINANCIAL LLC',
    ]);
  });

  it('never makes the borrower an issuer because an issuer definition mentions it', () => {
    const text = `${preamble}      "L/C Issuer" means any Lender that agrees with GoAmerica to issue Letters of Credit.\n\n      "Term Loan" means the term loan.\n`;
    expect(pairs(valueOf(text, 'lender_parties'))).toEqual(['Administrative Agent|CHURCHILL FINANCIAL LLC']);
  });

  const recitals = (whereas: string): string =>
    `CREDIT AGREEMENT, dated as of July 25, 2005, among ARBY'S RESTAURANT GROUP, INC., a Delaware corporation ("BORROWER"), and CITICORP NORTH AMERICA, INC., as administrative agent (in such capacity, the "ADMINISTRATIVE AGENT").\n\n                              W I T N E S S E T H:\n\n${whereas}\n\n         NOW, THEREFORE, the parties hereto agree as follows:\n\n                                    ARTICLE I\n`;

  it('reads the facilities that the recitals request, sublimits apart from the total', () => {
    const text = recitals(
      '         WHEREAS, Borrowers have requested that the Lenders extend credit in the\nform of Term Loans on the Initial Closing Date, in\nan aggregate principal amount not in excess of $620,000,000;\n         WHEREAS, Borrower has requested that the Lenders extend credit in the\nform of Revolving Loans at any time prior to the Revolving\nCredit Termination Date, in an aggregate principal amount at any time\noutstanding not in excess of $100,000,000;\n\n         WHEREAS, Borrower has requested the Issuers to issue Letters of Credit,\nin an aggregate face amount at any time outstanding not in excess of\n$30,000,000, to support payment obligations;',
    );
    const facilities = (valueOf(text, 'facility_details') as Facility[]).map(
      (f) => `${f.facility_type} ${f.commitment_amount?.amount}`,
    );
    expect(facilities).toEqual([
      'Term Loan 620000000.00',
      'Revolving Credit Facility 100000000.00',
      'Letter of Credit Sublimit 30000000.00',
    ]);
    expect(valueOf(text, 'total_commitment')).toEqual({ amount: '720000000.00', currency: 'USD' });
  });

  it('does not read a recital about the agreement being refinanced', () => {
    const text = recitals(
      '         WHEREAS, the lenders under the Existing Credit Agreement agreed to make term loans to the Borrower in an aggregate principal amount of $400,000,000;\n\n         WHEREAS, the Borrower has requested that the Lenders extend credit to refinance the Existing Credit Agreement in an aggregate principal amount not to exceed $500,000,000;',
    );
    expect(valueOf(text, 'facility_details')).toBeNull();
    expect(valueOf(text, 'total_commitment')).toBeNull();
  });

  const definitionsWith = (margin: string): string =>
    `${preamble}${margin}\n\n      "Base Rate Loan" means a Loan that bears interest at the Base Rate.\n\n      "Eurodollar Rate Loan" means a Loan that bears interest at the Eurodollar Rate.\n`;

  it('reads a fixed-width grid per facility with wrapped tests and dot leaders', () => {
    const text = definitionsWith(
      `         "APPLICABLE MARGIN" means the following:\n\n         (a) with respect to Term Loans, a per annum rate equal to the rate set forth below:\n\n                                                      BASE RATE      EURODOLLAR\n         LEVERAGE RATIO                                 LOANS        RATE LOANS\n         ------------------------------------------   ---------      ----------\n         Greater than or equal to 3.5 to 1.........      1.25%          2.25%\n         Less than 3.5 to 1........................      1.00%          2.00%\n\n\n         (b) with respect to Revolving Loans, a per annum rate equal to the rate set forth below:\n\n                                                      BASE RATE      EURODOLLAR\n         LEVERAGE RATIO                                 LOANS        RATE LOANS\n         ------------------------------------------   ---------      ----------\n         Greater than or equal to 3.5 to 1.........     1.00%          2.00%\n         Less than 3.5 to 1 and equal to or greater\n            than 3.0 to 1..........................     0.75%          1.75%\n         Less than 3.0 to 1........................     0.50%          1.50%\n`,
    );
    const v = valueOf(text, 'interest_rate_details') as { applicable_margins: Margin[] };
    expect(margins(v)).toEqual([
      'Base Rate 1.25%',
      'Eurodollar Rate 2.25%',
      'Base Rate 1%',
      'Eurodollar Rate 2%',
      'Base Rate 1%',
      'Eurodollar Rate 2%',
      'Base Rate 0.75%',
      'Eurodollar Rate 1.75%',
      'Base Rate 0.5%',
      'Eurodollar Rate 1.5%',
    ]);
    expect(v.applicable_margins[6]!.tier).toBe(
      'Revolving Credit: Less than 3.5 to 1 and equal to or greater than 3.0 to 1',
    );
  });

  it('reads bare numbers of a boxed grid whose level column and test wrap over lines', () => {
    const text = definitionsWith(
      `      "Applicable  Margin" means a percentage equal to the percentage set forth below in the\napplicable column opposite the level corresponding to the Leverage Ratio:\n\n--------------------------------------------------------------------------------\n LEVEL   CONSOLIDATED SENIOR          BASE RATE LOANS    EURODOLLAR RATE LOANS\n         LEVERAGE RATIO\n--------------------------------------------------------------------------------\n   I     Greater than or equal to\n         3.0 to 1                           4.00                  5.00\n--------------------------------------------------------------------------------\n  II     Greater than or equal to\n         2.00 to 1 and less than\n         3.00 to 1                          3.50                  4.50\n--------------------------------------------------------------------------------\n  III    Less than 2.00 to 1                3.25                  4.25\n--------------------------------------------------------------------------------\n`,
    );
    const v = valueOf(text, 'interest_rate_details') as {
      applicable_margins: Margin[];
      base_rate_options: string[];
    };
    expect(margins(v)).toEqual([
      'Base Rate 4%',
      'Eurodollar Rate 5%',
      'Base Rate 3.5%',
      'Eurodollar Rate 4.5%',
      'Base Rate 3.25%',
      'Eurodollar Rate 4.25%',
    ]);
    expect(v.applicable_margins.map((m) => m.tier)).toContain(
      'Level II: Greater than or equal to 2.00 to 1 and less than 3.00 to 1',
    );
    expect([...v.base_rate_options].sort()).toEqual(['Base Rate', 'Eurodollar Rate']);
  });

  it('leaves a table without benchmark columns unread', () => {
    const text = definitionsWith(
      `      "Applicable Margin" means the percentage set forth below:\n\n LEVEL   LEVERAGE RATIO                 RATE\n---------------------------------------------\n   I     Greater than 3.0 to 1          2.00\n  II     Less than 3.0 to 1             1.50\n`,
    );
    const v = valueOf(text, 'interest_rate_details') as { applicable_margins: Margin[] | null } | null;
    expect(v?.applicable_margins ?? null).toBeNull();
  });
});
