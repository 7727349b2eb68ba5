import { Type } from 'typebox';
import type { TSchema } from 'typebox';

/**
 * Building blocks shared by the extraction schemas. Every field of an extraction result may be
 * null: an engine that cannot find a value must say so instead of guessing, and a reviewer fills
 * it in later. `nullable` keeps the non-null branch first so that per-field validation can check a
 * value against it alone and report errors without the noise of the `null` branch.
 */

export const DECIMAL_PATTERN = '^-?\\d+(\\.\\d+)?$';
export const CURRENCY_PATTERN = '^[A-Z]{3}$';

export function nullable<T extends TSchema>(schema: T, description: string) {
  return Type.Union([schema, Type.Null()], { description });
}

/** Money is never a float: a decimal string plus an ISO 4217 currency code. */
export const Money = Type.Object(
  {
    amount: Type.String({ pattern: DECIMAL_PATTERN, description: 'Decimal amount, e.g. "500000000.00"' }),
    currency: Type.String({ pattern: CURRENCY_PATTERN, description: 'ISO 4217 currency code, e.g. "USD"' }),
  },
  { additionalProperties: false },
);

/** ISO 8601 calendar date (YYYY-MM-DD); the `date` format also rejects impossible dates. */
export const IsoDate = Type.String({ format: 'date', description: 'ISO 8601 date, YYYY-MM-DD' });

export const Text = Type.String({ minLength: 1 });

export const NameList = Type.Array(Type.String({ minLength: 1 }), { minItems: 1 });

export const Party = Type.Object(
  {
    role: Type.String({
      minLength: 1,
      description: 'Role as the document states it, e.g. "Administrative Agent", "Lender", "L/C Issuer"',
    }),
    name: Type.String({ minLength: 1, description: 'Legal name of the party as written in the document' }),
  },
  { additionalProperties: false },
);

export function strictObject<P extends Record<string, TSchema>>(properties: P) {
  return Type.Object(properties, { additionalProperties: false });
}
