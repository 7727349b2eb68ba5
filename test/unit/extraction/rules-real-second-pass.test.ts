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

const preamble =
  'This CREDIT AGREEMENT, dated as of January 10, 2008, is entered into by and among GOAMERICA, INC., a Delaware corporation ("GoAmerica"), and CHURCHILL FINANCIAL LLC, a Delaware limited liability company ("Churchill"), as administrative agent (in such capacity, the "Administrative Agent").\n\nThe parties hereto agree as follows:\n\nARTICLE I\n\n';
const definitionsWith = (margin: string): string =>
  `${preamble}${margin}\n\n      "Base Rate Loan" means a Loan that bears interest at the Base Rate.\n\n      "Eurodollar Rate Loan" means a Loan that bears interest at the Eurodollar Rate.\n`;

const recitals = (whereas: string): string =>
  `CREDIT AGREEMENT, dated as of July 25, 2005, among ARBY'S RESTAURANT GROUP, INC., a Delaware corporation ("BORROWER"), and CITICORP NORTH AMERICA, INC., as administrative agent (in such capacity, the "ADMINISTRATIVE AGENT").\n\n                              W I T N E S S E T H:\n\n${whereas}\n\n         NOW, THEREFORE, the parties hereto agree as follows:\n\n                                    ARTICLE I\n`;

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

// Shapes met in the excerpts added in the second pass (COMSYS, Inverness, Friedman's, Castle Dental,
// Cummins).
describe('rules engine: second pass, new real excerpts', () => {
  it('names a division by its own name and reads its roles after the company it belongs to', () => {
    const text =
      'CREDIT AGREEMENT dated as of September 30, 2004 among COMSYS SERVICES LLC, a Delaware limited liability company ("COMSYS SERVICES"), VENTURI TECHNOLOGY PARTNERS, LLC, a North Carolina limited liability company ("VTP"; COMSYS Services and VTP are referred to herein each individually as a "BORROWER" and collectively as the "BORROWERS"), COMSYS IT PARTNERS, INC., a Delaware corporation ("HOLDINGS"), and MERRILL LYNCH CAPITAL, a division of Merrill Lynch Business Financial Services Inc., individually as a Lender, as administrative agent (the "AGENT").\n\n                                    RECITALS:\n\n      WHEREAS, Holdings, as the direct owner of all of the issued and outstanding capital stock of the Borrowers, is willing to guarantee all of the Obligations; and\n\n      WHEREAS, each other Domestic Subsidiary of Holdings is willing to guaranty all of the Obligations;\n\n      NOW, THEREFORE, the parties agree as follows:\n';
    expect(pairs(valueOf(text, 'lender_parties'))).toEqual([
      'Administrative Agent|MERRILL LYNCH CAPITAL',
      'Lender|MERRILL LYNCH CAPITAL',
    ]);
    // The collective "BORROWERS" names COMSYS Services in title case although it was defined in capitals.
    expect(valueOf(text, 'borrower_names')).toEqual([
      'COMSYS SERVICES LLC',
      'VENTURI TECHNOLOGY PARTNERS, LLC',
    ]);
    // Only a party of the preamble guarantees through the recitals; "each other Domestic Subsidiary" is nobody.
    expect(valueOf(text, 'guarantors')).toEqual(['COMSYS IT PARTNERS, INC.']);
  });

  it('reads a cover without contents, under a two-line title, and no cover description as a party', () => {
    const text = [
      "                                 $125,000,000\n\n\n\n                  AMENDED AND RESTATED SECURED SUPER-PRIORITY\n                     DEBTOR IN POSSESSION CREDIT AGREEMENT\n\n                           Dated as of May 27, 2005\n                                     among\n\n                               FRIEDMAN'S INC.,\n                                  as Borrower\n\n                THE SUBSIDIARIES OF THE BORROWER PARTY HERETO,\n                   EACH, A DEBTOR AND DEBTOR IN POSSESSION,\n                           as Subsidiary Guarantors\n\n                              CITICORP USA, INC.,\n                            as Administrative Agent\n                                     * * *\n                        CITIGROUP GLOBAL MARKETS INC.,\n                  as Sole Lead Arranger and Sole Book Runner\n",
      '\f                  THIS AMENDED AND RESTATED CREDIT AGREEMENT, dated as of May 27, 2005, among FRIEDMAN\'S INC., a Delaware corporation (the "Borrower"), and CITICORP USA, INC. ("Citicorp"), as administrative agent (in such capacity, the "Administrative Agent").\n\n                             W I T N E S S E T H:\n\n                  "Applicable Unused Commitment Fee Rate" means 0.375% per\nannum.\n',
    ].join('');
    expect(pairs(valueOf(text, 'lender_parties'))).toEqual([
      'Administrative Agent|CITICORP USA, INC.',
      'Sole Bookrunner|CITIGROUP GLOBAL MARKETS INC.',
      'Sole Lead Arranger|CITIGROUP GLOBAL MARKETS INC.',
    ]);
    expect(valueOf(text, 'guarantors')).toBeNull();
    expect(valueOf(text, 'total_commitment')).toEqual({ amount: '125000000.00', currency: 'USD' });
    // A fee rate given by a definition of its own: an unused fee before it is a commitment fee.
    expect(valueOf(text, 'key_fees')).toEqual([
      { fee_type: 'Unused Fee', fee_rate_or_amount: '0.375% per annum', payment_frequency: null },
    ]);
  });

  it('pairs rate-first margins, ends a definition at "is defined", and takes the borrower from its definition', () => {
    const text =
      '         CREDIT AGREEMENT, dated as of May 15, 2003, among CASTLE DENTAL\nCENTERS, INC., THE OTHER CREDIT PARTIES SIGNATORY HERETO, the LENDERS listed on\nthe signature pages hereof, and GENERAL ELECTRIC CAPITAL CORPORATION, as Agent.\n\n                             INTRODUCTORY STATEMENT\n\n         The parties hereto agree as follows:\n\n                                   ARTICLE I.\n\n         "Applicable Margin" means: (a) 4.50% per annum for LIBOR Loan Advances\nand 3.25% per annum for Base Rate Advances, (b) 4.50% per annum for the Letter\nof Credit Fee Applicable Margin and (c) 0.375% for the Unused Line Fee\nApplicable Margin.\n\n         "Borrower" means Castle Dental Centers, Inc., a Delaware corporation.\n\n         "Business Day" means any day that is not a Saturday, a Sunday or a day\non which banks are required or permitted to be closed in the States of Illinois\nor Texas.\n\n         "Capital Expenditures" is defined in the Compliance Certificate.\n\n         "Class" defines an Extension of Credit by reference to the Commitment.\n';
    const v = valueOf(text, 'interest_rate_details') as { applicable_margins: Margin[] };
    expect(margins(v)).toEqual(['LIBOR 4.5%', 'Base Rate 3.25%']);
    expect(valueOf(text, 'definition_business_day')).toBe(
      '"Business Day" means any day that is not a Saturday, a Sunday or a day on which banks are required or permitted to be closed in the States of Illinois or Texas.',
    );
    expect(valueOf(text, 'borrower_names')).toEqual(['Castle Dental Centers, Inc.']);
  });

  it('never carries a rate across "and" or a clause letter to the option before it', () => {
    const text =
      'CREDIT AGREEMENT, dated as of May 15, 2003, among ACME INC., as Borrower, and BANK ONE, N.A., as Agent.\n\nThe parties hereto agree as follows:\n\n"Applicable Margin" means (a) LIBOR Loans, see the Fee Letter and (b) Base Rate Loans, 3.25%.\n';
    const v = valueOf(text, 'interest_rate_details') as { applicable_margins: Margin[] };
    expect(margins(v)).toEqual(['Base Rate 3.25%']);
  });

  it('reads options from the "Type" definition, the benchmark floor, and the Company behind the Borrower', () => {
    const text =
      '364-DAY CREDIT AGREEMENT dated as of May 1, 2020 among CUMMINS INC., the\nSUBSIDIARY BORROWERS referred to herein, the LENDERS party hereto and JPMORGAN\nCHASE BANK, N.A., as Administrative Agent.\n\nIn consideration of the premises, the parties hereto agree as follows:\n\n“Alternate Base Rate” means the highest of the Prime Rate and the NYFRB Rate; if the Alternate Base Rate as so determined would be less than 1.50%, such rate shall be deemed to be 1.50% for purposes of this Agreement.\n\n“Borrower” means the Company or any Subsidiary Borrower, as the context may\nrequire.\n\n“Company” means Cummins Inc., an Indiana corporation.\n\n“JPMCB” means JPMorgan Chase Bank, N.A., a national banking association.\n\n“LIBO Rate” means the LIBO Screen Rate; provided that if any LIBO Rate determined in accordance with\nthe foregoing shall be less than 0.50%, the LIBO Rate shall be deemed to be\n0.50% for all purposes of this Agreement.\n\n“Type”, when used in reference to any Loan or Borrowing, refers to whether the\nrate of interest on such Loan is\ndetermined by reference to the Adjusted LIBO Rate or the Alternate Base Rate.\n';
    const v = valueOf(text, 'interest_rate_details') as { base_rate_options: string[]; rate_floor: string };
    expect([...v.base_rate_options].sort()).toEqual(['Alternate Base Rate', 'LIBOR']);
    expect(v.rate_floor).toBe('0.5%');
    expect(valueOf(text, 'borrower_names')).toEqual(['Cummins Inc.']);
    expect(valueOf(text, 'lender_type', 'loan_booking_sheet')).toBe('bank');
  });

  it('keeps "(USA)" inside a name and a cover list whose first item lacks its comma', () => {
    const text =
      'CREDIT AGREEMENT\n\namong\n\nCUMMINS INC.,\n\nBANK OF AMERICA, N.A.,\nas Syndication Agent\n\nCITIBANK, N.A.\n\nHSBC BANK USA, N.A., and\n\nING BANK N.V., DUBLIN BRANCH,\n\nas Documentation Agents\n\nJPMORGAN CHASE BANK, N.A.,\n\nHSBC SECURITIES (USA) INC. and\n\nING BANK N.V., DUBLIN BRANCH,\n\nas Joint Lead Arrangers\n\fTABLE OF CONTENTS\n\nSection 1.01. Defined Terms.........1\nSection 1.02. Classification.......24\nSection 1.03. Terms Generally......24\n';
    const lenders = pairs(valueOf(text, 'lender_parties'));
    expect(lenders.filter((p) => p.startsWith('Documentation Agent|'))).toEqual([
      'Documentation Agent|CITIBANK, N.A.',
      'Documentation Agent|HSBC BANK USA, N.A.',
      'Documentation Agent|ING BANK N.V., DUBLIN BRANCH',
    ]);
    expect(lenders.filter((p) => p.startsWith('Joint Lead Arranger|'))).toEqual([
      'Joint Lead Arranger|HSBC SECURITIES (USA) INC.',
      'Joint Lead Arranger|ING BANK N.V., DUBLIN BRANCH',
      'Joint Lead Arranger|JPMORGAN CHASE BANK, N.A.',
    ]);
  });

  it('reads a grid whose rows are split by blank lines and wrap below their rates, with flat margins beside it', () => {
    const text = definitionsWith(
      `     "Applicable Margin" means, (a) with respect to Term Loans which are Base\nRate Loans, 1.00%; (b) with respect to Term Loans which are Eurodollar Rate\nLoans, 2.00%; (c) with respect to the Unused Revolver Commitment Fee, 0.50%; and\n(d) with respect to Revolving Loans and Swing Loans, a percentage set forth below:\n\n                                         REVOLVING LOANS AND\n                                             SWING LOANS\n                                       ----------------------\n                                       BASE RATE   EURODOLLAR\nLEVEL   CONSOLIDATED LEVERAGE RATIO      LOANS     RATE LOANS\n-----   ----------------------------   ---------   ----------\n  I     Greater than or equal to 5.0     1.25%        2.25%\n        to 1\n\n  II    Less than 5.0 to 1 and equal\n        to or greater than 4.0 to 1      1.00%        2.00%\n\n III    Less than 4.0 to 1               0.75%        1.75%\n\n     Each date of determination for the "Applicable Margin" shall be the date of delivery.\n`,
    );
    const v = valueOf(text, 'interest_rate_details') as { applicable_margins: Margin[] };
    expect(margins(v)).toEqual([
      'Base Rate 1%',
      'Eurodollar Rate 2%',
      'Base Rate 1.25%',
      'Eurodollar Rate 2.25%',
      'Base Rate 1%',
      'Eurodollar Rate 2%',
      'Base Rate 0.75%',
      'Eurodollar Rate 1.75%',
    ]);
    expect(v.applicable_margins[2]!.tier).toBe('Level I: Greater than or equal to 5.0 to 1');
  });

  it('reads default interest from the paragraph its own title heads', () => {
    const text = `${preamble}          (c) Default Interest. Notwithstanding the rates of interest specified
in clause (a) above, effective immediately upon the occurrence of any Event of Default and for as long
as such Event of Default shall be continuing, the principal balance of all Obligations then due and
payable shall bear interest at a rate that is 2% per annum in excess of the interest
rate applicable to such Obligations from time to time, payable on demand.\n`;
    const v = valueOf(text, 'interest_rate_details') as { default_rate: string | null } | null;
    // No benchmark is named, so there is no interest object; the default rate is read on its own.
    expect(v).toBeNull();
    const withOptions = `${text}\n"Base Rate Loan" means a Base Rate Loan. "Eurodollar Rate Loan" means a Eurodollar Rate Loan. Base Rate Loans and Eurodollar Rate Loans.\n`;
    const w = valueOf(withOptions, 'interest_rate_details') as { default_rate: string | null };
    expect(w.default_rate).toBe('2% per annum in excess of the rate otherwise applicable');
  });

  it('treats a page of entries without a heading as contents, and dates the revolver by its Commitment Expiry Date', () => {
    const contents = Array.from(
      { length: 12 },
      (_, i) =>
        `   Section 7.${i + 1}   Minimum EBITDA Covenant ${i + 1}.............................    ${68 + i}`,
    ).join('\n');
    const text = `                                CREDIT AGREEMENT\n\n                             MERRILL LYNCH CAPITAL,\n                             AS ADMINISTRATIVE AGENT\n\f${contents}\n\n                                        i\n\f      CREDIT AGREEMENT dated as of September 30, 2004 among COMSYS SERVICES LLC, a Delaware limited liability company (the "BORROWER"), and MERRILL LYNCH CAPITAL, as administrative agent (the "AGENT").\n\n      NOW, THEREFORE, the parties agree as follows:\n\n      "COMMITMENT EXPIRY DATE" means the earliest to occur of (i) September 30,\n2009 and (ii) ninety (90) days prior to the Junior Lien Maturity Date.\n\n      "CLOSING DATE" means the date of this Agreement.\n`;
    expect(valueOf(text, 'maturity_date_final')).toBe('2009-09-30');
    expect(valueOf(text, 'financial_covenants')).toBeNull();
    expect(pairs(valueOf(text, 'lender_parties'))).toEqual(['Administrative Agent|MERRILL LYNCH CAPITAL']);
  });

  it('reads fee rates listed in the margin definition and a fee whose rate closes a formula', () => {
    const inMargin = `${preamble}     "Applicable Margin" means: (a) 4.50% per annum for LIBOR Loan Advances, (b) 4.50% per annum for the Letter\nof Credit Fee Applicable Margin and (c) with respect to the Unused Revolver Commitment Fee, 0.375%.\n`;
    expect(valueOf(inMargin, 'key_fees')).toEqual([
      { fee_type: 'Letter of Credit Fee', fee_rate_or_amount: '4.5% per annum', payment_frequency: null },
      { fee_type: 'Unused Fee', fee_rate_or_amount: '0.375%', payment_frequency: null },
    ]);
    const formula = `${preamble}      (b)   Unused Line Fee. From and following the Closing Date, the Borrowers\nshall pay Agent an aggregate fee in an amount equal to (1) (a)\nthe Revolving Loan Commitment less (b) the average daily balance of the\nRevolving Loan Outstandings during the preceding quarter, multiplied by (2)\none-half of one percent (.50%) per annum. Such fee is to be paid quarterly in\narrears on the first day of each calendar quarter.\n`;
    expect(valueOf(formula, 'key_fees')).toEqual([
      {
        fee_type: 'Unused Fee',
        fee_rate_or_amount: '0.5% per annum',
        payment_frequency: 'quarterly in arrears',
      },
    ]);
  });

  it('reads a facility that an amendment and restatement is requested to establish, not the one it replaces', () => {
    const text = recitals(
      '                  WHEREAS, the Borrower and the Lenders are parties to the Original Credit Agreement, pursuant to which the Lenders provided a revolving credit facility of up to $125,000,000; and\n\n                  WHEREAS, the Borrower has requested an amendment and\nrestatement of the Original Credit Agreement to, among other things,\nestablish a term loan facility in an aggregate principal face amount of up to\n$25,500,000, with a corresponding permanent reduction of the Revolving Credit\nCommitments by such amount; and',
    );
    const facilities = (valueOf(text, 'facility_details') as Facility[]).map(
      (f) => `${f.facility_type} ${f.commitment_amount?.amount}`,
    );
    expect(facilities).toEqual(['Term Loan 25500000.00']);
  });

  it('reads a priced repayment fee definition as a prepayment penalty', () => {
    const text = `${preamble}      "Applicable Term Loan Repayment Fee" means, in the case of any\nrepayment of the Term Loans in cash, a fee equal to 3% of the Term Loan Termination Amount.\n\n      "Term Loan" means the term loan.\n`;
    expect(valueOf(text, 'prepayment_penalty', 'loan_booking_sheet')).toBe(true);
  });
});

describe('rules engine: second pass, guards on the new shapes', () => {
  it('does not rename a later party after an earlier party\'s "a division of"', () => {
    const text =
      'THIS CREDIT AGREEMENT, dated as of May 1, 2020, is entered into among ACME INC., a Delaware corporation (the "Borrower"), ALPHA CAPITAL, a division of Beta Financial Inc., as administrative agent, and GAMMA BANK, N.A., as syndication agent.\n\nThe parties hereto agree as follows:\n';
    expect(pairs(valueOf(text, 'lender_parties'))).toEqual([
      'Administrative Agent|ALPHA CAPITAL',
      'Syndication Agent|GAMMA BANK, N.A.',
    ]);
  });

  it('does not pull a role-less name above a cover list into it', () => {
    const text =
      'CREDIT AGREEMENT\n\namong\n\nACME CORP.\n\nBANK ONE, N.A.,\n\nBANK TWO, N.A.,\n\nas Joint Lead Arrangers\n\fTABLE OF CONTENTS\n\nSection 1.1 Defined Terms.........1\nSection 1.2 Other Terms...........2\nSection 1.3 More Terms............3\n';
    expect(pairs(valueOf(text, 'lender_parties'))).toEqual([
      'Joint Lead Arranger|BANK ONE, N.A.',
      'Joint Lead Arranger|BANK TWO, N.A.',
    ]);
  });
});
