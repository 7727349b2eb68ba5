import type { Evidence } from '../extraction/engine.js';
import { REVIEW_REASONS } from '../extraction/engine.js';
import { getExtractionSchema, validateField } from '../extraction/schemas/index.js';
import type { SheetField, SheetValidation, ValidationIssue } from './booking-sheets.store.js';
import { isPlainObject } from './merge-patch.js';

/**
 * The rules every sheet version is checked against. Errors block approval; warnings only ask for
 * a reviewer's attention. Each rule states which fields it is about, so a client can show the
 * issue beside them.
 */
export const VALIDATION_RULES = {
  fieldSchema: 'field_schema',
  requiredBeforeApproval: 'required_before_approval',
  maturityAfterAgreement: 'maturity_after_agreement_date',
  commitmentPositive: 'commitment_positive',
  amountNotNegative: 'amount_not_negative',
  commitmentEqualsFacilities: 'commitment_equals_facilities',
  currencyValid: 'currency_valid',
  marginRange: 'margin_in_range',
  crossDocumentConsistency: 'cross_document_consistency',
} as const;

/** Margins (and accrual rates) outside this range of percent per annum are almost surely misread. */
export const MARGIN_RANGE_PERCENT = { min: 0, max: 15 } as const;

/** Codes of currencies in use (ISO 4217), from the runtime's ICU data. */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

interface Money {
  amount: string;
  currency: string;
}

function isMoney(value: unknown): value is Money {
  return isPlainObject(value) && typeof value.amount === 'string' && typeof value.currency === 'string';
}

/** Every Money object inside a value, with its JSON path (for messages). */
function moneyIn(value: unknown, path: string, out: { path: string; money: Money }[] = []): { path: string; money: Money }[] {
  if (isMoney(value)) out.push({ path, money: value });
  else if (Array.isArray(value)) value.forEach((v, i) => moneyIn(v, `${path}[${i}]`, out));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) moneyIn(v, `${path}.${k}`, out);
  return out;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** A decimal string as an integer count of 10^-scale units: exact, no float ever. */
function toUnits(amount: string, scale: number): bigint | undefined {
  const m = DECIMAL.exec(amount);
  if (!m) return undefined;
  const fraction = (m[3] ?? '').padEnd(scale, '0');
  if (fraction.length > scale) return undefined;
  const units = BigInt(`${m[2]}${fraction}`);
  return m[1] === '-' ? -units : units;
}

const scaleOf = (amount: string): number => DECIMAL.exec(amount)?.[3]?.length ?? 0;

function formatUnits(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${whole}` : whole;
}

/** "2.00%", "2 %", "200 bps", "200 basis points" as percent per annum; undefined when unreadable. */
export function parsePercent(text: string): number | undefined {
  const pct = /^\s*(-?\d+(?:\.\d+)?)\s*%/.exec(text) ?? /(-?\d+(?:\.\d+)?)\s*%/.exec(text);
  if (pct) return Number(pct[1]);
  const bps = /(-?\d+(?:\.\d+)?)\s*(?:bps|basis\s+points?)\b/i.exec(text);
  if (bps) return Number(bps[1]) / 100;
  return undefined;
}

/** Which fields play which part for the cross-field rules, per schema. */
const ROLES: Record<string, { agreementDate?: string; maturity?: string; effective?: string; expiration?: string; commitment?: string; facilities?: string; margins?: string; rates?: string[] }> = {
  credit_agreement: {
    agreementDate: 'agreement_execution_date',
    maturity: 'maturity_date_final',
    commitment: 'total_commitment',
    facilities: 'facility_details',
    margins: 'interest_rate_details',
  },
  loan_booking_sheet: {
    effective: 'effective_date',
    maturity: 'maturity_date',
    expiration: 'expiration_date',
    commitment: 'total_loan_facility_amount',
    rates: ['accrual_rate'],
  },
};

function issue(rule: string, severity: ValidationIssue['severity'], fields: string[], message: string, evidence: Evidence[] = []): ValidationIssue {
  return { rule, severity, fields, message, evidence };
}

/** Runs every rule over a sheet's current field values. */
export function validateSheet(schemaName: string, fields: Readonly<Record<string, SheetField>>): SheetValidation {
  const schema = getExtractionSchema(schemaName);
  const value = (f: string | undefined): unknown => (f === undefined ? null : (fields[f]?.value ?? null));
  const issues: ValidationIssue[] = [];

  for (const f of schema.fields) {
    const errors = validateField(schema.name, f, value(f));
    if (errors.length > 0) issues.push(issue(VALIDATION_RULES.fieldSchema, 'error', [f], errors.join('; ')));
  }
  for (const f of schema.required) {
    if (value(f) === null) issues.push(issue(VALIDATION_RULES.requiredBeforeApproval, 'error', [f], `${f} is required before approval`));
  }

  const roles = ROLES[schema.name] ?? {};
  const isDate = (v: unknown): v is string => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);
  const start = roles.agreementDate ?? roles.effective;
  const startDate = value(start);
  if (start && isDate(startDate)) {
    const maturity = value(roles.maturity);
    if (roles.maturity && isDate(maturity) && maturity <= startDate) {
      issues.push(issue(VALIDATION_RULES.maturityAfterAgreement, 'error', [roles.maturity, start], `${roles.maturity} (${maturity}) must be after ${start} (${startDate})`));
    }
    const expiration = value(roles.expiration);
    if (roles.expiration && isDate(expiration) && expiration <= startDate) {
      issues.push(issue(VALIDATION_RULES.maturityAfterAgreement, 'error', [roles.expiration, start], `${roles.expiration} (${expiration}) must be after ${start} (${startDate})`));
    }
    const facilities = value(roles.facilities);
    if (roles.facilities && Array.isArray(facilities)) {
      facilities.forEach((fac: unknown, i) => {
        const m = isPlainObject(fac) ? fac.maturity_date : undefined;
        if (isDate(m) && m <= startDate) {
          issues.push(issue(VALIDATION_RULES.maturityAfterAgreement, 'error', [roles.facilities!, start], `${roles.facilities}[${i}].maturity_date (${m}) must be after ${start} (${startDate})`));
        }
      });
    }
  }

  const commitment = value(roles.commitment);
  for (const f of schema.fields) {
    for (const { path, money } of moneyIn(value(f), f)) {
      if (!CURRENCIES.has(money.currency)) {
        issues.push(issue(VALIDATION_RULES.currencyValid, 'error', [f], `${path}.currency '${money.currency}' is not an ISO 4217 currency in use`));
      }
      const units = toUnits(money.amount, scaleOf(money.amount));
      if (units === undefined) continue;
      if (f === roles.commitment && path === f) {
        if (units <= 0n) issues.push(issue(VALIDATION_RULES.commitmentPositive, 'error', [f], `${f} must be positive`));
      } else if (units < 0n) {
        issues.push(issue(VALIDATION_RULES.amountNotNegative, 'error', [f], `${path}.amount must not be negative`));
      }
    }
  }

  const facilities = value(roles.facilities);
  if (roles.commitment && roles.facilities && isMoney(commitment) && Array.isArray(facilities) && facilities.length > 0) {
    // Sublimits (letters of credit, swing line) are carved out of a facility, not added to it.
    const counted = facilities.filter((f): f is Record<string, unknown> => isPlainObject(f) && !/sublimit/i.test(typeof f.facility_type === 'string' ? f.facility_type : ''));
    const amounts = counted.map((f) => f.commitment_amount);
    if (counted.length > 0 && amounts.every(isMoney) && amounts.every((m) => m.currency === commitment.currency)) {
      const scale = Math.max(scaleOf(commitment.amount), ...amounts.map((m) => scaleOf(m.amount)));
      const total = toUnits(commitment.amount, scale);
      const parts = amounts.map((m) => toUnits(m.amount, scale));
      if (total !== undefined && parts.every((p): p is bigint => p !== undefined)) {
        const sum = parts.reduce((a, b) => a + b, 0n);
        if (sum !== total) {
          issues.push(
            issue(
              VALIDATION_RULES.commitmentEqualsFacilities,
              'error',
              [roles.commitment, roles.facilities],
              `${roles.commitment} ${formatUnits(total, scale)} ${commitment.currency} differs from the sum of the facilities ${formatUnits(sum, scale)} ${commitment.currency}`,
            ),
          );
        }
      }
    }
  }

  const margins = value(roles.margins);
  const marginList = isPlainObject(margins) && Array.isArray(margins.applicable_margins) ? (margins.applicable_margins as unknown[]) : [];
  const checkRate = (field: string, label: string, text: unknown) => {
    if (typeof text !== 'string') return;
    const pct = parsePercent(text);
    if (pct === undefined) {
      issues.push(issue(VALIDATION_RULES.marginRange, 'warning', [field], `${label} '${text}' is not a readable percentage`));
    } else if (pct < MARGIN_RANGE_PERCENT.min || pct > MARGIN_RANGE_PERCENT.max) {
      issues.push(issue(VALIDATION_RULES.marginRange, 'error', [field], `${label} ${text} is outside the sane range ${MARGIN_RANGE_PERCENT.min}%-${MARGIN_RANGE_PERCENT.max}%`));
    }
  };
  marginList.forEach((m, i) => {
    if (isPlainObject(m)) checkRate(roles.margins!, `${roles.margins}.applicable_margins[${i}].margin`, m.margin);
  });
  for (const f of roles.rates ?? []) checkRate(f, f, value(f));

  for (const f of schema.fields) {
    const field = fields[f];
    if (!field || field.source !== 'extracted' || !field.review_reasons.includes(REVIEW_REASONS.conflict)) continue;
    const documents = new Set(field.evidence.map((e) => e.document_id));
    issues.push(
      issue(
        VALIDATION_RULES.crossDocumentConsistency,
        'error',
        [f],
        `the documents disagree on ${f} (${documents.size} documents); confirm or correct the value`,
        field.evidence,
      ),
    );
  }

  const errorCount = issues.filter((i) => i.severity === 'error').length;
  return { approvable: errorCount === 0, error_count: errorCount, warning_count: issues.length - errorCount, issues };
}
