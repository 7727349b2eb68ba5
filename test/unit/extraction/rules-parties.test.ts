import { describe, expect, it } from 'vitest';
import { valueOf } from './helpers.js';

const boa = `This CREDIT AGREEMENT (this “Agreement”) is entered into as of March 15, 2024, among ACME CORP., a
Delaware corporation (the “Borrower”), each lender from time to time party hereto (collectively, the
“Lenders” and individually, a “Lender”), and BANK OF AMERICA, N.A., as Administrative Agent, Swing Line
Lender and an L/C Issuer.

PRELIMINARY STATEMENTS:`;

const jpm = `CREDIT AGREEMENT dated as of June 1, 2023 (this "Agreement"), among XYZ HOLDINGS, INC., a Delaware
corporation ("Holdings"), XYZ LLC, a Delaware limited liability company (the "Borrower"), the LENDERS party
hereto and JPMORGAN CHASE BANK, N.A., as Administrative Agent and Collateral Agent.

The parties hereto agree as follows:`;

describe('rules engine: parties', () => {
  it('reads the borrower and the agent roles from a BofA-style preamble', () => {
    expect(valueOf(boa, 'borrower_names')).toEqual(['ACME CORP.']);
    expect(valueOf(boa, 'lender_parties')).toEqual([
      { role: 'Administrative Agent', name: 'BANK OF AMERICA, N.A.' },
      { role: 'Swing Line Lender', name: 'BANK OF AMERICA, N.A.' },
      { role: 'L/C Issuer', name: 'BANK OF AMERICA, N.A.' },
    ]);
  });

  it('does not take Holdings (a defined term that is not a role) for a borrower', () => {
    expect(valueOf(jpm, 'borrower_names')).toEqual(['XYZ LLC']);
    expect(valueOf(jpm, 'lender_parties')).toEqual([
      { role: 'Administrative Agent', name: 'JPMORGAN CHASE BANK, N.A.' },
      { role: 'Collateral Agent', name: 'JPMORGAN CHASE BANK, N.A.' },
    ]);
    expect(valueOf(jpm, 'guarantors')).toBeNull();
  });

  it('gives a plural role to every co-borrower of a "together with" parenthetical', () => {
    const text = `This CREDIT AGREEMENT is entered into as of May 1, 2024, among ALPHA INC., a Delaware corporation
("Alpha"), BETA LLC, a Texas limited liability company ("Beta" and, together with Alpha, the "Borrowers" and
each, a "Borrower"), the Lenders party hereto and CITIBANK, N.A., as Agent.

WHEREAS, the Borrowers have requested credit.`;
    expect(valueOf(text, 'borrower_names')).toEqual(['ALPHA INC.', 'BETA LLC']);
    expect(valueOf(text, 'lender_parties')).toEqual([{ role: 'Agent', name: 'CITIBANK, N.A.' }]);
  });

  it('names guarantors only where the document gives them the role', () => {
    const text = `This GUARANTEED CREDIT AGREEMENT is made as of May 1, 2024, among OMEGA CORP., a Delaware corporation
(the "Borrower"), OMEGA PARENT INC., a Delaware corporation, as Parent Guarantor, and TRUIST BANK, as Lender.

WHEREAS, the Borrower has requested a loan.`;
    expect(valueOf(text, 'guarantors')).toEqual(['OMEGA PARENT INC.']);
    expect(valueOf(text, 'lender_parties')).toEqual([{ role: 'Lender', name: 'TRUIST BANK' }]);
  });

  it('reads lenders from signature pages, by "as" phrase or by heading', () => {
    const text = `This CREDIT AGREEMENT is entered into as of May 1, 2024, among ACME CORP., a Delaware corporation (the
"Borrower"), the Lenders party hereto and WELLS FARGO BANK, NATIONAL ASSOCIATION, as Administrative Agent.

WHEREAS, the Borrower has requested credit.

Section 1.01 Defined Terms.\f
IN WITNESS WHEREOF, the parties hereto have caused this Agreement to be duly executed.

ACME CORP.,
as the Borrower

By: /s/ Jane Doe
Name: Jane Doe
Title: Treasurer

[Signature Page to Credit Agreement]\f
LENDERS:

THE BANK OF NOVA SCOTIA

By: /s/ A. Banker
Name: A. Banker
Title: Director

COBANK, ACB,
as a Lender

By: [NAME]
Name:
Title:

[Signature Page to Credit Agreement]`;
    expect(valueOf(text, 'lender_parties')).toEqual([
      { role: 'Administrative Agent', name: 'WELLS FARGO BANK, NATIONAL ASSOCIATION' },
      { role: 'Lender', name: 'THE BANK OF NOVA SCOTIA' },
      { role: 'Lender', name: 'COBANK, ACB' },
    ]);
  });

  it('returns null rather than generic descriptions when no party is named', () => {
    const text = `This CREDIT AGREEMENT is entered into among the Borrower named herein, the several banks and other
financial institutions from time to time parties hereto and the Administrative Agent.

WHEREAS, the parties wish to enter into an agreement.`;
    expect(valueOf(text, 'borrower_names')).toBeNull();
    expect(valueOf(text, 'lender_parties')).toBeNull();
    expect(valueOf(text, 'agreement_execution_date')).toBeNull();
  });

  it('rejects bracketed placeholder names of unexecuted forms', () => {
    const text = `This CREDIT AGREEMENT is entered into as of [________], 2024, among [BORROWER], a [Delaware]
corporation (the "Borrower"), and [AGENT BANK], as Administrative Agent.

WHEREAS, the Borrower has requested credit.`;
    expect(valueOf(text, 'borrower_names')).toBeNull();
    expect(valueOf(text, 'lender_parties')).toBeNull();
  });

  it('reads a note: borrower before "promises to pay", lender after, and a bank lender type', () => {
    const text = `PROMISSORY NOTE

FOR VALUE RECEIVED, the undersigned, PINE LOGISTICS, L.P., a Texas limited partnership ("Borrower"),
hereby promises to pay to the order of FIRST LONE STAR BANK, N.A., a national banking association
("Lender"), the principal sum of TWO MILLION AND NO/100 DOLLARS ($2,000,000.00).`;
    expect(valueOf(text, 'borrower_names')).toEqual(['PINE LOGISTICS, L.P.']);
    expect(valueOf(text, 'lender_parties')).toEqual([{ role: 'Lender', name: 'FIRST LONE STAR BANK, N.A.' }]);
    expect(valueOf(text, 'lender_type', 'loan_booking_sheet')).toBe('bank');
    expect(valueOf(text, 'total_commitment')).toEqual({ amount: '2000000.00', currency: 'USD' });
  });
});

describe('rules engine: party phrasing variants', () => {
  it('reads "individually as a Lender and as Administrative Agent" and a "this 15th day of" date', () => {
    const text = `THIS LOAN AGREEMENT is made as of this 15th day of March, 2024, by and between DELTA CO., a Nevada
corporation (the "Borrower"), and KEYBANK NATIONAL ASSOCIATION, individually as a Lender and as
Administrative Agent.

WHEREAS, the Borrower has requested a loan.`;
    expect(valueOf(text, 'agreement_execution_date')).toBe('2024-03-15');
    expect(valueOf(text, 'lender_parties')).toEqual([
      { role: 'Lender', name: 'KEYBANK NATIONAL ASSOCIATION' },
      { role: 'Administrative Agent', name: 'KEYBANK NATIONAL ASSOCIATION' },
    ]);
  });
});
