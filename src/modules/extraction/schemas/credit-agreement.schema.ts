import { Type } from 'typebox';
import { IsoDate, Money, NameList, Party, Text, nullable, strictObject } from './common.js';

/**
 * `credit_agreement`: the terms of a commercial credit agreement (or an amendment, note or term
 * sheet of one). Field names and meanings follow the legacy service's schema, including the later
 * variant's guarantors and financial covenants, so that existing consumers keep working.
 */
export const CREDIT_AGREEMENT_SCHEMA_VERSION = '1.0.0';

const FacilityDetail = strictObject({
  facility_type: Type.String({
    minLength: 1,
    description:
      'Kind of facility, e.g. "Revolving Credit Facility", "Term Loan A", "Letter of Credit Sublimit"',
  }),
  commitment_amount: nullable(Money, 'Commitment or sublimit amount of this facility'),
  maturity_date: nullable(IsoDate, 'Maturity date of this facility when it differs by facility'),
});

const ApplicableMargin = strictObject({
  rate_option: nullable(Text, 'Rate option the margin applies to, e.g. "Term SOFR", "Base Rate"'),
  margin: Type.String({ minLength: 1, description: 'Margin as a percentage per annum, e.g. "1.75%"' }),
  tier: nullable(
    Text,
    'Pricing level of a grid with its test, e.g. "Level I: Consolidated Leverage Ratio < 1.00:1.00"',
  ),
});

const InterestRateDetails = strictObject({
  base_rate_options: Type.Array(Type.String({ minLength: 1 }), {
    description: 'Benchmarks a loan may bear interest at, e.g. ["Term SOFR", "Base Rate"]',
  }),
  applicable_margins: nullable(
    Type.Array(ApplicableMargin, { minItems: 1 }),
    'Spreads over the benchmarks: fixed margins, or one entry per level and rate option of a pricing grid',
  ),
  rate_floor: nullable(Text, 'Floor on the benchmark, e.g. "0%"'),
  default_rate: nullable(
    Text,
    'Default interest, e.g. "2% per annum in excess of the rate otherwise applicable"',
  ),
});

const KeyFee = strictObject({
  fee_type: Type.String({
    minLength: 1,
    description: 'e.g. "Commitment Fee", "Letter of Credit Fee", "Fronting Fee"',
  }),
  fee_rate_or_amount: nullable(
    Text,
    'Rate or amount, e.g. "0.25% per annum", "Applicable Rate", "per Fee Letter"',
  ),
  payment_frequency: nullable(Text, 'When it is paid, e.g. "quarterly in arrears"'),
});

const FinancialCovenant = strictObject({
  covenant_type: Type.String({ minLength: 1, description: 'e.g. "Maximum Consolidated Leverage Ratio"' }),
  covenant_details: nullable(Text, 'The covenant as the document states it'),
  covenant_value: nullable(Text, 'Threshold, e.g. "3.50:1.00" or "$25000000.00"'),
  testing_frequency: nullable(Text, 'e.g. "Quarterly"'),
});

export const CreditAgreementSchema = strictObject({
  agreement_execution_date: nullable(IsoDate, 'Date the agreement is dated as of (its execution date)'),
  borrower_names: nullable(NameList, 'Legal names of every borrower and co-borrower'),
  guarantors: nullable(NameList, 'Legal names of the guarantors named in the document'),
  lender_parties: nullable(
    Type.Array(Party, { minItems: 1 }),
    'Lender-side parties with their roles: administrative agent, lenders, issuing banks, swing line lender, arrangers',
  ),
  total_commitment: nullable(Money, 'Aggregate commitments of all lenders at closing'),
  facility_details: nullable(
    Type.Array(FacilityDetail, { minItems: 1 }),
    'Each facility (revolving, term loans, sublimits) with its amount and maturity',
  ),
  interest_rate_details: nullable(InterestRateDetails, 'Benchmarks, margins, floor and default rate'),
  key_fees: nullable(Type.Array(KeyFee, { minItems: 1 }), 'Fees payable under the agreement'),
  maturity_date_final: nullable(IsoDate, 'Final maturity date of the credit (the latest facility maturity)'),
  maturity_date_rule: nullable(
    Text,
    'Maturity as the document words it when it is relative, e.g. "the fifth anniversary of the Closing Date"',
  ),
  governing_law: nullable(Text, 'Governing law jurisdiction, e.g. "New York"'),
  definition_business_day: nullable(Text, 'Verbatim definition of "Business Day"'),
  financial_covenants: nullable(
    Type.Array(FinancialCovenant, { minItems: 1 }),
    'Financial maintenance covenants with their thresholds and testing frequency',
  ),
});

/** Fields an analyst must have confirmed before a sheet built from this schema can be approved. */
export const CREDIT_AGREEMENT_REQUIRED = [
  'agreement_execution_date',
  'borrower_names',
  'lender_parties',
  'total_commitment',
  'maturity_date_final',
  'governing_law',
] as const;
