import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import {
  classifyDocument,
  createOcrEngine,
  extractText,
  type ExtractOptions,
  type FileKind,
  type OcrEngine,
} from '../../../src/lib/text-extraction/index.js';
import {
  createFixtureDir,
  makeDocx,
  makeEncryptedPdf,
  makeGarbagePdf,
  makeJpeg,
  makeMixedPdf,
  makePng,
  makeScannedPdf,
  makeTextPdf,
  makeTiff,
  makeZip,
  type FixtureDir,
} from '../../helpers/fixtures.js';

// Real tesseract: one engine for the file, wrapped to count how often it is asked to read.
let engine: OcrEngine;
let ocrCalls = 0;
const countingEngine: OcrEngine = {
  async recognize(image) {
    ocrCalls++;
    return engine.recognize(image);
  },
  close: () => engine.close(),
};

let dir: FixtureDir;
beforeAll(async () => {
  dir = await createFixtureDir('text-extract-');
  engine = createOcrEngine();
});
afterAll(async () => {
  await engine.close();
  await dir.remove();
});

async function extract(name: string, data: Buffer, kind: FileKind, options: ExtractOptions = {}) {
  const path = await dir.write(name, data);
  return extractText(path, kind, { ocr: countingEngine, ...options });
}

async function refusalReason(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) {
      expect(err.code).toBe('UNPROCESSABLE_DOCUMENT');
      return err.details?.reason;
    }
    throw err;
  }
  throw new Error('expected the document to be refused');
}

/** OCR output compared loosely: upper-cased, so a few distinctive words are enough. */
function expectWords(text: string, words: string[]): void {
  const upper = text.toUpperCase();
  for (const word of words) expect(upper).toContain(word.toUpperCase());
}

describe('extractText: PDF', () => {
  it('reads the text layer page by page without OCR', async () => {
    const before = ocrCalls;
    const result = await extract(
      'text.pdf',
      makeTextPdf([
        'CREDIT AGREEMENT\ndated as of March 1, 2024\namong ACME CORP. (the "Borrower")',
        'ARTICLE I\nDEFINITIONS AND ACCOUNTING TERMS',
      ]),
      'pdf',
    );
    expect(result.pageCount).toBe(2);
    expect(result.ocrPages).toBe(0);
    expect(result.pages.map((p) => p.method)).toEqual(['text-layer', 'text-layer']);
    expect(result.pages[0]).toEqual({
      page: 1,
      method: 'text-layer',
      text: 'CREDIT AGREEMENT\ndated as of March 1, 2024\namong ACME CORP. (the "Borrower")',
    });
    expect(result.pages[1]?.text).toBe('ARTICLE I\nDEFINITIONS AND ACCOUNTING TERMS');
    expect(ocrCalls).toBe(before);
    expect(classifyDocument(result.pages).type).toBe('credit_agreement');
  });

  it('OCRs a scanned PDF that has no text layer, reusing one engine', async () => {
    const before = ocrCalls;
    const result = await extract(
      'scan.pdf',
      await makeScannedPdf([
        'PROMISSORY NOTE\nFOR VALUE RECEIVED the undersigned promises to pay',
        'SECURITY AGREEMENT\nCollateral includes all inventory',
      ]),
      'pdf',
    );
    expect(result.pageCount).toBe(2);
    expect(result.ocrPages).toBe(2);
    expect(result.pages.map((p) => p.method)).toEqual(['ocr', 'ocr']);
    expectWords(result.pages[0]!.text, ['PROMISSORY', 'RECEIVED', 'undersigned']);
    expectWords(result.pages[1]!.text, ['SECURITY', 'Collateral', 'inventory']);
    expect(ocrCalls - before).toBe(2);
    expect(classifyDocument(result.pages).type).toBe('promissory_note');
  });

  it('OCRs only the pages of a mixed PDF that lack text', async () => {
    const before = ocrCalls;
    const result = await extract(
      'mixed.pdf',
      await makeMixedPdf([
        'AMENDMENT NO. 2 TO CREDIT AGREEMENT\nThis Amendment is dated as of May 1, 2024',
        { scan: 'SIGNATURE PAGE\nFIRST NATIONAL BANK as Lender' },
      ]),
      'pdf',
    );
    expect(result.pages.map((p) => p.method)).toEqual(['text-layer', 'ocr']);
    expect(result.ocrPages).toBe(1);
    expect(ocrCalls - before).toBe(1);
    expectWords(result.pages[1]!.text, ['SIGNATURE', 'NATIONAL', 'Lender']);
    expect(classifyDocument(result.pages).type).toBe('amendment');
  });

  it('creates and closes its own engine when none is passed', async () => {
    const path = await dir.write('own.pdf', await makeScannedPdf(['TERM SHEET\nIndicative pricing']));
    const result = await extractText(path, 'pdf');
    expectWords(result.pages[0]!.text, ['TERM', 'SHEET', 'pricing']);
  });

  it('refuses more pages, or more pages needing OCR, than allowed', async () => {
    expect(await refusalReason(extract('p.pdf', makeTextPdf(['a', 'b', 'c']), 'pdf', { maxPages: 2 }))).toBe(
      'too_many_pages',
    );
    const before = ocrCalls;
    const scan = await makeScannedPdf(['ONE', 'TWO']);
    expect(await refusalReason(extract('o.pdf', scan, 'pdf', { maxOcrPages: 1 }))).toBe('too_many_ocr_pages');
    expect(ocrCalls).toBe(before);
  });

  it('refuses encrypted and unparseable PDFs', async () => {
    expect(await refusalReason(extract('e.pdf', makeEncryptedPdf(), 'pdf'))).toBe('encrypted_pdf');
    expect(await refusalReason(extract('g.pdf', makeGarbagePdf(), 'pdf'))).toBe('malformed_pdf');
  });

  it('stops between pages when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('job cancelled'));
    await expect(extract('a.pdf', makeTextPdf(['x']), 'pdf', { signal: controller.signal })).rejects.toThrow(
      'job cancelled',
    );
    const before = ocrCalls;
    const late = new AbortController();
    const aborting: OcrEngine = {
      async recognize(image) {
        const text = await countingEngine.recognize(image);
        late.abort(new Error('deadline'));
        return text;
      },
      close: async () => {},
    };
    const scan = await makeScannedPdf(['ONE', 'TWO', 'THREE']);
    const path = await dir.write('late.pdf', scan);
    await expect(extractText(path, 'pdf', { ocr: aborting, signal: late.signal })).rejects.toThrow(
      'deadline',
    );
    expect(ocrCalls - before).toBe(1);
  });
});

describe('extractText: DOCX, HTML and plain text', () => {
  it('reads DOCX paragraphs and splits pages on explicit page breaks', async () => {
    const result = await extract(
      'a.docx',
      makeDocx([
        'PLEDGE AND SECURITY AGREEMENT',
        'dated as of June 1, 2024',
        '\f',
        'Section 1.  Grant   of Security',
      ]),
      'docx',
    );
    expect(result).toEqual({
      pageCount: 2,
      ocrPages: 0,
      pages: [
        { page: 1, method: 'docx', text: 'PLEDGE AND SECURITY AGREEMENT\n\ndated as of June 1, 2024' },
        { page: 2, method: 'docx', text: 'Section 1. Grant of Security' },
      ],
    });
    expect(classifyDocument(result.pages).type).toBe('security_agreement');
  });

  it('refuses a zip mammoth cannot read as Word', async () => {
    const zip = makeZip([{ name: 'readme.txt', data: Buffer.from('hello') }]);
    expect(await refusalReason(extract('bad.docx', zip, 'docx'))).toBe('malformed_docx');
  });

  it('turns HTML into one page of visible text', async () => {
    const html =
      '<!doctype html><html><head><title>Term Sheet</title><script>alert(1)</script></head>' +
      '<body><h1>SUMMARY OF TERMS AND CONDITIONS</h1><p>Borrower:&nbsp;ACME &amp; Sons</p></body></html>';
    const result = await extract('a.html', Buffer.from(html), 'html');
    expect(result).toEqual({
      pageCount: 1,
      ocrPages: 0,
      pages: [
        {
          page: 1,
          method: 'html',
          text: 'Term Sheet\n\nSUMMARY OF TERMS AND CONDITIONS\n\nBorrower: ACME & Sons',
        },
      ],
    });
  });

  it('splits plain text on form feeds and normalises it', async () => {
    const text = '\uFEFFPage one\u202E   text\r\n\fPage two\u0000\f';
    const result = await extract('a.txt', Buffer.from(text), 'text');
    expect(result.pages).toEqual([
      { page: 1, method: 'plain', text: 'Page one text' },
      { page: 2, method: 'plain', text: 'Page two' },
    ]);
    expect(await refusalReason(extract('b.txt', Buffer.from('a\fb\fc'), 'text', { maxPages: 2 }))).toBe(
      'too_many_pages',
    );
    expect(await refusalReason(extract('c.txt', Buffer.from('abcdef'), 'text', { maxBytes: 3 }))).toBe(
      'too_large',
    );
  });
});

describe('extractText: images', () => {
  it('OCRs PNG and JPEG', async () => {
    const png = await extract('a.png', await makePng('GUARANTY AGREEMENT\nHOLDINGS LIMITED'), 'png');
    expect(png.pageCount).toBe(1);
    expect(png.ocrPages).toBe(1);
    expect(png.pages[0]?.method).toBe('ocr');
    expectWords(png.pages[0]!.text, ['GUARANTY', 'HOLDINGS']);
    const jpeg = await extract('a.jpg', await makeJpeg('Maturity Date December 2029'), 'jpeg');
    expectWords(jpeg.pages[0]!.text, ['Maturity', 'December']);
  });

  it('OCRs every page of a multi-page TIFF, in either byte order and codec', async () => {
    const lzw = await extract(
      'a.tif',
      await makeTiff(['FIRST PAGE Borrower', 'SECOND PAGE Lender'], { byteOrder: 'MM', compression: 5 }),
      'tiff',
    );
    expect(lzw.pageCount).toBe(2);
    expect(lzw.ocrPages).toBe(2);
    expectWords(lzw.pages[0]!.text, ['FIRST', 'Borrower']);
    expectWords(lzw.pages[1]!.text, ['SECOND', 'Lender']);
    const fax = await extract(
      'b.tif',
      await makeTiff(['Collateral Agent'], { color: 'bilevel', compression: 32773 }),
      'tiff',
    );
    expectWords(fax.pages[0]!.text, ['Collateral', 'Agent']);
  });

  it('refuses an image whose pixel data does not decode, and keeps the engine usable', async () => {
    const corrupt = Buffer.from(await makePng('Hello'));
    corrupt.fill(0x41, 60, corrupt.length - 20);
    expect(await refusalReason(extract('corrupt.png', corrupt, 'png'))).toBe('malformed_image');
    const after = await extract('after.png', await makePng('Revolving Commitment'), 'png');
    expectWords(after.pages[0]!.text, ['Revolving', 'Commitment']);
  });

  it('refuses images beyond the pixel and OCR-page limits before OCR', async () => {
    const before = ocrCalls;
    expect(await refusalReason(extract('big.png', await makePng('x'), 'png', { maxImagePixels: 100 }))).toBe(
      'image_too_large',
    );
    expect(
      await refusalReason(extract('t.tif', await makeTiff(['a', 'b']), 'tiff', { maxOcrPages: 1 })),
    ).toBe('too_many_ocr_pages');
    expect(ocrCalls).toBe(before);
  });
});
