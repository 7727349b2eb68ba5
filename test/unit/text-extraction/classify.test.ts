import { describe, expect, it } from 'vitest';
import { classifyDocument } from '../../../src/lib/text-extraction/index.js';

const doc = (...pages: string[]): { text: string }[] => pages.map((text) => ({ text }));

describe('classifyDocument: titles', () => {
  it.each([
    ['CREDIT AGREEMENT\ndated as of March 1, 2024\namong ACME CORP., as Borrower', 'credit_agreement'],
    ['AMENDED AND RESTATED CREDIT AGREEMENT\ndated as of June 30, 2023', 'credit_agreement'],
    ['EXECUTION VERSION\n\nREVOLVING CREDIT AGREEMENT\namong', 'credit_agreement'],
    ['LOAN AGREEMENT\nbetween First Bank and ACME LLC', 'credit_agreement'],
    ['LOAN AND SECURITY AGREEMENT\ndated as of May 5, 2022', 'credit_agreement'],
    ['AMENDMENT NO. 2 TO CREDIT AGREEMENT\ndated as of May 1, 2024', 'amendment'],
    ['FIRST AMENDMENT TO AMENDED AND RESTATED CREDIT AGREEMENT', 'amendment'],
    ['WAIVER AND AMENDMENT\nto the Loan Agreement', 'amendment'],
    ['Amendment No.3\nto\nCredit Agreement', 'amendment'],
    ['SUMMARY OF TERMS AND CONDITIONS\n$50,000,000 Senior Secured Credit Facilities', 'term_sheet'],
    ['ACME CORP.\nINDICATIVE TERM SHEET\nSenior Secured Credit Agreement', 'term_sheet'],
    ['PROMISSORY NOTE\n$1,000,000.00   New York, New York', 'promissory_note'],
    ['REVOLVING CREDIT NOTE\n$25,000,000', 'promissory_note'],
    ['SECURITY AGREEMENT\ndated as of March 1, 2024', 'security_agreement'],
    [
      'PLEDGE AND SECURITY AGREEMENT\nmade by ACME in favour of the Agent under the Credit Agreement',
      'security_agreement',
    ],
    ['GUARANTEE AND COLLATERAL AGREEMENT\ndated as of', 'security_agreement'],
  ])('%j is a %s', (title, type) => {
    const result = classifyDocument(doc(title, 'Section 1. Definitions.'));
    expect(result.type).toBe(type);
    expect(result.confidence).toBeGreaterThanOrEqual(0.75);
    expect(result.confidence).toBeLessThanOrEqual(1);
  });

  it('reads an amendment reference on a credit agreement cover as a reference', () => {
    const result = classifyDocument(
      doc('CREDIT AGREEMENT\ndated as of May 1, 2020\nas amended by Amendment No. 1'),
    );
    expect(result.type).toBe('credit_agreement');
  });

  it('takes the title from the first page that has text', () => {
    expect(classifyDocument(doc('', '  \n', 'PROMISSORY NOTE')).type).toBe('promissory_note');
  });

  it('is case-insensitive and tolerates titles split across lines', () => {
    expect(classifyDocument(doc('Security\nAgreement')).type).toBe('security_agreement');
    expect(classifyDocument(doc('term\nsheet')).type).toBe('term_sheet');
  });

  it('raises confidence when the body corroborates the title', () => {
    const bare = classifyDocument(doc('CREDIT AGREEMENT'));
    const corroborated = classifyDocument(
      doc(
        'CREDIT AGREEMENT\namong ACME, the Lenders party hereto and BANK, as Administrative Agent',
        'Applicable Margin',
      ),
    );
    expect(corroborated.type).toBe('credit_agreement');
    expect(corroborated.confidence).toBeGreaterThan(bare.confidence);
  });
});

describe('classifyDocument: body only', () => {
  it('recognises a note from its operative words when the title is missing', () => {
    const result = classifyDocument(
      doc(
        '$500,000.00\nChicago, Illinois\nFOR VALUE RECEIVED, the undersigned promises to pay to the order of FIRST BANK the principal sum',
      ),
    );
    expect(result.type).toBe('promissory_note');
    expect(result.confidence).toBeGreaterThan(0.3);
    expect(result.confidence).toBeLessThan(0.75);
  });

  it('needs more than one body phrase', () => {
    expect(classifyDocument(doc('Memo\nThe Administrative Agent called.')).type).toBe('other');
  });
});

describe('classifyDocument: unknown documents', () => {
  it('answers other with low confidence', () => {
    for (const pages of [
      doc('Quarterly compliance certificate'),
      doc(),
      doc('', ''),
      doc('INVOICE 2024-001'),
    ]) {
      const result = classifyDocument(pages);
      expect(result.type).toBe('other');
      expect(result.confidence).toBeLessThanOrEqual(0.3);
      expect(result.confidence).toBeGreaterThanOrEqual(0);
    }
  });

  it('is deterministic', () => {
    const pages = doc('AMENDMENT NO. 2 TO CREDIT AGREEMENT', 'THIS AMENDMENT is entered into');
    expect(classifyDocument(pages)).toEqual(classifyDocument(pages));
  });
});
