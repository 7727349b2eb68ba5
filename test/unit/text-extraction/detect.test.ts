import { describe, expect, it } from 'vitest';
import {
  detectFileType,
  isAcceptableDeclared,
  isEncryptedOfficeFile,
  isExecutable,
  looksLikeText,
  type DetectedType,
} from '../../../src/lib/text-extraction/index.js';
import {
  makeDocx,
  makeElfExecutable,
  makeEncryptedPdf,
  makeExePdfPolyglot,
  makeJarLike,
  makeJpeg,
  makeOleCompoundFile,
  makePeExecutable,
  makePng,
  makeTextPdf,
  makeTiff,
  makeXlsxLike,
  makeZipBomb,
} from '../../helpers/fixtures.js';

const kindOf = (buf: Buffer): string | undefined => detectFileType(buf.subarray(0, 8192))?.kind;
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('detectFileType: binary formats', () => {
  it('detects a PDF by its header, encrypted or not', () => {
    expect(detectFileType(makeTextPdf(['hello']))).toEqual({
      kind: 'pdf',
      mime: 'application/pdf',
      needsInspection: false,
    });
    expect(kindOf(makeEncryptedPdf())).toBe('pdf');
  });

  it('detects PNG, JPEG and TIFF in both byte orders', async () => {
    expect(kindOf(await makePng('x'))).toBe('png');
    expect(kindOf(await makeJpeg('x'))).toBe('jpeg');
    expect(kindOf(await makeTiff(['x'], { byteOrder: 'II' }))).toBe('tiff');
    expect(kindOf(await makeTiff(['x'], { byteOrder: 'MM' }))).toBe('tiff');
    expect(detectFileType(await makePng('x'))?.mime).toBe('image/png');
  });

  it('marks a Word-shaped zip as a docx that still needs its entries inspected', () => {
    expect(detectFileType(makeDocx(['Hello']))).toEqual({
      kind: 'docx',
      mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      needsInspection: true,
    });
    expect(kindOf(makeZipBomb({ size: 2 * 1024 * 1024 }))).toBe('docx');
  });

  it('refuses zips whose leading entries show another format', () => {
    expect(detectFileType(makeXlsxLike())).toBeUndefined();
    expect(detectFileType(makeJarLike())).toBeUndefined();
  });

  it('refuses executables, whatever follows the header', () => {
    expect(detectFileType(makeElfExecutable())).toBeUndefined();
    expect(detectFileType(makePeExecutable())).toBeUndefined();
    expect(detectFileType(makeExePdfPolyglot())).toBeUndefined();
    for (const magic of [
      [0xfe, 0xed, 0xfa, 0xce],
      [0xfe, 0xed, 0xfa, 0xcf],
      [0xce, 0xfa, 0xed, 0xfe],
      [0xcf, 0xfa, 0xed, 0xfe],
      [0xca, 0xfe, 0xba, 0xbe],
      [0x00, 0x61, 0x73, 0x6d],
    ]) {
      const buf = Buffer.concat([Buffer.from(magic), Buffer.alloc(60, 0x41)]);
      expect(isExecutable(buf)).toBe(true);
      expect(detectFileType(buf)).toBeUndefined();
    }
    expect(detectFileType(utf8('#!/bin/sh\necho hi\n'))).toBeUndefined();
    expect(isExecutable(makeTextPdf(['x']))).toBe(false);
  });

  it('refuses OLE compound files, empty input and unknown bytes', () => {
    expect(detectFileType(makeOleCompoundFile())).toBeUndefined();
    expect(detectFileType(Buffer.alloc(0))).toBeUndefined();
    expect(detectFileType(Buffer.from([0x00, 0x01, 0x02, 0x03, 0xff, 0xfe]))).toBeUndefined();
    expect(detectFileType(Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00', 'latin1'))).toBeUndefined();
  });

  it('requires the PDF header at the very start', () => {
    expect(kindOf(utf8(' %PDF-1.4\n'))).toBe('text');
    expect(kindOf(Buffer.concat([Buffer.from([0x01, 0x02]), makeTextPdf(['x'])]))).toBeUndefined();
  });
});

describe('detectFileType: text and HTML', () => {
  it('accepts UTF-8 prose with tabs, CRLF and form feeds as text', () => {
    expect(detectFileType(utf8('CREDIT AGREEMENT\r\n\tdated 1 March\fPage 2 — €100'))).toEqual({
      kind: 'text',
      mime: 'text/plain',
      needsInspection: false,
    });
    expect(kindOf(utf8('\uFEFFWith a byte order mark'))).toBe('text');
  });

  it('accepts a head cut in the middle of a multi-byte character', () => {
    const full = utf8('Prix: 100 €');
    expect(looksLikeText(full.subarray(0, full.length - 1))).toBe(true);
    expect(kindOf(full.subarray(0, full.length - 1))).toBe('text');
  });

  it('refuses NUL bytes, control bytes, invalid UTF-8 and blank content', () => {
    expect(detectFileType(utf8('abc\u0000def'))).toBeUndefined();
    expect(detectFileType(utf8('abc\u0007def'))).toBeUndefined();
    expect(detectFileType(utf8('abc\u007fdef'))).toBeUndefined();
    expect(detectFileType(Buffer.from([0x61, 0xc3, 0x28, 0x62]))).toBeUndefined();
    expect(detectFileType(Buffer.from([0x61, 0xff, 0x62]))).toBeUndefined();
    expect(detectFileType(utf8('  \n\t '))).toBeUndefined();
    expect(detectFileType(Buffer.from('\uFEFF', 'utf8'))).toBeUndefined();
    // UTF-16 text is full of NULs.
    expect(detectFileType(Buffer.from('\uFEFFhello', 'utf16le'))).toBeUndefined();
  });

  it('refuses PostScript and RTF even though they are ASCII', () => {
    expect(detectFileType(utf8('%!PS-Adobe-3.0\n'))).toBeUndefined();
    expect(detectFileType(utf8('{\\rtf1\\ansi hello}'))).toBeUndefined();
  });

  it.each([
    '<!DOCTYPE html><html><body>x</body></html>',
    '<!doctype HTML>\n<title>x</title>',
    '\uFEFF  \n<html lang="en">',
    '<HTML>',
    '<head>\n<title>x</title>',
    '<body class="a">',
    '<p>Hello</p>',
    '<div>\n',
    '<table border=1>',
    '<!-- generated -->\n<p>x</p>',
    '<br>',
  ])('sniffs %j as HTML', (html) => {
    expect(detectFileType(utf8(html))?.kind).toBe('html');
  });

  it.each([
    '<paragraph>not html',
    '<?xml version="1.0"?><root/>',
    'Hello <html>',
    '<abbr>x</abbr>',
    '<bold>',
  ])('does not take %j for HTML', (text) => {
    expect(detectFileType(utf8(text))?.kind).toBe('text');
  });
});

describe('isEncryptedOfficeFile', () => {
  it('is an OLE compound file under an OOXML name', () => {
    const ole = makeOleCompoundFile();
    expect(isEncryptedOfficeFile(ole, 'Credit Agreement.DOCX')).toBe(true);
    expect(isEncryptedOfficeFile(ole, 'legacy.doc')).toBe(false);
    expect(isEncryptedOfficeFile(ole, undefined)).toBe(false);
    expect(isEncryptedOfficeFile(makeDocx(['x']), 'a.docx')).toBe(false);
  });
});

describe('isAcceptableDeclared', () => {
  const pdf: DetectedType = { kind: 'pdf', mime: 'application/pdf', needsInspection: false };
  const png: DetectedType = { kind: 'png', mime: 'image/png', needsInspection: false };
  const docx: DetectedType = {
    kind: 'docx',
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    needsInspection: false,
  };
  const text: DetectedType = { kind: 'text', mime: 'text/plain', needsInspection: false };
  const jpeg: DetectedType = { kind: 'jpeg', mime: 'image/jpeg', needsInspection: false };

  it('accepts agreeing declarations, generic or missing types and missing names', () => {
    expect(isAcceptableDeclared(pdf, 'application/pdf', 'agreement.pdf')).toBe(true);
    expect(isAcceptableDeclared(pdf, 'Application/PDF; charset=binary', 'AGREEMENT.PDF')).toBe(true);
    expect(isAcceptableDeclared(pdf, 'application/octet-stream', 'agreement.pdf')).toBe(true);
    expect(isAcceptableDeclared(pdf, undefined, undefined)).toBe(true);
    expect(isAcceptableDeclared(pdf, '', 'agreement')).toBe(true);
    expect(isAcceptableDeclared(png, 'image/png', 'scan.png')).toBe(true);
    expect(isAcceptableDeclared(docx, 'application/zip', 'agreement.docx')).toBe(true);
    expect(isAcceptableDeclared(text, 'text/plain; charset=utf-8', 'notes.txt')).toBe(true);
    expect(isAcceptableDeclared(jpeg, 'image/jpg', 'photo.JPEG')).toBe(true);
  });

  it('accepts an unfamiliar extension that names no other type', () => {
    expect(isAcceptableDeclared(pdf, 'application/pdf', 'agreement.final')).toBe(true);
  });

  it('refuses a name or type that belongs to another accepted format', () => {
    expect(isAcceptableDeclared(png, 'image/png', 'agreement.pdf')).toBe(false);
    expect(isAcceptableDeclared(png, 'application/pdf', 'scan.png')).toBe(false);
    expect(isAcceptableDeclared(pdf, 'text/html', undefined)).toBe(false);
    expect(isAcceptableDeclared(text, 'text/plain', 'page.html')).toBe(false);
    expect(isAcceptableDeclared(jpeg, 'image/jpeg', 'scan.tiff')).toBe(false);
  });

  it('refuses program and other Office extensions whatever the bytes are', () => {
    expect(isAcceptableDeclared(pdf, undefined, 'invoice.exe')).toBe(false);
    expect(isAcceptableDeclared(text, 'text/plain', 'run.sh')).toBe(false);
    expect(isAcceptableDeclared(text, 'text/plain', 'app.js')).toBe(false);
    expect(isAcceptableDeclared(docx, undefined, 'macro.docm')).toBe(false);
    expect(isAcceptableDeclared(docx, undefined, 'sheet.xlsx')).toBe(false);
  });
});
