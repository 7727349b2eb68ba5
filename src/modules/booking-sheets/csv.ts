import type { SheetField } from './booking-sheets.store.js';

/**
 * Characters that make a spreadsheet read a cell as a formula (CSV injection, OWASP): a cell that
 * starts with one of them, even after leading spaces, gets a leading apostrophe so it stays text.
 */
const FORMULA_START = /^\s*[=+\-@\t\r]/;

export function csvCell(raw: string): string {
  const text = FORMULA_START.test(raw) ? `'${raw}` : raw;
  return `"${text.replace(/"/g, '""')}"`;
}

export function csvRow(cells: string[]): string {
  return cells.map(csvCell).join(',');
}

function display(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export const CSV_COLUMNS = ['field', 'value', 'source', 'confidence', 'needs_review', 'review_reasons', 'validation_errors', 'evidence'];

/** One row per field, in the schema's order; structured values as JSON text. CRLF line ends (RFC 4180). */
export function sheetToCsv(fieldOrder: readonly string[], fields: Readonly<Record<string, SheetField>>): string {
  const lines = [csvRow(CSV_COLUMNS)];
  for (const name of fieldOrder) {
    const f = fields[name];
    if (!f) continue;
    lines.push(
      csvRow([
        name,
        display(f.value),
        f.source,
        f.confidence === null ? '' : String(f.confidence),
        String(f.needs_review),
        f.review_reasons.join('; '),
        f.validation_errors.join('; '),
        f.evidence.map((e) => `${e.document_id} p.${e.page}: ${e.quote}`).join(' | '),
      ]),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
