import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import {
  detectFile,
  inspectDocx,
  validateDocument,
  type FileKind,
} from '../../../src/lib/text-extraction/index.js';
import {
  createFixtureDir,
  encodeTiff,
  makeDocx,
  makeDocxWithManyEntries,
  makeElfExecutable,
  makeEncryptedPdf,
  makeExePdfPolyglot,
  makeGarbagePdf,
  makeJarLike,
  makeJpeg,
  makeOleCompoundFile,
  makePdfZipPolyglot,
  makePeExecutable,
  makePng,
  makeTextPdf,
  makeTiff,
  makeTruncatedPdf,
  makeXlsxLike,
  makeZip,
  makeZipBomb,
  type FixtureDir,
} from '../../helpers/fixtures.js';

let dir: FixtureDir;
beforeAll(async () => {
  dir = await createFixtureDir('text-validate-');
});
afterAll(async () => {
  await dir.remove();
});

async function refusal(promise: Promise<unknown>): Promise<{ reason: unknown; code: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return { reason: err.details?.reason, code: err.code };
    throw err;
  }
  throw new Error('expected the document to be refused');
}

async function reasonFor(name: string, data: Buffer, kind: FileKind, limits = {}): Promise<unknown> {
  const path = await dir.write(name, data);
  const { reason, code } = await refusal(validateDocument(path, kind, limits));
  expect(code).toBe('UNPROCESSABLE_DOCUMENT');
  return reason;
}

describe('detectFile and inspectDocx on stored files', () => {
  it('confirms a real DOCX and settles its type', async () => {
    const path = await dir.write('a.docx', makeDocx(['Hello']));
    expect(await inspectDocx(path)).toBe(true);
    expect(await detectFile(path)).toEqual({
      kind: 'docx',
      mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      needsInspection: false,
    });
  });

  it('refuses zips that are not Word documents, even renamed .docx', async () => {
    for (const [name, data] of [
      ['sheet.docx', makeXlsxLike()],
      ['app.docx', makeJarLike()],
      ['plain.docx', makeZip([{ name: 'readme.txt', data: Buffer.from('hi') }])],
      [
        'macro.docx',
        makeZip([...zipEntriesOf(['x']), { name: 'word/vbaProject.bin', data: Buffer.from([1, 2]) }]),
      ],
      ['broken.docx', makeDocx(['x']).subarray(0, 60)],
    ] as const) {
      const path = await dir.write(name, data);
      expect(await inspectDocx(path)).toBe(false);
      expect(await detectFile(path)).toBeUndefined();
    }
  });

  it('refuses executables and polyglots named as documents', async () => {
    for (const [name, data] of [
      ['elf.pdf', makeElfExecutable()],
      ['pe.pdf', makePeExecutable()],
      ['poly.pdf', makeExePdfPolyglot()],
    ] as const) {
      expect(await detectFile(await dir.write(name, data))).toBeUndefined();
    }
  });

  it('detects the other kinds from the file head', async () => {
    expect((await detectFile(await dir.write('t.pdf', makeTextPdf(['x']))))?.kind).toBe('pdf');
    expect((await detectFile(await dir.write('i.png', await makePng('x'))))?.kind).toBe('png');
    expect((await detectFile(await dir.write('n.txt', Buffer.from('hello\n'))))?.kind).toBe('text');
  });
});

function zipEntriesOf(paragraphs: string[]): { name: string; data: Buffer }[] {
  return [
    { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
    { name: 'word/document.xml', data: Buffer.from(`<w:document>${paragraphs.join('')}</w:document>`) },
  ];
}

describe('validateDocument: PDF', () => {
  it('accepts a valid PDF and counts its pages', async () => {
    const path = await dir.write('ok.pdf', makeTextPdf(['one', 'two', 'three']));
    expect(await validateDocument(path, 'pdf')).toEqual({
      kind: 'pdf',
      bytes: expect.any(Number),
      pageCount: 3,
    });
  });

  it('refuses an encrypted PDF', async () => {
    expect(await reasonFor('enc.pdf', makeEncryptedPdf(), 'pdf')).toBe('encrypted_pdf');
  });

  it('refuses truncated and unparseable PDFs', async () => {
    expect(await reasonFor('trunc.pdf', makeTruncatedPdf(), 'pdf')).toBe('malformed_pdf');
    expect(await reasonFor('garbage.pdf', makeGarbagePdf(), 'pdf')).toBe('malformed_pdf');
    expect(await reasonFor('elf.pdf', makeElfExecutable(), 'pdf')).toBe('malformed_pdf');
  });

  it('refuses a PDF with a ZIP archive appended', async () => {
    expect(await reasonFor('poly.pdf', makePdfZipPolyglot(), 'pdf')).toBe('polyglot');
  });

  it('enforces the page and size limits', async () => {
    const pdf = makeTextPdf(['1', '2', '3']);
    expect(await reasonFor('pages.pdf', pdf, 'pdf', { maxPages: 2 })).toBe('too_many_pages');
    expect(await reasonFor('size.pdf', pdf, 'pdf', { maxBytes: pdf.length - 1 })).toBe('too_large');
  });
});

describe('validateDocument: DOCX', () => {
  it('accepts a valid DOCX with its sizes', async () => {
    const path = await dir.write('ok.docx', makeDocx(['Hello', 'World']));
    const verdict = await validateDocument(path, 'docx');
    expect(verdict).toMatchObject({ kind: 'docx', entryCount: 4 });
    expect(verdict.kind === 'docx' && verdict.uncompressedBytes).toBeGreaterThan(500);
  });

  it('refuses a zip bomb by its declared size', async () => {
    const bomb = makeZipBomb();
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(await reasonFor('bomb.docx', bomb, 'docx', { maxUncompressedBytes: 100 * 1024 * 1024 })).toBe(
      'zip_bomb',
    );
  });

  it('refuses a zip bomb by its compression ratio when the size limit would allow it', async () => {
    const bomb = makeZipBomb({ size: 32 * 1024 * 1024 });
    expect(
      await reasonFor('ratio.docx', bomb, 'docx', {
        maxUncompressedBytes: 1024 ** 3,
        maxCompressionRatio: 100,
      }),
    ).toBe('zip_bomb');
  });

  it('refuses an entry that inflates past the size its headers declare', async () => {
    const liar = makeZipBomb({ size: 8 * 1024 * 1024, lieAboutSize: true });
    expect(await reasonFor('liar.docx', liar, 'docx')).toBe('zip_bomb');
  });

  it('refuses too many entries', async () => {
    expect(await reasonFor('many.docx', makeDocxWithManyEntries(50), 'docx', { maxZipEntries: 20 })).toBe(
      'zip_bomb',
    );
  });

  it('refuses an OLE compound file as an encrypted Word document', async () => {
    expect(await reasonFor('locked.docx', makeOleCompoundFile(), 'docx')).toBe('encrypted_docx');
  });

  it('refuses zip entries flagged as encrypted', async () => {
    const zip = makeZip([
      ...zipEntriesOf(['x']),
      { name: 'word/secret.xml', data: Buffer.from('<x/>'), encryptedFlag: true },
    ]);
    expect(await reasonFor('zipcrypto.docx', zip, 'docx')).toBe('encrypted_docx');
  });

  it('refuses archives that are not Word documents or not archives', async () => {
    expect(await reasonFor('sheet.docx', makeXlsxLike(), 'docx')).toBe('malformed_docx');
    expect(await reasonFor('text.docx', Buffer.from('just text, no zip'), 'docx')).toBe('malformed_docx');
    expect(await reasonFor('empty.docx', Buffer.alloc(0), 'docx')).toBe('malformed_docx');
    expect(await reasonFor('empty.pdf', Buffer.alloc(0), 'pdf')).toBe('malformed_pdf');
    expect(await reasonFor('empty.png', Buffer.alloc(0), 'png')).toBe('malformed_image');
    expect(await reasonFor('empty.tif', Buffer.alloc(0), 'tiff')).toBe('malformed_image');
    expect(await reasonFor('empty.jpg', Buffer.alloc(0), 'jpeg')).toBe('malformed_image');
    expect(await reasonFor('cut.docx', makeDocx(['x']).subarray(0, 200), 'docx')).toBe('malformed_docx');
  });

  it('refuses an entry whose deflate data is corrupt', async () => {
    const docx = Buffer.from(makeDocx(['Some paragraph text that compresses']));
    // The last local entry is word/document.xml: scribble over the start of its deflate data.
    const local = docx.lastIndexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    expect(docx.toString('utf8', local + 30, local + 30 + 17)).toBe('word/document.xml');
    docx.fill(0xff, local + 30 + 17, local + 30 + 17 + 8);
    expect(await reasonFor('corrupt.docx', docx, 'docx')).toBe('malformed_docx');
  });
});

describe('validateDocument: images and text', () => {
  it('reads image dimensions without decoding', async () => {
    const png = await dir.write('a.png', await makePng('Hello'));
    expect(await validateDocument(png, 'png')).toEqual({
      kind: 'png',
      bytes: expect.any(Number),
      pageCount: 1,
      width: 1200,
      height: 600,
    });
    const jpeg = await dir.write('a.jpg', await makeJpeg('Hello'));
    expect(await validateDocument(jpeg, 'jpeg')).toMatchObject({ width: 1200, height: 600 });
    const tiff = await dir.write('a.tif', await makeTiff(['one', 'two'], { byteOrder: 'MM' }));
    expect(await validateDocument(tiff, 'tiff')).toMatchObject({ pageCount: 2, width: 1000, height: 500 });
  });

  it('finds the JPEG frame header behind large metadata segments and fill bytes', async () => {
    const jpeg = await makeJpeg('x');
    const app1 = Buffer.alloc(4 + 40_000);
    app1.writeUInt16BE(0xffe1, 0);
    app1.writeUInt16BE(40_002, 2);
    const padded = Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xff]), app1, jpeg.subarray(2)]);
    const path = await dir.write('exif.jpg', padded);
    expect(await validateDocument(path, 'jpeg')).toMatchObject({ width: 1200, height: 600 });
  });

  it('refuses images over the pixel limit, and decompression-bomb headers', async () => {
    expect(await reasonFor('big.png', await makePng('x'), 'png', { maxImagePixels: 1000 })).toBe(
      'image_too_large',
    );
    const forged = Buffer.from(await makePng('x'));
    forged.writeUInt32BE(100_000, 16);
    forged.writeUInt32BE(100_000, 20);
    expect(await reasonFor('forged.png', forged, 'png')).toBe('image_too_large');
    expect(await reasonFor('big.jpg', await makeJpeg('x'), 'jpeg', { maxImagePixels: 1000 })).toBe(
      'image_too_large',
    );
    expect(await reasonFor('big.tif', await makeTiff(['x']), 'tiff', { maxImagePixels: 1000 })).toBe(
      'image_too_large',
    );
  });

  it('refuses malformed and unsupported images', async () => {
    expect(await reasonFor('cut.png', (await makePng('x')).subarray(0, 20), 'png')).toBe('malformed_image');
    expect(await reasonFor('nosof.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xd9]), 'jpeg')).toBe(
      'malformed_image',
    );
    const fax = encodeTiff([{ width: 8, height: 8, gray: new Uint8Array(64) }], {
      color: 'bilevel',
      compression: 4,
    });
    expect(await reasonFor('fax.tif', fax, 'tiff')).toBe('unsupported_image');
    expect(await reasonFor('pages.tif', await makeTiff(['a', 'b', 'c']), 'tiff', { maxPages: 2 })).toBe(
      'too_many_pages',
    );
  });

  it('accepts UTF-8 text and HTML, refuses other encodings', async () => {
    const text = await dir.write('a.txt', Buffer.from('Prix: 100 €\fPage 2'));
    expect(await validateDocument(text, 'text')).toEqual({ kind: 'text', bytes: expect.any(Number) });
    expect(await validateDocument(await dir.write('a.html', Buffer.from('<p>x</p>')), 'html')).toMatchObject({
      kind: 'html',
    });
    expect(await reasonFor('latin1.txt', Buffer.from('Prix: 100 \xe9', 'latin1'), 'text')).toBe(
      'invalid_encoding',
    );
    expect(await reasonFor('utf16.txt', Buffer.from('hello', 'utf16le'), 'text')).toBe('invalid_encoding');
    expect(await reasonFor('cut.txt', Buffer.from('100 €').subarray(0, 5), 'text')).toBe('invalid_encoding');
  });

  it('validates a multi-megabyte text file chunk by chunk', async () => {
    const path = `${dir.path}/large.txt`;
    await writeFile(path, 'lorem ipsum dolor '.repeat(400_000));
    expect(await validateDocument(path, 'text')).toMatchObject({ kind: 'text', bytes: 7_200_000 });
  });
});
