/**
 * Document fixtures built in memory by the tests themselves, so no binary file is committed and
 * every byte of a fixture is explained here. Builders return Buffers; write them to a temp dir
 * with `writeFixture` when the code under test wants a path.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants as zlibConstants, deflateRawSync, deflateSync } from 'node:zlib';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';

// ---------------------------------------------------------------------------------------------
// Temp files

export interface FixtureDir {
  readonly path: string;
  write(name: string, data: Buffer | string): Promise<string>;
  remove(): Promise<void>;
}

/** A fresh temp directory per test file; `remove()` in afterAll. */
export async function createFixtureDir(prefix = 'fixtures-'): Promise<FixtureDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    async write(name, data) {
      const file = join(path, name);
      await writeFile(file, data);
      return file;
    },
    async remove() {
      await rm(path, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PDF

/** Escapes a string for a PDF literal string; non-Latin-1 characters become '?'. */
function pdfString(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 63;
    if (ch === '\\' || ch === '(' || ch === ')') out += `\\${ch}`;
    else if (code < 32 || code > 255) out += '?';
    else if (code > 126) out += `\\${code.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return out;
}

type PdfObject = string | Buffer;

/**
 * Serialises numbered objects (object n is `objects[n - 1]`) with a classic xref table whose
 * offsets are the real byte offsets of each `n 0 obj`. `trailerExtra` is spliced into the trailer
 * dictionary (for /Encrypt and /ID).
 */
export function buildPdf(objects: PdfObject[], trailerExtra = ''): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  const push = (chunk: Buffer | string): void => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    parts.push(buf);
    length += buf.length;
  };
  // The binary comment tells transfer tools the file is binary, as the spec recommends.
  push('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n');
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(length);
    push(`${i + 1} 0 obj\n`);
    push(body);
    push('\nendobj\n');
  });
  const xrefOffset = length;
  // Each xref entry is exactly 20 bytes: 10-digit offset, space, 5-digit generation, space, flag, CRLF.
  let xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`;
  for (const offset of offsets) xref += `${String(offset).padStart(10, '0')} 00000 n\r\n`;
  push(xref);
  push(
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra}>>\nstartxref\n${xrefOffset}\n%%EOF\n`,
  );
  return Buffer.concat(parts);
}

function streamObject(dict: string, data: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`<< ${dict} /Length ${data.length} >>\nstream\n`, 'latin1'),
    data,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}

const PAGE_WIDTH = 612;
const PAGE_HEIGHT = 792;

/** Page objects for `pages` content streams; object numbers: 1 catalog, 2 pages, 3 font, then pairs. */
function pdfWithPages(
  contents: Buffer[],
  resourcesFor: (pageIndex: number, firstFreeObject: number) => { resources: string; extra: PdfObject[] },
  trailerExtra = '',
): Buffer {
  const objects: PdfObject[] = [];
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(''); // the page tree, filled once the page object numbers are known
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  contents.forEach((content, i) => {
    const pageNumber = objects.length + 1;
    const contentNumber = pageNumber + 1;
    const { resources, extra } = resourcesFor(i, contentNumber + 1);
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Resources ${resources} /Contents ${contentNumber} 0 R >>`,
    );
    objects.push(streamObject('', content));
    objects.push(...extra);
    kids.push(pageNumber);
  });
  objects[1] = `<< /Type /Pages /Kids [${kids.map((n) => `${n} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  return buildPdf(objects, trailerExtra);
}

function textContent(pageText: string): Buffer {
  const lines = pageText.split('\n');
  let ops = 'BT\n/F1 12 Tf\n16 TL\n72 720 Td\n';
  lines.forEach((line, i) => {
    ops += `${i === 0 ? '' : 'T*\n'}(${pdfString(line)}) Tj\n`;
  });
  ops += 'ET';
  return Buffer.from(ops, 'latin1');
}

const FONT_RESOURCES = '<< /Font << /F1 3 0 R >> >>';

/** A valid PDF with a real text layer: one page per string, lines split on '\n', Helvetica 12pt. */
export function makeTextPdf(pages: string[]): Buffer {
  return pdfWithPages(pages.map(textContent), () => ({ resources: FONT_RESOURCES, extra: [] }));
}

/**
 * A PDF whose pages carry a text layer or, for entries given as `{ scan: text }`, only a JPEG
 * of the text: a mixed document where only some pages need OCR.
 */
export async function makeMixedPdf(pages: (string | { scan: string })[]): Promise<Buffer> {
  const images = await Promise.all(
    pages.map(async (p) =>
      typeof p === 'string'
        ? undefined
        : renderTextImage(p.scan, { format: 'jpeg', width: 1275, height: 1650 }),
    ),
  );
  const contents = pages.map((p) =>
    typeof p === 'string'
      ? textContent(p)
      : Buffer.from(`q ${PAGE_WIDTH} 0 0 ${PAGE_HEIGHT} 0 0 cm /Im1 Do Q`, 'latin1'),
  );
  return pdfWithPages(contents, (i, free) => {
    const image = images[i];
    if (!image) return { resources: FONT_RESOURCES, extra: [] };
    return {
      resources: `<< /XObject << /Im1 ${free} 0 R >> >>`,
      extra: [
        streamObject(
          `/Type /XObject /Subtype /Image /Width ${image.width} /Height ${image.height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode`,
          image.data,
        ),
      ],
    };
  });
}

/** A scanned PDF: every page is a full-page JPEG (/DCTDecode image XObject) and there is no text layer. */
export async function makeScannedPdf(pages: string[]): Promise<Buffer> {
  return makeMixedPdf(pages.map((scan) => ({ scan })));
}

/**
 * A PDF whose trailer points at a Standard security handler dictionary with random /O and /U
 * values, so no password (not even the empty one) opens it.
 */
export function makeEncryptedPdf(): Buffer {
  const hex = (n: number): string =>
    Array.from({ length: n }, (_, i) => ((i * 37 + 11) & 0xff).toString(16).padStart(2, '0')).join('');
  const base = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Contents 4 0 R >>`,
    streamObject('', Buffer.from('garbled ciphertext', 'latin1')),
    `<< /Filter /Standard /V 1 /R 2 /O <${hex(32)}> /U <${hex(32).split('').reverse().join('')}> /P -3904 >>`,
  ];
  return buildPdf(base, `/Encrypt 5 0 R /ID [<${hex(16)}> <${hex(16)}>] `);
}

/** A text PDF cut in the middle: no xref, no trailer, no %%EOF. */
export function makeTruncatedPdf(): Buffer {
  const full = makeTextPdf(['CREDIT AGREEMENT', 'Page two of the agreement']);
  return full.subarray(0, Math.floor(full.length * 0.6));
}

/** Bytes that start like a PDF but are not one past the header. */
export function makeGarbagePdf(): Buffer {
  return Buffer.concat([
    Buffer.from('%PDF-1.7\n', 'latin1'),
    Buffer.alloc(2048, 0x41),
    Buffer.from('\n%%EOF\n', 'latin1'),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Executables and polyglots

/** A 64-bit ELF header (x86-64 executable), padded: what a renamed binary looks like. */
export function makeElfExecutable(): Buffer {
  const buf = Buffer.alloc(512);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(buf, 0);
  buf.writeUInt16LE(2, 16); // e_type: executable
  buf.writeUInt16LE(0x3e, 18); // e_machine: x86-64
  buf.writeUInt32LE(1, 20);
  return buf;
}

/** A DOS/PE header ("MZ", e_lfanew pointing at "PE\0\0"). */
export function makePeExecutable(): Buffer {
  const buf = Buffer.alloc(512);
  buf.write('MZ', 0, 'latin1');
  buf.writeUInt32LE(0x80, 0x3c);
  buf.write('PE\0\0', 0x80, 'latin1');
  buf.writeUInt16LE(0x8664, 0x84);
  return buf;
}

/**
 * A PE header followed by a whole PDF inside the first kilobyte: PDF readers accept a header
 * anywhere in the first 1024 bytes, so this file is both an executable and a "valid" PDF.
 */
export function makeExePdfPolyglot(): Buffer {
  return Buffer.concat([makePeExecutable().subarray(0, 256), makeTextPdf(['CREDIT AGREEMENT'])]);
}

/** A valid PDF with a whole ZIP archive appended after %%EOF: opens as either. */
export function makePdfZipPolyglot(): Buffer {
  const pdf = makeTextPdf(['CREDIT AGREEMENT']);
  const zip = makeZip([{ name: 'payload.js', data: Buffer.from('console.log("hi")') }], {
    baseOffset: pdf.length,
  });
  return Buffer.concat([pdf, zip]);
}

// ---------------------------------------------------------------------------------------------
// ZIP / DOCX

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3), continuing from `crc` so large inputs can be fed in chunks. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = (CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)) >>> 0;
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntryInput {
  name: string;
  data?: Buffer;
  /** Store instead of deflate. */
  store?: boolean;
  /** Pre-built entry: raw deflate bytes with their real CRC and size (for bombs). */
  raw?: { compressed: Buffer; crc32: number; size: number };
  /** Size written in the headers instead of the real one (a lying archive). */
  declaredSize?: number;
  /** Sets the "encrypted" general-purpose flag. */
  encryptedFlag?: boolean;
}

/**
 * A ZIP archive writer: local headers, data, central directory and end record, with real CRCs.
 * `baseOffset` shifts the recorded offsets for archives appended to other bytes.
 */
export function makeZip(entries: ZipEntryInput[], options: { baseOffset?: number } = {}): Buffer {
  const base = options.baseOffset ?? 0;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    let method: number;
    let compressed: Buffer;
    let crc: number;
    let size: number;
    if (entry.raw) {
      method = 8;
      compressed = entry.raw.compressed;
      crc = entry.raw.crc32;
      size = entry.raw.size;
    } else {
      const data = entry.data ?? Buffer.alloc(0);
      method = entry.store ? 0 : 8;
      compressed = entry.store ? data : deflateRawSync(data);
      crc = crc32(data);
      size = data.length;
    }
    const declared = entry.declaredSize ?? size;
    // Bit 11: names are UTF-8. Bit 0: encrypted.
    const flags = 0x0800 | (entry.encryptedFlag ? 1 : 0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date: 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(declared, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(base + offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const centralDir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDir.length, 12);
  end.writeUInt32LE(base + offset, 16);
  return Buffer.concat([...locals, centralDir, end]);
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`;

const ROOT_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`;

const DOCUMENT_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>`;

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The WordprocessingML body: a paragraph per entry; an entry that is exactly '\f' is a page break. */
export function docxDocumentXml(paragraphs: string[]): string {
  const body = paragraphs
    .map((p) =>
      p === '\f'
        ? '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'
        : `<w:p><w:r><w:t xml:space="preserve">${xmlEscape(p)}</w:t></w:r></w:p>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}<w:sectPr/></w:body></w:document>`;
}

function docxEntries(paragraphs: string[]): ZipEntryInput[] {
  return [
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES) },
    { name: '_rels/.rels', data: Buffer.from(ROOT_RELS) },
    { name: 'word/_rels/document.xml.rels', data: Buffer.from(DOCUMENT_RELS) },
    { name: 'word/document.xml', data: Buffer.from(docxDocumentXml(paragraphs)) },
  ];
}

/** A minimal valid DOCX: one paragraph per string ('\f' alone is a page break). */
export function makeDocx(paragraphs: string[]): Buffer {
  return makeZip(docxEntries(paragraphs));
}

/** An XLSX-shaped zip: a valid Office package that is not a Word document. */
export function makeXlsxLike(): Buffer {
  return makeZip([
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES) },
    { name: '_rels/.rels', data: Buffer.from(ROOT_RELS) },
    { name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') },
  ]);
}

/** A JAR-shaped zip. */
export function makeJarLike(): Buffer {
  return makeZip([
    { name: 'META-INF/MANIFEST.MF', data: Buffer.from('Manifest-Version: 1.0\n') },
    { name: 'Main.class', data: Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]) },
  ]);
}

/** Raw deflate of `size` zero bytes (a multiple of 1 MiB), built without allocating `size`. */
function deflatedZeros(size: number): { compressed: Buffer; crc32: number; size: number } {
  const chunkSize = 1024 * 1024;
  const chunk = Buffer.alloc(chunkSize);
  // A full flush ends the block byte-aligned and resets the dictionary, so the same compressed
  // chunk can be repeated; an empty final block closes the stream.
  const block = deflateRawSync(chunk, { finishFlush: zlibConstants.Z_FULL_FLUSH, level: 9 });
  const count = Math.ceil(size / chunkSize);
  let crc = 0;
  const chunkCrc = crc32(chunk);
  for (let i = 0; i < count; i++) crc = i === 0 ? chunkCrc : crc32(chunk, crc);
  const compressed = Buffer.concat([
    ...Array.from({ length: count }, () => block),
    deflateRawSync(Buffer.alloc(0)),
  ]);
  return { compressed, crc32: crc, size: count * chunkSize };
}

export interface ZipBombOptions {
  /** Real inflated size of the bomb entry; default 256 MiB. */
  size?: number;
  /** Write a small size in the headers while the data really inflates to `size`. */
  lieAboutSize?: boolean;
}

/**
 * A DOCX-looking zip (valid Word parts) plus `word/media/image1.bin`, a few hundred KiB on disk
 * that really inflates to `size` bytes of zeros.
 */
export function makeZipBomb(options: ZipBombOptions = {}): Buffer {
  const raw = deflatedZeros(options.size ?? 256 * 1024 * 1024);
  return makeZip([
    ...docxEntries(['CREDIT AGREEMENT']),
    { name: 'word/media/image1.bin', raw, ...(options.lieAboutSize ? { declaredSize: 1024 } : {}) },
  ]);
}

/** A DOCX with `count` extra tiny entries. */
export function makeDocxWithManyEntries(count: number): Buffer {
  const extra = Array.from({ length: count }, (_, i) => ({
    name: `customXml/item${i}.xml`,
    data: Buffer.from('<a/>'),
    store: true,
  }));
  return makeZip([...docxEntries(['CREDIT AGREEMENT']), ...extra]);
}

/**
 * The first sector of an OLE2 compound file, which is how Office stores a password-protected
 * .docx (EncryptionInfo + EncryptedPackage streams).
 */
export function makeOleCompoundFile(): Buffer {
  const buf = Buffer.alloc(1536);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(buf, 0);
  buf.writeUInt16LE(0x3e, 24); // minor version
  buf.writeUInt16LE(3, 26); // major version 3
  buf.writeUInt16LE(0xfffe, 28); // little-endian byte order mark
  buf.writeUInt16LE(9, 30); // 512-byte sectors
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Images

let fontFamily: string | undefined;

/**
 * A sans-serif family @napi-rs/canvas can draw with. DejaVu ships with the machine image
 * (Debian's fonts-dejavu-core); failing loudly beats drawing tofu that OCR cannot read.
 */
export function drawingFont(): string {
  if (fontFamily) return fontFamily;
  const candidates = [
    '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
    '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
  ];
  for (const file of candidates) {
    if (existsSync(file) && GlobalFonts.registerFromPath(file, 'FixtureSans')) {
      fontFamily = 'FixtureSans';
      return fontFamily;
    }
  }
  const system = GlobalFonts.families.find((f) => /sans/i.test(f.family)) ?? GlobalFonts.families[0];
  if (!system) {
    throw new Error(
      'No font for @napi-rs/canvas: install fonts-dejavu-core (apt-get install -y fonts-dejavu-core)',
    );
  }
  fontFamily = system.family;
  return fontFamily;
}

export interface RenderedImage {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * Black text on white, large enough for OCR: one line per '\n', wrapped at the canvas width.
 * `format` picks the encoder; `raw` returns RGBA pixels (for the TIFF writer).
 */
export async function renderTextImage(
  text: string,
  options: { format: 'png' | 'jpeg' | 'raw'; width?: number; height?: number; fontSize?: number },
): Promise<RenderedImage> {
  const width = options.width ?? 1200;
  const height = options.height ?? 600;
  const fontSize = options.fontSize ?? 40;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000000';
  ctx.font = `${fontSize}px "${drawingFont()}"`;
  ctx.textBaseline = 'top';
  const margin = Math.round(fontSize * 1.5);
  let y = margin;
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const candidate = line ? `${line} ${word}` : word;
      if (line && ctx.measureText(candidate).width > width - 2 * margin) {
        ctx.fillText(line, margin, y);
        y += fontSize * 1.5;
        line = word;
      } else {
        line = candidate;
      }
    }
    ctx.fillText(line, margin, y);
    y += fontSize * 1.5;
  }
  if (options.format === 'raw') {
    const pixels = ctx.getImageData(0, 0, width, height).data;
    return { data: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), width, height };
  }
  const data = options.format === 'png' ? await canvas.encode('png') : await canvas.encode('jpeg', 92);
  return { data, width, height };
}

/** A PNG of `text` drawn black on white. */
export async function makePng(text: string): Promise<Buffer> {
  return (await renderTextImage(text, { format: 'png' })).data;
}

/** A JPEG of `text` drawn black on white. */
export async function makeJpeg(text: string): Promise<Buffer> {
  return (await renderTextImage(text, { format: 'jpeg' })).data;
}

export interface TiffOptions {
  byteOrder?: 'II' | 'MM';
  /**
   * 'gray' 8-bit BlackIsZero, 'inverted' 8-bit WhiteIsZero, 'rgb' 8-bit RGB, 'palette' 8-bit
   * with a gray colour map, 'bilevel' 1-bit WhiteIsZero (as fax-style scans are stored).
   */
  color?: 'gray' | 'inverted' | 'rgb' | 'palette' | 'bilevel';
  /** 1 none, 5 LZW, 8 Deflate, 32773 PackBits; 4 (CCITT G4) writes the tag only, to test refusal. */
  compression?: 1 | 4 | 5 | 8 | 32773;
  /** Horizontal differencing (8-bit only). */
  predictor?: 1 | 2;
  /** Rows per strip; default all rows in one strip. */
  rowsPerStrip?: number;
}

function packBits(data: Buffer): Buffer {
  const out: number[] = [];
  let i = 0;
  while (i < data.length) {
    let run = 1;
    while (i + run < data.length && run < 128 && data[i + run] === data[i]) run++;
    if (run > 1) {
      out.push(257 - run, data[i]!);
      i += run;
      continue;
    }
    let lit = 1;
    while (
      i + lit < data.length &&
      lit < 128 &&
      !(i + lit + 1 < data.length && data[i + lit] === data[i + lit + 1])
    )
      lit++;
    out.push(lit - 1);
    for (let k = 0; k < lit; k++) out.push(data[i + k]!);
    i += lit;
  }
  return Buffer.from(out);
}

/** TIFF-flavoured LZW: MSB-first codes, 256 clear, 257 end, widths growing one code early. */
export function lzwEncode(data: Uint8Array): Buffer {
  const out: number[] = [];
  let acc = 0;
  let accBits = 0;
  let width = 9;
  const write = (code: number): void => {
    acc = (acc << width) | code;
    accBits += width;
    while (accBits >= 8) {
      out.push((acc >>> (accBits - 8)) & 0xff);
      accBits -= 8;
    }
    acc &= (1 << accBits) - 1;
  };
  let dict = new Map<number, number>();
  let next = 258;
  write(256);
  if (data.length === 0) {
    write(257);
  } else {
    let prefix = data[0]!;
    for (let i = 1; i < data.length; i++) {
      const byte = data[i]!;
      const key = (prefix << 8) | byte;
      const known = dict.get(key);
      if (known !== undefined) {
        prefix = known;
        continue;
      }
      write(prefix);
      dict.set(key, next++);
      if (next >= 1 << width && width < 12) width++;
      if (next >= 4093) {
        write(256);
        dict = new Map();
        next = 258;
        width = 9;
      }
      prefix = byte;
    }
    write(prefix);
    next++;
    if (next >= 1 << width && width < 12) width++;
    write(257);
  }
  if (accBits > 0) out.push((acc << (8 - accBits)) & 0xff);
  return Buffer.from(out);
}

export interface GrayImage {
  width: number;
  height: number;
  /** One byte per pixel, 0 black .. 255 white. */
  gray: Uint8Array;
}

/** Grayscale pixels of `text` drawn black on white. */
export async function renderTextGray(text: string, width = 1000, height = 500): Promise<GrayImage> {
  const { data } = await renderTextImage(text, { format: 'raw', width, height });
  const gray = new Uint8Array(width * height);
  for (let p = 0; p < gray.length; p++) gray[p] = data[p * 4]!;
  return { width, height, gray };
}

function samplesFor(
  image: GrayImage,
  color: NonNullable<TiffOptions['color']>,
): { bytes: Buffer; rowBytes: number } {
  const { width, height, gray } = image;
  if (color === 'bilevel') {
    const rowBytes = Math.ceil(width / 8);
    const bytes = Buffer.alloc(rowBytes * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // WhiteIsZero: a set bit is black ink.
        if (gray[y * width + x]! < 128) bytes[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
      }
    }
    return { bytes, rowBytes };
  }
  const spp = color === 'rgb' ? 3 : 1;
  const bytes = Buffer.alloc(width * height * spp);
  for (let p = 0; p < width * height; p++) {
    const v = gray[p]!;
    if (spp === 3) bytes.fill(v, p * 3, p * 3 + 3);
    else bytes[p] = color === 'inverted' ? 255 - v : v;
  }
  return { bytes, rowBytes: width * spp };
}

/** Encodes grayscale pages as a baseline TIFF, one IFD per page, strips as configured. */
export function encodeTiff(images: GrayImage[], options: TiffOptions = {}): Buffer {
  const le = (options.byteOrder ?? 'II') === 'II';
  const color = options.color ?? 'gray';
  const compression = options.compression ?? 1;
  const predictor = options.predictor ?? 1;
  const spp = color === 'rgb' ? 3 : 1;
  const bits = color === 'bilevel' ? 1 : 8;
  const photometric = { gray: 1, inverted: 0, rgb: 2, palette: 3, bilevel: 0 }[color];
  const parts: Buffer[] = [];
  let length = 0;
  const u16 = (b: Buffer, v: number, o: number): void =>
    void (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (b: Buffer, v: number, o: number): void =>
    void (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const append = (buf: Buffer): number => {
    const at = length;
    parts.push(buf);
    length += buf.length;
    if (length % 2) {
      parts.push(Buffer.alloc(1));
      length += 1;
    }
    return at;
  };
  const header = Buffer.alloc(8);
  header.write(le ? 'II' : 'MM', 0, 'latin1');
  u16(header, 42, 2);
  append(header);
  let nextPointer = { buf: header, at: 4 };
  for (const image of images) {
    const { bytes, rowBytes } = samplesFor(image, color);
    const rowsPerStrip = Math.min(options.rowsPerStrip ?? image.height, image.height);
    const stripOffsets: number[] = [];
    const stripCounts: number[] = [];
    for (let row = 0; row < image.height; row += rowsPerStrip) {
      const raw = Buffer.from(
        bytes.subarray(row * rowBytes, Math.min(image.height, row + rowsPerStrip) * rowBytes),
      );
      if (predictor === 2) {
        for (let r = 0; r < raw.length / rowBytes; r++) {
          for (let i = rowBytes - 1; i >= spp; i--) {
            raw[r * rowBytes + i] = (raw[r * rowBytes + i]! - raw[r * rowBytes + i - spp]!) & 0xff;
          }
        }
      }
      const strip =
        compression === 5
          ? lzwEncode(raw)
          : compression === 8
            ? deflateSync(raw)
            : compression === 32773
              ? packBits(raw)
              : raw;
      stripOffsets.push(append(strip));
      stripCounts.push(strip.length);
    }
    const longArray = (values: number[]): number => {
      if (values.length === 1) return values[0]!;
      const buf = Buffer.alloc(values.length * 4);
      values.forEach((v, i) => u32(buf, v, i * 4));
      return append(buf);
    };
    const entries: [number, number, number, number][] = [
      [256, 4, 1, image.width],
      [257, 4, 1, image.height],
    ];
    if (spp === 3) {
      const bps = Buffer.alloc(6);
      for (let s = 0; s < 3; s++) u16(bps, 8, s * 2);
      entries.push([258, 3, 3, append(bps)]);
    } else {
      entries.push([258, 3, 1, bits]);
    }
    entries.push([259, 3, 1, compression], [262, 3, 1, photometric]);
    entries.push([273, 4, stripOffsets.length, longArray(stripOffsets)]);
    entries.push([277, 3, 1, spp], [278, 4, 1, rowsPerStrip]);
    entries.push([279, 4, stripCounts.length, longArray(stripCounts)]);
    if (predictor === 2) entries.push([317, 3, 1, 2]);
    if (color === 'palette') {
      const map = Buffer.alloc(3 * 256 * 2);
      for (let c = 0; c < 3; c++) for (let i = 0; i < 256; i++) u16(map, i * 257, (c * 256 + i) * 2);
      entries.push([320, 3, 768, append(map)]);
    }
    const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
    u16(ifd, entries.length, 0);
    entries.forEach(([tag, type, count, value], k) => {
      const o = 2 + k * 12;
      u16(ifd, tag, o);
      u16(ifd, type, o + 2);
      u32(ifd, count, o + 4);
      // A single SHORT sits left-justified in the 4-byte value field.
      if (type === 3 && count === 1) u16(ifd, value, o + 8);
      else u32(ifd, value, o + 8);
    });
    const ifdOffset = append(ifd);
    u32(nextPointer.buf, ifdOffset, nextPointer.at);
    nextPointer = { buf: ifd, at: ifd.length - 4 };
  }
  return Buffer.concat(parts);
}

/** A TIFF with one page per text, drawn black on white (1000 x 500 px). */
export async function makeTiff(texts: string[], options: TiffOptions = {}): Promise<Buffer> {
  const images = await Promise.all(texts.map((t) => renderTextGray(t)));
  return encodeTiff(images, options);
}
