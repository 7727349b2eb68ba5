import { Type } from 'typebox';
import { IsoDate, Money, NameList, Text, nullable, strictObject } from './common.js';

/**
 * `loan_booking_sheet`: the 55 fields an analyst keys into the core loan system (the legacy
 * "boarding sheet"). Amounts are Money rather than the legacy "number or text" so that no amount
 * is ever a float; day counts are integers; flags are booleans.
 */
export const LOAN_BOOKING_SHEET_SCHEMA_VERSION = '1.0.0';

const Int = Type.Integer({ minimum: 0 });
const Bool = Type.Boolean();

export const LoanBookingSheetSchema = strictObject({
  // Amounts and facility
  maturity_date: nullable(IsoDate, 'Final maturity date of the loan or facility'),
  total_loan_facility_amount: nullable(Money, 'Total facility amount (aggregate commitments)'),
  withheld_amount: nullable(Money, 'Amount withheld from availability'),
  used_amount: nullable(Money, 'Amount drawn or used'),
  remaining_available_amount: nullable(Money, 'Amount still available to draw'),
  global_syndicated_amount: nullable(Money, 'Total amount of the syndicated facility across all lenders'),
  maximum_takedown_amount: nullable(Money, 'Largest amount that may be drawn at once'),
  prepayment_penalty: nullable(Bool, 'Whether voluntary prepayment carries a premium or penalty'),
  associated_fees: nullable(
    Type.Array(
      strictObject({
        fee_type: Type.String({ minLength: 1, description: 'e.g. "Commitment Fee"' }),
        fee_amount: nullable(Text, 'Rate or amount, e.g. "0.25% per annum"'),
      }),
      { minItems: 1 },
    ),
    'Fees associated with the facility',
  ),
  // Fee accrual
  base_balance_type: nullable(Text, 'Balance the fee accrues on, e.g. "unused commitment"'),
  effective_date: nullable(IsoDate, 'Date the facility or fee becomes effective'),
  expiration_date: nullable(IsoDate, 'Date the facility or fee expires'),
  expiration_schedule: nullable(Text, 'Schedule of commitment reductions or expirations'),
  fee_accrual_start_date: nullable(IsoDate, 'Date fees start to accrue'),
  fee_calculation_method: nullable(Text, 'How the fee is calculated'),
  accrual_rate: nullable(Text, 'Fee accrual rate, e.g. "0.25%"'),
  accrual_basis: nullable(Text, 'Day-count basis, e.g. "Actual/360", "30/360"'),
  percentage_applied: nullable(Text, 'Percentage applied to the base balance'),
  low_high_indicator: nullable(Text, 'Whether the low or the high balance is used'),
  pse_low_balance_threshold: nullable(Money, 'Payment settlement entity low balance threshold'),
  pse_high_balance_threshold: nullable(Money, 'Payment settlement entity high balance threshold'),
  facility_low_balance_threshold: nullable(Money, 'Facility low balance threshold'),
  facility_high_balance_threshold: nullable(Money, 'Facility high balance threshold'),
  // Scheduling
  next_due_date: nullable(IsoDate, 'Next payment due date'),
  business_day_adjustment_rule: nullable(
    Text,
    'Business day convention, e.g. "Following", "Modified Following"',
  ),
  due_date_end_of_month: nullable(Bool, 'Whether payments fall due at the end of the month'),
  calendar_used: nullable(Text, 'Holiday calendar used, e.g. "New York"'),
  // Billing
  pse_lead_days: nullable(Int, 'Days ahead of due date that the payment settlement entity is billed'),
  pse_billing_frequency: nullable(Text, 'Billing frequency for the payment settlement entity'),
  pse_collection_instructions: nullable(Text, 'Collection instructions for the payment settlement entity'),
  pse_bill_format: nullable(Text, 'Bill format for the payment settlement entity'),
  pse_mailing_instructions: nullable(Text, 'Mailing instructions for the payment settlement entity'),
  billing_lead_days: nullable(Int, 'Days ahead of due date that the borrower is billed'),
  billing_frequency: nullable(Text, 'Billing frequency, e.g. "Quarterly"'),
  bill_handling: nullable(Text, 'How bills are handled'),
  bill_format: nullable(Text, 'Bill format'),
  mailing_instructions: nullable(Text, 'Mailing instructions'),
  billing_address: nullable(Text, 'Billing address'),
  // Parties
  borrower_names: nullable(NameList, 'Legal names of the borrowers'),
  investor: nullable(Text, 'Investor holding the loan'),
  lender_type: nullable(Text, 'Kind of lender, e.g. "bank", "credit union"'),
  sub_lender_type: nullable(Text, 'Sub-type of lender'),
  agent: nullable(Text, 'Administrative agent'),
  syndicate_agent: nullable(Text, 'Syndication agent'),
  participation: nullable(
    Type.Array(
      strictObject({
        participant_name: Type.String({ minLength: 1 }),
        participation_amount: nullable(Money, 'Amount of the participation'),
      }),
      { minItems: 1 },
    ),
    'Participants and their shares',
  ),
  // Terms
  collateral_details: nullable(
    Type.Array(
      strictObject({
        collateral_type: Type.String({
          minLength: 1,
          description: 'e.g. "substantially all personal property"',
        }),
        collateral_value: nullable(Text, 'Stated value of the collateral'),
        security_agreement: nullable(Text, 'Security document granting the lien'),
      }),
      { minItems: 1 },
    ),
    'Collateral securing the loan',
  ),
  financial_covenants: nullable(
    Type.Array(
      strictObject({
        covenant_type: Type.String({ minLength: 1 }),
        covenant_value: nullable(Text, 'Threshold, e.g. "3.50:1.00"'),
        testing_frequency: nullable(Text, 'e.g. "Quarterly"'),
      }),
      { minItems: 1 },
    ),
    'Financial maintenance covenants',
  ),
  negative_covenants: nullable(
    Type.Array(
      strictObject({
        covenant_description: Type.String({ minLength: 1 }),
        applicable_to: nullable(Text, 'Who the covenant binds'),
      }),
      { minItems: 1 },
    ),
    'Negative covenants',
  ),
  reporting_requirements: nullable(
    Type.Array(
      strictObject({
        report_type: Type.String({ minLength: 1 }),
        reporting_frequency: nullable(Text, 'e.g. "Quarterly"'),
        recipient: nullable(Text, 'Who receives the report'),
      }),
      { minItems: 1 },
    ),
    'Reports the borrower must deliver',
  ),
  events_of_default: nullable(
    Type.Array(
      strictObject({
        event_description: Type.String({ minLength: 1 }),
        remedy: nullable(Text, 'Remedy available on the event'),
      }),
      { minItems: 1 },
    ),
    'Events of default',
  ),
  amendment_provisions: nullable(
    Type.Array(
      strictObject({
        amendment_type: Type.String({ minLength: 1 }),
        amendment_description: nullable(Text, 'What the amendment changes'),
        effective_date: nullable(IsoDate, 'When the amendment takes effect'),
      }),
      { minItems: 1 },
    ),
    'Amendment provisions',
  ),
  assignment_provisions: nullable(
    Type.Array(
      strictObject({
        assignee: Type.String({
          minLength: 1,
          description: 'Who may take an assignment, e.g. "Eligible Assignee"',
        }),
        assignment_conditions: nullable(Text, 'Conditions of assignment'),
      }),
      { minItems: 1 },
    ),
    'Assignment provisions',
  ),
  governing_law: nullable(Text, 'Governing law jurisdiction, e.g. "New York"'),
  definition_business_day: nullable(Text, 'Verbatim definition of "Business Day"'),
  is_revolving_facility: nullable(Bool, 'Whether the facility is revolving'),
});

export const LOAN_BOOKING_SHEET_REQUIRED = [
  'maturity_date',
  'total_loan_facility_amount',
  'borrower_names',
  'lender_type',
  'governing_law',
] as const;
