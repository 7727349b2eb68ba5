import { describe, expect, it } from 'vitest';
import { valueOf } from './helpers.js';

type Party = { role: string; name: string };
const pairs = (v: unknown): string[] => (v as Party[]).map((p) => `${p.role}|${p.name}`).sort();

// Excerpts of SEC filings in eval/corpus-real.
describe('rules engine: parties as real filings name them', () => {
  it('keeps "for the Lenders and the Issuers" inside a capacity instead of making each agent an issuer', () => {
    const text =
      'CREDIT AGREEMENT, dated as of July 25, 2005, among ARBY\'S RESTAURANT GROUP, INC., a Delaware corporation ("BORROWER"), the Lenders (as defined below), the Issuers (as defined below), CITICORP NORTH AMERICA, INC. ("Citicorp"), as administrative agent for the Lenders and the Issuers (in such capacity, the "ADMINISTRATIVE AGENT") and as collateral agent for the Secured Parties (in such capacity, the "COLLATERAL AGENT"), BANK OF AMERICA, N.A. ("BOFA") and CREDIT SUISSE, CAYMAN ISLANDS BRANCH ("CS"), as co-syndication agents for the Lenders and the Issuers (in such capacities, the "SYNDICATION AGENTS").\n\nW I T N E S S E T H:';
    const lenders = pairs(valueOf(text, 'lender_parties'));
    expect(lenders).toContain('Administrative Agent|CITICORP NORTH AMERICA, INC.');
    expect(lenders).toContain('Collateral Agent|CITICORP NORTH AMERICA, INC.');
    expect(lenders.filter((p) => p.startsWith('Issuer|'))).toEqual([]);
    // "the Secured Parties" is a defined group, never a party's name.
    expect(lenders.some((p) => p.endsWith('|Secured Parties'))).toBe(false);
    // The quoted "SYNDICATION AGENTS" names the co-syndication capacity, it is not a second role.
    expect(lenders.filter((p) => p.startsWith('Syndication Agent|'))).toEqual([]);
    expect(valueOf(text, 'syndicate_agent', 'loan_booking_sheet')).toBe(
      'BANK OF AMERICA, N.A.; CREDIT SUISSE, CAYMAN ISLANDS BRANCH',
    );
    expect(valueOf(text, 'borrower_names')).toEqual(["ARBY'S RESTAURANT GROUP, INC."]);
  });

  it('reads an "Initial Borrower" whose parenthetical nests another, and an agent that is "as a Lender" too', () => {
    const text =
      'This FIRST AMENDMENT TO REVOLVING CREDIT AGREEMENT (this “Amendment”), dated as\nof June 6, 2019, is entered into by and among OWL ROCK TECHNOLOGY FINANCE CORP.,\na Maryland corporation (the “Initial Borrower”, and collectively with any other\nBorrower becoming party to the Credit Agreement (as defined below) (including\nQualified Borrowers, the “Borrowers”)), WELLS FARGO BANK, NATIONAL ASSOCIATION\n(“Wells Fargo”), as the Administrative Agent (as hereinafter defined) for the\nSecured Parties and as a Lender.\n\nA.The parties hereto have entered into that certain Revolving Credit Agreement\ndated as of November 19, 2018.';
    expect(valueOf(text, 'borrower_names')).toEqual(['OWL ROCK TECHNOLOGY FINANCE CORP.']);
    expect(pairs(valueOf(text, 'lender_parties'))).toEqual([
      'Administrative Agent|WELLS FARGO BANK, NATIONAL ASSOCIATION',
      'Lender|WELLS FARGO BANK, NATIONAL ASSOCIATION',
    ]);
    expect(valueOf(text, 'agreement_execution_date')).toBe('2019-06-06');
    expect(valueOf(text, 'is_revolving_facility', 'loan_booking_sheet')).toBe(true);
  });

  it('reads signature pages by their headings: "Guarantor:", "LENDER :", "GUARANTORS CONTINUED :", names with descriptions', () => {
    const text = [
      'This SIXTH AMENDMENT AGREEMENT, dated as of December 29, 2022 (this “ Amendment ”), is made and entered into by and among LANDSEA HOMES CORPORATION , a Delaware corporation (the “ Borrower ”), WESTERN ALLIANCE BANK , an Arizona corporation, as Administrative Agent (in such capacity, the “ Administrative Agent ”).',
      'RECITALS:',
      'Governing Law. This Amendment shall be governed by, and construed in accordance with, the laws of the State of Arizona.',
      '\fIN WITNESS WHEREOF, the parties hereto have caused this Amendment to be duly executed.',
      'LENDER:',
      'BANK OF AMERICA, N.A. , a national banking association',
      'By: /s/ Helen Chan',
      'Name: Helen Chan',
      'Title: Vice President',
      '\fBORROWER :',
      'LANDSEA HOMES CORPORATION , a Delaware corporation',
      'By: /s/ John Ho',
      'Name: John Ho',
      'Title: Chief Executive Officer',
      '\fGuarantor:',
      'LANDSEA HOMES US CORPORATION, a Delaware corporation',
      'By: /s/ John Ho',
      'Name: John Ho',
      '\fGUARANTORS CONTINUED :',
      'LANDSEA HOMES- WAB 2 LLC , a Delaware limited liability company',
      'GARRETT WALKER HOMES, LLC , an Arizona limited liability company',
      'By: /s/ John Ho',
      'Name: John Ho',
    ].join('\n');
    expect(valueOf(text, 'guarantors')).toEqual([
      'LANDSEA HOMES US CORPORATION',
      'LANDSEA HOMES- WAB 2 LLC',
      'GARRETT WALKER HOMES, LLC',
    ]);
    expect(pairs(valueOf(text, 'lender_parties'))).toEqual([
      'Administrative Agent|WESTERN ALLIANCE BANK',
      'Lender|BANK OF AMERICA, N.A.',
    ]);
    expect(valueOf(text, 'lender_type', 'loan_booking_sheet')).toBe('bank');
    expect(valueOf(text, 'governing_law')).toBe('Arizona');
  });

  it('reads a cover whose parties sit between blank lines and whose contents list titles on their own lines', () => {
    const text = [
      'AMENDED AND RESTATED 364-DAY CREDIT AGREEMENT',
      '',
      'Dated as of November 18, 2016',
      '',
      'among',
      '',
      'AUTOZONE, INC.,',
      '',
      'as Borrower,',
      '',
      'WELLS FARGO BANK, NATIONAL ASSOCIATION,',
      '',
      'as Administrative Agent',
      '',
      'and',
      '',
      'U.S. BANK NATIONAL ASSOCIATION,',
      '',
      'as Syndication Agent',
      '\fTABLE OF CONTENTS',
      '',
      '         Page  ',
      '',
      'SECTION 1 DEFINITIONS',
      '',
      '     1   ',
      '',
      '1.1',
      '',
      '  Definitions      1   ',
      '',
      '3.1',
      '',
      '  Default Rate      24   ',
      '',
      '3.5',
      '',
      '  Fees      28   ',
    ].join('\n');
    expect(valueOf(text, 'agreement_execution_date')).toBe('2016-11-18');
    expect(valueOf(text, 'borrower_names')).toEqual(['AUTOZONE, INC.']);
    expect(valueOf(text, 'agent', 'loan_booking_sheet')).toBe('WELLS FARGO BANK, NATIONAL ASSOCIATION');
    // The contents mention a default rate and fees; nothing about them is stated.
    expect(valueOf(text, 'interest_rate_details')).toBeNull();
    expect(valueOf(text, 'key_fees')).toBeNull();
  });
});
