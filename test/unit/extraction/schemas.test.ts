import { describe, expect, it } from 'vitest';
import {
  EXTRACTION_SCHEMAS,
  EXTRACTION_SCHEMA_FIELDS,
  REQUIRED_BEFORE_APPROVAL,
  getExtractionSchema,
  validateField,
  validateFields,
} from '../../../src/modules/extraction/schemas/index.js';
import { isAppError } from '../../../src/lib/errors.js';

const LEGACY_CREDIT_AGREEMENT = [
  'agreement_execution_date',
  'borrower_names',
  'lender_parties',
  'total_commitment',
  'facility_details',
  'interest_rate_details',
  'key_fees',
  'maturity_date_final',
  'governing_law',
  'definition_business_day',
  'guarantors',
  'financial_covenants',
];

const LEGACY_BOOKING_SHEET = [
  'maturity_date',
  'total_loan_facility_amount',
  'withheld_amount',
  'used_amount',
  'remaining_available_amount',
  'global_syndicated_amount',
  'maximum_takedown_amount',
  'prepayment_penalty',
  'associated_fees',
  'base_balance_type',
  'effective_date',
  'expiration_date',
  'expiration_schedule',
  'fee_accrual_start_date',
  'fee_calculation_method',
  'accrual_rate',
  'accrual_basis',
  'percentage_applied',
  'low_high_indicator',
  'pse_low_balance_threshold',
  'pse_high_balance_threshold',
  'facility_low_balance_threshold',
  'facility_high_balance_threshold',
  'next_due_date',
  'business_day_adjustment_rule',
  'due_date_end_of_month',
  'calendar_used',
  'pse_lead_days',
  'pse_billing_frequency',
  'pse_collection_instructions',
  'pse_bill_format',
  'pse_mailing_instructions',
  'billing_lead_days',
  'billing_frequency',
  'bill_handling',
  'bill_format',
  'mailing_instructions',
  'billing_address',
  'borrower_names',
  'investor',
  'lender_type',
  'sub_lender_type',
  'agent',
  'syndicate_agent',
  'participation',
  'collateral_details',
  'financial_covenants',
  'negative_covenants',
  'reporting_requirements',
  'events_of_default',
  'amendment_provisions',
  'assignment_provisions',
  'governing_law',
  'definition_business_day',
  'is_revolving_facility',
];

describe('extraction schemas', () => {
  it('has every legacy credit_agreement field', () => {
    for (const f of LEGACY_CREDIT_AGREEMENT) expect(EXTRACTION_SCHEMA_FIELDS.credit_agreement).toContain(f);
  });

  it('has exactly the 55 legacy loan_booking_sheet fields', () => {
    expect(LEGACY_BOOKING_SHEET).toHaveLength(55);
    expect([...EXTRACTION_SCHEMA_FIELDS.loan_booking_sheet].sort()).toEqual([...LEGACY_BOOKING_SHEET].sort());
  });

  it('describes every field, forbids extra properties and allows null everywhere', () => {
    for (const def of Object.values(EXTRACTION_SCHEMAS)) {
      expect(def.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect((def.schema as { additionalProperties?: boolean }).additionalProperties).toBe(false);
      for (const [field, sub] of Object.entries(def.schema.properties)) {
        expect((sub as { description?: string }).description, field).toBeTruthy();
        expect(validateField(def.name, field, null), field).toEqual([]);
      }
    }
  });

  it('lists the fields required before approval', () => {
    expect(REQUIRED_BEFORE_APPROVAL.credit_agreement).toEqual([
      'agreement_execution_date',
      'borrower_names',
      'lender_parties',
      'total_commitment',
      'maturity_date_final',
      'governing_law',
    ]);
    expect(REQUIRED_BEFORE_APPROVAL.loan_booking_sheet).toEqual([
      'maturity_date',
      'total_loan_facility_amount',
      'borrower_names',
      'lender_type',
      'governing_law',
    ]);
  });

  it('validates money as decimal string plus ISO currency', () => {
    expect(
      validateField('credit_agreement', 'total_commitment', { amount: '500000000.00', currency: 'USD' }),
    ).toEqual([]);
    expect(
      validateField('credit_agreement', 'total_commitment', { amount: 5e8, currency: 'USD' }),
    ).not.toEqual([]);
    expect(
      validateField('credit_agreement', 'total_commitment', { amount: '1,000', currency: 'usd' }),
    ).toHaveLength(2);
    expect(
      validateField('credit_agreement', 'total_commitment', { amount: '1', currency: 'USD', note: 'x' })[0],
    ).toMatch(/total_commitment/);
  });

  it('validates dates, parties, integers and booleans', () => {
    expect(validateField('credit_agreement', 'agreement_execution_date', '2024-03-15')).toEqual([]);
    expect(validateField('credit_agreement', 'agreement_execution_date', '2024-02-30')).not.toEqual([]);
    expect(validateField('credit_agreement', 'agreement_execution_date', 'March 15, 2024')).not.toEqual([]);
    expect(validateField('credit_agreement', 'lender_parties', [{ role: 'Lender', name: 'Bank' }])).toEqual(
      [],
    );
    expect(validateField('credit_agreement', 'lender_parties', [{ name: 'Bank' }])).not.toEqual([]);
    expect(validateField('loan_booking_sheet', 'pse_lead_days', 5)).toEqual([]);
    expect(validateField('loan_booking_sheet', 'pse_lead_days', 2.5)).not.toEqual([]);
    expect(validateField('loan_booking_sheet', 'is_revolving_facility', 'yes')).not.toEqual([]);
    expect(validateField('credit_agreement', 'governing_law', undefined)).not.toEqual([]);
    expect(validateField('credit_agreement', 'no_such_field', 'x')[0]).toMatch(/not a field/);
  });

  it('validates fields one by one so that one bad value does not discard the others', () => {
    const errors = validateFields('credit_agreement', {
      governing_law: 'New York',
      total_commitment: { amount: 'lots', currency: 'USD' },
      maturity_date_final: '2029-03-15',
    });
    expect(Object.keys(errors)).toEqual(['total_commitment']);
  });

  it('throws the catalogue error for an unknown schema', () => {
    let caught: unknown;
    try {
      getExtractionSchema('nope');
    } catch (err) {
      caught = err;
    }
    expect(isAppError(caught) && caught.code).toBe('EXTRACTION_SCHEMA_NOT_FOUND');
  });
});
