import { describe, expect, it } from 'vitest';
import type { SheetField } from '../../../src/modules/booking-sheets/booking-sheets.store.js';
import { parsePercent, validateSheet } from '../../../src/modules/booking-sheets/validation.js';
import { EXTRACTION_SCHEMAS } from '../../../src/modules/extraction/schemas/index.js';

function field(value: unknown, extra: Partial<SheetField> = {}): SheetField {
  return {
    value,
    source: 'manual',
    confidence: null,
    evidence: [],
    engine: null,
    needs_review: false,
    review_reasons: [],
    validation_errors: [],
    extracted_value: null,
    updated_by: 'u',
    updated_at: '2030-01-01T00:00:00.000Z',
    ...extra,
  };
}

const usd = (amount: string) => ({ amount, currency: 'USD' });

/** A complete, valid credit agreement sheet; tests break one thing at a time. */
function creditAgreement(overrides: Record<string, unknown> = {}): Record<string, SheetField> {
  const values: Record<string, unknown> = {
    agreement_execution_date: '2024-03-15',
    borrower_names: ['Harborview Logistics, Inc.'],
    guarantors: null,
    lender_parties: [{ role: 'Administrative Agent', name: 'First National Bank of Commerce' }],
    total_commitment: usd('150000000.00'),
    facility_details: [
      { facility_type: 'Revolving Credit Facility', commitment_amount: usd('100000000.00'), maturity_date: '2029-03-15' },
      { facility_type: 'Term Loan A', commitment_amount: usd('50000000'), maturity_date: '2029-03-15' },
      { facility_type: 'Letter of Credit Sublimit', commitment_amount: usd('20000000.00'), maturity_date: null },
    ],
    interest_rate_details: {
      base_rate_options: ['Term SOFR', 'Base Rate'],
      applicable_margins: [
        { rate_option: 'Term SOFR', margin: '2.00%', tier: null },
        { rate_option: 'Base Rate', margin: '100 bps', tier: null },
      ],
      rate_floor: '0%',
      default_rate: null,
    },
    key_fees: null,
    maturity_date_final: '2029-03-15',
    maturity_date_rule: null,
    governing_law: 'New York',
    definition_business_day: null,
    financial_covenants: null,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, field(v)]));
}

const rules = (fields: Record<string, SheetField>, schema = 'credit_agreement') => validateSheet(schema, fields).issues.map((i) => [i.rule, i.severity, i.fields[0]]);

describe('booking sheet validation rules', () => {
  it('passes a complete, consistent sheet (sublimits are not added to the total)', () => {
    const v = validateSheet('credit_agreement', creditAgreement());
    expect(v).toEqual({ approvable: true, error_count: 0, warning_count: 0, issues: [] });
  });

  it('requires the required fields before approval', () => {
    const v = validateSheet('credit_agreement', creditAgreement({ governing_law: null, borrower_names: null }));
    expect(v.approvable).toBe(false);
    expect(rules(creditAgreement({ governing_law: null, borrower_names: null }))).toEqual([
      ['required_before_approval', 'error', 'borrower_names'],
      ['required_before_approval', 'error', 'governing_law'],
    ]);
  });

  it('wants maturity after the agreement date, for the final and every facility maturity', () => {
    const fields = creditAgreement({ maturity_date_final: '2024-03-15' });
    expect(rules(fields)).toEqual([['maturity_after_agreement_date', 'error', 'maturity_date_final']]);
    const facilities = creditAgreement({
      facility_details: [{ facility_type: 'Term Loan A', commitment_amount: usd('150000000.00'), maturity_date: '2023-01-01' }],
    });
    expect(rules(facilities)).toEqual([['maturity_after_agreement_date', 'error', 'facility_details']]);
    // Unknown agreement date: nothing to compare with.
    expect(rules(creditAgreement({ agreement_execution_date: null, maturity_date_final: '2001-01-01' }))).toEqual([
      ['required_before_approval', 'error', 'agreement_execution_date'],
    ]);
  });

  it('wants a positive commitment equal to the sum of the facilities when both are known', () => {
    expect(rules(creditAgreement({ total_commitment: usd('0.00') }))).toEqual(
      expect.arrayContaining([['commitment_positive', 'error', 'total_commitment']]),
    );
    const mismatch = validateSheet('credit_agreement', creditAgreement({ total_commitment: usd('175000000') }));
    expect(mismatch.issues).toEqual([
      expect.objectContaining({
        rule: 'commitment_equals_facilities',
        severity: 'error',
        fields: ['total_commitment', 'facility_details'],
        message: 'total_commitment 175000000.00 USD differs from the sum of the facilities 150000000.00 USD',
      }),
    ]);
    // A facility without an amount, or in another currency: the sum is not known, no finding.
    const unknown = creditAgreement({
      total_commitment: usd('175000000'),
      facility_details: [
        { facility_type: 'Revolving Credit Facility', commitment_amount: null, maturity_date: null },
        { facility_type: 'Term Loan A', commitment_amount: usd('50000000'), maturity_date: null },
      ],
    });
    expect(rules(unknown)).toEqual([]);
  });

  it('checks decimal sums exactly, without floating point', () => {
    const fields = creditAgreement({
      total_commitment: usd('0.30'),
      facility_details: [
        { facility_type: 'A', commitment_amount: usd('0.1'), maturity_date: null },
        { facility_type: 'B', commitment_amount: usd('0.2'), maturity_date: null },
      ],
    });
    expect(rules(fields)).toEqual([]);
  });

  it('refuses currencies that are not ISO 4217 codes in use, and negative amounts', () => {
    const fields = creditAgreement({
      total_commitment: { amount: '150000000.00', currency: 'XYZ' },
      facility_details: [{ facility_type: 'A', commitment_amount: usd('-5.00'), maturity_date: null }],
    });
    expect(rules(fields)).toEqual([
      ['currency_valid', 'error', 'total_commitment'],
      ['amount_not_negative', 'error', 'facility_details'],
    ]);
  });

  it('keeps margins within a sane range, and warns about one it cannot read', () => {
    const margins = (margin: string) =>
      creditAgreement({ interest_rate_details: { base_rate_options: ['Term SOFR'], applicable_margins: [{ rate_option: 'Term SOFR', margin, tier: null }], rate_floor: null, default_rate: null } });
    expect(rules(margins('27.5%'))).toEqual([['margin_in_range', 'error', 'interest_rate_details']]);
    expect(rules(margins('-0.25%'))).toEqual([['margin_in_range', 'error', 'interest_rate_details']]);
    expect(rules(margins('Applicable Rate per pricing grid'))).toEqual([['margin_in_range', 'warning', 'interest_rate_details']]);
    const v = validateSheet('credit_agreement', margins('Applicable Rate per pricing grid'));
    expect(v.approvable).toBe(true);
    expect(v.warning_count).toBe(1);
  });

  it('flags an extracted value the documents disagree on, with every document\'s evidence, until a person sets it', () => {
    const evidence = [
      { document_id: 'doc-a', page: 2, quote: '$150,000,000', start: 10, end: 22 },
      { document_id: 'doc-b', page: 1, quote: '$175,000,000', start: 40, end: 52 },
    ];
    const conflicted = { ...creditAgreement(), total_commitment: field(usd('150000000.00'), { source: 'extracted', review_reasons: ['conflict'], evidence }) };
    const v = validateSheet('credit_agreement', conflicted);
    expect(v.issues).toEqual([
      expect.objectContaining({ rule: 'cross_document_consistency', severity: 'error', fields: ['total_commitment'], evidence }),
    ]);
    expect(v.issues[0]!.message).toContain('2 documents');
    const confirmed = { ...conflicted, total_commitment: field(usd('150000000.00')) };
    expect(validateSheet('credit_agreement', confirmed).issues).toEqual([]);
  });

  it('reports schema violations of stored values as blocking errors', () => {
    const v = validateSheet('credit_agreement', creditAgreement({ maturity_date_rule: '' }));
    expect(v.issues).toEqual([expect.objectContaining({ rule: 'field_schema', severity: 'error', fields: ['maturity_date_rule'] })]);
  });

  it('applies the date, amount and rate rules to the loan booking sheet schema', () => {
    const values: Record<string, unknown> = Object.fromEntries(EXTRACTION_SCHEMAS.loan_booking_sheet.fields.map((f) => [f, null]));
    Object.assign(values, {
      maturity_date: '2024-01-01',
      effective_date: '2024-06-01',
      total_loan_facility_amount: usd('-1'),
      accrual_rate: '40%',
      borrower_names: ['A'],
      lender_type: 'bank',
      governing_law: 'New York',
    });
    const fields = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, field(v)]));
    expect(rules(fields, 'loan_booking_sheet')).toEqual([
      ['maturity_after_agreement_date', 'error', 'maturity_date'],
      ['commitment_positive', 'error', 'total_loan_facility_amount'],
      ['margin_in_range', 'error', 'accrual_rate'],
    ]);
  });

  it('reads percentages and basis points', () => {
    expect(parsePercent('2.25%')).toBe(2.25);
    expect(parsePercent('1.75 % per annum')).toBe(1.75);
    expect(parsePercent('175 bps')).toBe(1.75);
    expect(parsePercent('50 basis points')).toBe(0.5);
    expect(parsePercent('Applicable Rate')).toBeUndefined();
  });
});
