import { describe, expect, it } from 'vitest';
import { REVIEW_CONFIDENCE_THRESHOLD, finaliseFields } from '../../../src/modules/extraction/engine.js';
import { createRulesEngine } from '../../../src/modules/extraction/engines/rules/index.js';
import { EXTRACTION_SCHEMA_FIELDS } from '../../../src/modules/extraction/schemas/index.js';
import { assertEvidenceExact, pagesOf } from './helpers.js';

const agreement = (
  date: string,
  maturity: string,
): string => `This CREDIT AGREEMENT is entered into as of ${date}, among ACME CORP., a Delaware corporation (the
"Borrower"), the Lenders party hereto and BANK OF AMERICA, N.A., as Administrative Agent.

WHEREAS, the Borrower has requested credit.

Section 1.01 Defined Terms.

"Maturity Date" means ${maturity}.\f
Section 10.14 Governing Law. THIS AGREEMENT SHALL BE GOVERNED BY THE LAW OF THE STATE OF NEW YORK.`;

describe('rules engine and result finalisation', () => {
  it('returns every schema field with evidence that quotes the page exactly', async () => {
    const pages = pagesOf(agreement('March 15, 2024', 'March 15, 2029'));
    const out = await createRulesEngine().extract({ schemaName: 'credit_agreement', pages });
    expect(Object.keys(out.fields).sort()).toEqual([...EXTRACTION_SCHEMA_FIELDS.credit_agreement].sort());
    assertEvidenceExact(out, pages);
    const law = out.fields.governing_law!;
    expect(law).toMatchObject({
      value: 'New York',
      engine: 'rules',
      needs_review: false,
      validation_errors: [],
    });
    expect(law.evidence[0]).toMatchObject({ document_id: 'doc-1', page: 2 });
    const absent = out.fields.financial_covenants!;
    expect(absent).toMatchObject({ value: null, evidence: [] });
    expect(absent.confidence).toBeLessThan(REVIEW_CONFIDENCE_THRESHOLD);
    expect(out.fields.total_commitment!.review_reasons).toContain('missing_required');
  });

  it('flags documents that disagree as a conflict and keeps both quotes', async () => {
    const pages = [
      ...pagesOf(agreement('March 15, 2024', 'March 15, 2029'), 'original'),
      ...pagesOf(agreement('March 15, 2024', 'March 15, 2031'), 'amendment'),
    ];
    const out = await createRulesEngine().extract({ schemaName: 'credit_agreement', pages });
    const maturity = out.fields.maturity_date_final!;
    expect(maturity.review_reasons).toContain('conflict');
    expect(maturity.needs_review).toBe(true);
    expect(new Set(maturity.evidence.map((e) => e.document_id))).toEqual(new Set(['original', 'amendment']));
    expect(out.fields.agreement_execution_date!.review_reasons).not.toContain('conflict');
    assertEvidenceExact(out, pages);
  });

  it('keeps an invalid value but marks it for review with its validation errors', () => {
    const fields = finaliseFields('credit_agreement', 'test', {
      total_commitment: { value: { amount: 'about 5m', currency: 'USD' }, confidence: 0.9, evidence: [] },
      governing_law: { value: 'New York', confidence: 0.9, evidence: [] },
    });
    expect(fields.total_commitment!.needs_review).toBe(true);
    expect(fields.total_commitment!.review_reasons).toContain('validation_failed');
    expect(fields.total_commitment!.validation_errors[0]).toMatch(/amount/);
    expect(fields.governing_law!.needs_review).toBe(false);
  });

  it('maps to the booking sheet schema and answers null for fields documents do not state', async () => {
    const pages = pagesOf(agreement('March 15, 2024', 'March 15, 2029'));
    const out = await createRulesEngine().extract({ schemaName: 'loan_booking_sheet', pages });
    expect(Object.keys(out.fields)).toHaveLength(55);
    expect(out.fields.maturity_date!.value).toBe('2029-03-15');
    expect(out.fields.agent!.value).toBe('BANK OF AMERICA, N.A.');
    expect(out.fields.billing_address!.value).toBeNull();
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      createRulesEngine().extract({
        schemaName: 'credit_agreement',
        pages: pagesOf('x'),
        signal: controller.signal,
      }),
    ).rejects.toThrow();
  });

  it('reads a 300-page agreement in well under a second', async () => {
    const filler =
      'The Borrower shall comply with all Laws applicable to it, including Environmental Laws. '.repeat(38);
    const body = Array.from({ length: 300 }, (_, i) =>
      i === 0 ? agreement('March 15, 2024', 'March 15, 2029') : `${filler}\n\n${i + 1}`,
    ).join('\f');
    expect(body.length).toBeGreaterThan(900_000);
    const started = performance.now();
    const out = await createRulesEngine().extract({ schemaName: 'credit_agreement', pages: pagesOf(body) });
    const ms = performance.now() - started;
    expect(out.fields.maturity_date_final!.value).toBe('2029-03-15');
    console.log(`300 pages in ${ms.toFixed(0)} ms`);
  });
});
