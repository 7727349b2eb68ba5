import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Validator } from 'typebox/compile';
import { AppError } from '../../../lib/errors.js';
import {
  CREDIT_AGREEMENT_REQUIRED,
  CREDIT_AGREEMENT_SCHEMA_VERSION,
  CreditAgreementSchema,
} from './credit-agreement.schema.js';
import {
  LOAN_BOOKING_SHEET_REQUIRED,
  LOAN_BOOKING_SHEET_SCHEMA_VERSION,
  LoanBookingSheetSchema,
} from './loan-booking-sheet.schema.js';


export type ExtractionSchemaName = 'credit_agreement' | 'loan_booking_sheet';

export interface ExtractionSchemaDefinition {
  name: ExtractionSchemaName;
  version: string;
  title: string;
  description: string;
  /** The whole result object: every field present, each one nullable. */
  schema: TSchema & { properties: Record<string, TSchema> };
  /** Fields that must hold a confirmed value before a sheet can be approved. */
  required: string[];
  /** Field names in the schema's own order. */
  fields: string[];
}

function define(
  name: ExtractionSchemaName,
  version: string,
  title: string,
  description: string,
  schema: TSchema & { properties: Record<string, TSchema> },
  required: readonly string[],
): ExtractionSchemaDefinition {
  return Object.freeze({
    name,
    version,
    title,
    description,
    schema,
    required: [...required],
    fields: Object.keys(schema.properties),
  });
}

export const EXTRACTION_SCHEMAS: Readonly<Record<ExtractionSchemaName, ExtractionSchemaDefinition>> =
  Object.freeze({
    credit_agreement: define(
      'credit_agreement',
      CREDIT_AGREEMENT_SCHEMA_VERSION,
      'Credit agreement',
      'Key terms of a commercial credit agreement: parties, amounts, maturity, pricing, fees, covenants and law.',
      CreditAgreementSchema,
      CREDIT_AGREEMENT_REQUIRED,
    ),
    loan_booking_sheet: define(
      'loan_booking_sheet',
      LOAN_BOOKING_SHEET_SCHEMA_VERSION,
      'Loan booking sheet',
      'The 55 fields an analyst keys into the core loan system when boarding a commercial loan.',
      LoanBookingSheetSchema,
      LOAN_BOOKING_SHEET_REQUIRED,
    ),
  });

export const EXTRACTION_SCHEMA_NAMES = Object.keys(EXTRACTION_SCHEMAS) as ExtractionSchemaName[];

export const EXTRACTION_SCHEMA_FIELDS: Readonly<Record<ExtractionSchemaName, readonly string[]>> =
  Object.freeze({
    credit_agreement: EXTRACTION_SCHEMAS.credit_agreement.fields,
    loan_booking_sheet: EXTRACTION_SCHEMAS.loan_booking_sheet.fields,
  });

export const REQUIRED_BEFORE_APPROVAL: Readonly<Record<ExtractionSchemaName, readonly string[]>> =
  Object.freeze({
    credit_agreement: EXTRACTION_SCHEMAS.credit_agreement.required,
    loan_booking_sheet: EXTRACTION_SCHEMAS.loan_booking_sheet.required,
  });

export function isExtractionSchemaName(name: string): name is ExtractionSchemaName {
  return Object.prototype.hasOwnProperty.call(EXTRACTION_SCHEMAS, name);
}

/** Returns the schema definition or throws the catalogue's not-found error. */
export function getExtractionSchema(name: string): ExtractionSchemaDefinition {
  if (!isExtractionSchemaName(name)) {
    throw new AppError('EXTRACTION_SCHEMA_NOT_FOUND', `Unknown extraction schema '${name}'`, {
      details: { schema: name, known: EXTRACTION_SCHEMA_NAMES },
    });
  }
  return EXTRACTION_SCHEMAS[name];
}

/**
 * Validators per field, compiled lazily and cached: each field is checked on its own so that one
 * invalid value never discards the others (the legacy service threw away a whole extraction for a
 * single violation). The non-null branch is compiled separately so that errors for a wrong value
 * read "amount: must match pattern" rather than also "must be null".
 */
const validators = new Map<string, { nonNull: Validator }>();

function fieldValidator(schemaName: ExtractionSchemaName, field: string): { nonNull: Validator } | undefined {
  const key = `${schemaName}.${field}`;
  const cached = validators.get(key);
  if (cached) return cached;
  const fieldSchema = EXTRACTION_SCHEMAS[schemaName].schema.properties[field];
  if (!fieldSchema) return undefined;
  const anyOf = (fieldSchema as { anyOf?: TSchema[] }).anyOf;
  const nonNullSchema =
    anyOf?.find((branch) => (branch as { type?: unknown }).type !== 'null') ?? fieldSchema;
  const entry = { nonNull: Compile(nonNullSchema) };
  validators.set(key, entry);
  return entry;
}

/** Validates one field's value against its sub-schema; returns error messages, empty when valid. */
export function validateField(schemaName: string, field: string, value: unknown): string[] {
  const schema = getExtractionSchema(schemaName);
  const validator = fieldValidator(schema.name, field);
  if (!validator) return [`${field}: is not a field of schema '${schema.name}'`];
  if (value === null) return [];
  if (value === undefined) return [`${field}: must be present (use null for an absent value)`];
  if (validator.nonNull.Check(value)) return [];
  const messages = validator.nonNull
    .Errors(value)
    // anyOf/oneOf summaries repeat what their branches already said.
    .filter((error) => error.keyword !== 'anyOf' && error.keyword !== 'oneOf')
    .map((error) => `${field}${error.instancePath}: ${error.message}`);
  return messages.length > 0 ? [...new Set(messages)] : [`${field}: is not valid`];
}

/** Validates every field of a result object; returns errors keyed by field (only invalid fields). */
export function validateFields(
  schemaName: string,
  values: Record<string, unknown>,
): Record<string, string[]> {
  const schema = getExtractionSchema(schemaName);
  const errors: Record<string, string[]> = {};
  for (const key of Object.keys(values)) {
    const fieldErrors = validateField(schema.name, key, values[key]);
    if (fieldErrors.length > 0) errors[key] = fieldErrors;
  }
  return errors;
}
