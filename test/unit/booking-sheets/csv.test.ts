import { describe, expect, it } from 'vitest';
import type { SheetField } from '../../../src/modules/booking-sheets/booking-sheets.store.js';
import { csvCell, sheetToCsv } from '../../../src/modules/booking-sheets/csv.js';

const field = (value: unknown, extra: Partial<SheetField> = {}): SheetField => ({
  value,
  source: 'extracted',
  confidence: 0.9,
  evidence: [],
  engine: 'rules',
  needs_review: false,
  review_reasons: [],
  validation_errors: [],
  extracted_value: value,
  updated_by: 'u',
  updated_at: '2030-01-01T00:00:00.000Z',
  ...extra,
});

describe('CSV export', () => {
  it('quotes every cell and doubles quotes inside (RFC 4180)', () => {
    expect(csvCell('plain')).toBe('"plain"');
    expect(csvCell('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    expect(csvCell('')).toBe('""');
  });

  it('neutralises cells a spreadsheet would run as formulas (= + - @ tab CR), also after leading spaces', () => {
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe('"\'=HYPERLINK(""http://evil"",""x"")"');
    expect(csvCell('+1+cmd|\' /C calc\'!A0')).toBe(`"'+1+cmd|' /C calc'!A0"`);
    expect(csvCell('-2+3')).toBe(`"'-2+3"`);
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvCell('\t=1')).toBe(`"'\t=1"`);
    expect(csvCell('\r=1')).toBe(`"'\r=1"`);
    expect(csvCell('   =1+1')).toBe(`"'   =1+1"`);
    expect(csvCell('New York')).toBe('"New York"');
    expect(csvCell('a=b')).toBe('"a=b"');
  });

  it('writes one row per field in schema order, with structured values as JSON and evidence as text', () => {
    const csv = sheetToCsv(['governing_law', 'total_commitment', 'borrower_names', 'missing'], {
      total_commitment: field(
        { amount: '150000000.00', currency: 'USD' },
        { evidence: [{ document_id: 'doc-1', page: 2, quote: '$150,000,000', start: 1, end: 13 }] },
      ),
      governing_law: field('New York'),
      borrower_names: field(['=cmd|calc'], { source: 'manual', confidence: null, needs_review: true, review_reasons: ['conflict', 'low_confidence'] }),
    });
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('"field","value","source","confidence","needs_review","review_reasons","validation_errors","evidence"');
    expect(lines[1]).toBe('"governing_law","New York","extracted","0.9","false","","",""');
    expect(lines[2]).toBe('"total_commitment","{""amount"":""150000000.00"",""currency"":""USD""}","extracted","0.9","false","","","doc-1 p.2: $150,000,000"');
    // JSON text of a list starts with "[": not a formula, but its contents never run either way.
    expect(lines[3]).toBe('"borrower_names","[""=cmd|calc""]","manual","","true","conflict; low_confidence","",""');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('');
  });
});
