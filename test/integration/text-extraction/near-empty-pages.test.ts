import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractText } from '../../../src/lib/text-extraction/index.js';
import { makeTextPdf } from '../../helpers/fixtures.js';

// Regression: on Node 20, pdf.js needed ArrayBuffer.prototype.transferToFixedLength to render a page
// with a system font; the second near-empty page (rendered for OCR) never finished.
describe('PDF with several near-empty pages', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cls-pdf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders and reads every page', async () => {
    const file = path.join(dir, 'two.pdf');
    writeFileSync(file, makeTextPdf(['TERM SHEET one', 'page two']));
    const result = await extractText(file, 'pdf', {});
    expect(result.pageCount).toBe(2);
    expect(result.pages.map((p) => p.text)).toEqual(['TERM SHEET one', 'page two']);
  }, 120_000);
});
