import { validationError } from './errors.js';

// eslint-disable-next-line no-control-regex -- removing control characters is the point
const UNSAFE_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/**
 * A name or description a client sent, ready to store and show: NFC, trimmed, without control
 * characters (PostgreSQL text and jsonb refuse NUL outright, which surfaced as a 500) or bidi
 * controls (they make a name read differently from what is stored). Line breaks and tabs stay.
 * Throws VALIDATION_FAILED naming the field when nothing visible is left.
 */
export function cleanText(raw: string, field: string): string {
  const text = raw.normalize('NFC').replace(UNSAFE_TEXT, '').trim();
  if (text.length === 0) throw validationError({ [field]: ['must contain visible characters'] });
  return text;
}
