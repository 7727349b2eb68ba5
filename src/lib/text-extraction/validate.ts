import { isUtf8 } from 'node:buffer';
import { createReadStream, readSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import yauzl from 'yauzl';
import { isOleCompoundFile } from './detect.js';
import { unprocessable } from './errors.js';
import { assertPixelLimit, jpegSize, pngSize } from './images.js';
import { openPdf } from './pdf.js';
import { readTiffPages, unsupportedReason, type ByteReader } from './tiff.js';
import type { FileKind } from './types.js';

export interface ValidationLimits {
  /** Largest file accepted, and the most any parser may be handed in memory. */
  maxBytes: number;
  maxPages: number;
  /** DOCX: the sum of the entries' uncompressed sizes. */
  maxUncompressedBytes: number;
  /** DOCX: uncompressed / compressed, per large entry and for the whole archive. */
  maxCompressionRatio: number;
  maxZipEntries: number;
  /** Per image or image page; also pdf.js's cap on one decoded image inside a PDF. */
  maxImagePixels: number;
}

export const DEFAULT_LIMITS: Readonly<ValidationLimits> = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxPages: 1000,
  maxUncompressedBytes: 200 * 1024 * 1024,
  maxCompressionRatio: 100,
  maxZipEntries: 5000,
  // A letter page scanned at 600 dpi is 5100 x 6600 = 33.7 MP.
  maxImagePixels: 40_000_000,
});

export type ValidationVerdict =
  | { kind: 'pdf'; bytes: number; pageCount: number }
  | { kind: 'docx'; bytes: number; entryCount: number; uncompressedBytes: number }
  | { kind: 'png' | 'jpeg' | 'tiff'; bytes: number; pageCount: number; width: number; height: number }
  | { kind: 'text' | 'html'; bytes: number };

// Entries below this size may compress at any ratio (a run of spaces in styles.xml) without
// being a bomb; the archive-wide ratio still covers many of them together.
const RATIO_FLOOR_BYTES = 1024 * 1024;
const PDF_TAIL_BYTES = 65_536 + 22;

/**
 * Deeper checks of a stored file whose type was already detected: sizes, page counts, pixel
 * counts, encryption, structure, zip bombs. Returns what it learned or throws
 * UNPROCESSABLE_DOCUMENT with `details.reason`. Reads are streamed or bounded by `maxBytes`.
 */
export async function validateDocument(
  path: string,
  kind: FileKind,
  limits: Partial<ValidationLimits> = {},
): Promise<ValidationVerdict> {
  const l: ValidationLimits = { ...DEFAULT_LIMITS, ...limits };
  const { size } = await stat(path);
  if (size > l.maxBytes) {
    throw unprocessable('too_large', 'The document is larger than allowed', {
      bytes: size,
      limit: l.maxBytes,
    });
  }
  switch (kind) {
    case 'pdf':
      return validatePdf(path, size, l);
    case 'docx':
      return validateDocx(path, size, l);
    case 'png':
    case 'jpeg':
    case 'tiff':
      return validateImage(path, kind, size, l);
    case 'text':
    case 'html':
      await assertUtf8(path);
      return { kind, bytes: size };
  }
}

/** Runs `fn` with a positional reader over the open file. */
async function withReader<T>(path: string, fn: (read: ByteReader) => T): Promise<T> {
  const handle = await open(path, 'r');
  try {
    const read: ByteReader = (offset, length) => {
      const buffer = Buffer.alloc(length);
      const n = readSync(handle.fd, buffer, 0, length, offset);
      return buffer.subarray(0, n);
    };
    return fn(read);
  } finally {
    await handle.close();
  }
}

/**
 * Whether the bytes end with a complete ZIP archive: an end-of-central-directory record whose
 * comment runs exactly to the end of the file, preceded by a central directory. That is a
 * PDF/ZIP polyglot, not compressed data that happens to contain the signature.
 */
function endsWithZip(tail: Buffer): boolean {
  for (
    let p = tail.lastIndexOf('PK\x05\x06', undefined, 'latin1');
    p >= 0;
    p = tail.lastIndexOf('PK\x05\x06', p - 1, 'latin1')
  ) {
    if (p + 22 > tail.length) continue;
    const entries = tail.readUInt16LE(p + 10);
    const cdSize = tail.readUInt32LE(p + 12);
    const commentLength = tail.readUInt16LE(p + 20);
    if (p + 22 + commentLength !== tail.length) continue;
    if (entries === 0) return cdSize === 0;
    const cdStart = p - cdSize;
    if (cdStart >= 0 && tail.readUInt32LE(cdStart) === 0x02014b50) return true;
  }
  return false;
}

async function validatePdf(path: string, size: number, l: ValidationLimits): Promise<ValidationVerdict> {
  const { head, tail } = await withReader(path, (read) => ({
    head: read(0, 8),
    tail: read(Math.max(0, size - PDF_TAIL_BYTES), PDF_TAIL_BYTES),
  }));
  if (head.toString('latin1', 0, 5) !== '%PDF-')
    throw unprocessable('malformed_pdf', 'The file does not start with a PDF header');
  if (endsWithZip(tail)) throw unprocessable('polyglot', 'The PDF carries a ZIP archive after its end');
  // Writers put %%EOF within the last kilobyte; without it the upload was cut short.
  if (!tail.subarray(Math.max(0, tail.length - 1024)).includes('%%EOF', 0, 'latin1')) {
    throw unprocessable('malformed_pdf', 'The PDF is truncated (no end-of-file marker)');
  }
  // pdf.js needs the whole file in memory; the size was bounded by maxBytes above.
  const data = new Uint8Array(await readFile(path));
  const pdf = await openPdf(data, { maxImagePixels: l.maxImagePixels });
  try {
    const pageCount = pdf.numPages;
    if (pageCount < 1) throw unprocessable('malformed_pdf', 'The PDF has no pages');
    if (pageCount > l.maxPages) {
      throw unprocessable('too_many_pages', 'The PDF has more pages than allowed', {
        pageCount,
        limit: l.maxPages,
      });
    }
    return { kind: 'pdf', bytes: size, pageCount };
  } finally {
    await pdf.destroy();
  }
}

function isZipBombError(err: unknown): boolean {
  // yauzl's size validation: the data inflates past what the central directory declares.
  return err instanceof Error && /too many bytes/i.test(err.message);
}

async function validateDocx(path: string, size: number, l: ValidationLimits): Promise<ValidationVerdict> {
  const head = await withReader(path, (read) => read(0, 8));
  if (isOleCompoundFile(head)) {
    throw unprocessable('encrypted_docx', 'The Word document is password-protected');
  }
  if (head.length < 4 || head.readUInt32LE(0) !== 0x04034b50)
    throw unprocessable('malformed_docx', 'The DOCX is not a ZIP archive');

  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, {
      lazyEntries: true,
      autoClose: false,
      validateEntrySizes: true,
      strictFileNames: false,
    });
  } catch (err) {
    throw unprocessable('malformed_docx', 'The DOCX archive cannot be read', {}, err);
  }
  try {
    if (zip.entryCount > l.maxZipEntries) {
      throw unprocessable('zip_bomb', 'The DOCX has too many entries', {
        entries: zip.entryCount,
        limit: l.maxZipEntries,
      });
    }
    const entries: yauzl.Entry[] = [];
    let declared = 0;
    try {
      for await (const entry of zip.eachEntry()) {
        entries.push(entry);
        if (entry.isEncrypted()) throw unprocessable('encrypted_docx', 'The DOCX has encrypted entries');
        declared += entry.uncompressedSize;
        if (declared > l.maxUncompressedBytes) {
          throw unprocessable('zip_bomb', 'The DOCX expands beyond the allowed size', {
            limit: l.maxUncompressedBytes,
          });
        }
        const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
        if (entry.uncompressedSize > RATIO_FLOOR_BYTES && ratio > l.maxCompressionRatio) {
          throw unprocessable('zip_bomb', 'A DOCX entry is compressed beyond the allowed ratio', {
            entry: entry.fileName,
            ratio: Math.round(ratio),
            limit: l.maxCompressionRatio,
          });
        }
        if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
          throw unprocessable('malformed_docx', 'The DOCX uses an unsupported compression method');
        }
      }
    } catch (err) {
      if (err instanceof Error && err.name === 'AppError') throw err;
      throw unprocessable('malformed_docx', 'The DOCX central directory is corrupt', {}, err);
    }
    if (declared > RATIO_FLOOR_BYTES && declared / size > l.maxCompressionRatio) {
      throw unprocessable('zip_bomb', 'The DOCX is compressed beyond the allowed ratio', {
        limit: l.maxCompressionRatio,
      });
    }
    const names = new Set(entries.map((e) => e.fileName));
    if (!names.has('[Content_Types].xml') || !names.has('word/document.xml')) {
      throw unprocessable('malformed_docx', 'The DOCX lacks its content types or main document part');
    }
    // The central directory can lie; inflate every entry (streamed, nothing kept) so a part that
    // expands past its declared size is caught here and not inside the parser.
    for (const entry of entries) await drainEntry(zip, entry);
    return { kind: 'docx', bytes: size, entryCount: entries.length, uncompressedBytes: declared };
  } finally {
    zip.close();
  }
}

async function drainEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<void> {
  try {
    const stream = await zip.openReadStreamPromise(entry);
    for await (const _chunk of stream) {
      // Reading is the check: yauzl errors as soon as the data passes the declared size.
    }
  } catch (err) {
    if (isZipBombError(err)) {
      throw unprocessable(
        'zip_bomb',
        'A DOCX entry inflates beyond its declared size',
        { entry: entry.fileName },
        err,
      );
    }
    throw unprocessable('malformed_docx', 'A DOCX entry cannot be inflated', { entry: entry.fileName }, err);
  }
}

async function validateImage(
  path: string,
  kind: 'png' | 'jpeg' | 'tiff',
  size: number,
  l: ValidationLimits,
): Promise<ValidationVerdict> {
  return withReader(path, (read) => {
    if (kind === 'tiff') {
      const pages = readTiffPages(read, l.maxPages);
      for (const page of pages) {
        const reason = unsupportedReason(page);
        if (reason) throw unprocessable('unsupported_image', `Unsupported image: ${reason}`);
        assertPixelLimit(page, l.maxImagePixels);
      }
      return { kind, bytes: size, pageCount: pages.length, width: pages[0]!.width, height: pages[0]!.height };
    }
    const dims = kind === 'png' ? pngSize(read) : jpegSize(read);
    assertPixelLimit(dims, l.maxImagePixels);
    return { kind, bytes: size, pageCount: 1, ...dims };
  });
}

/**
 * Bytes at the end of `bytes` that start a UTF-8 sequence the chunk does not finish: they are checked
 * with the next chunk. Only a lead byte within the last three bytes can start such a sequence.
 */
function incompleteTail(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for its lead byte
    const needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return needed > back ? back : 0;
  }
  return 0;
}

/**
 * Streams the file through a UTF-8 validator: text and HTML are stored and searched as UTF-8.
 * `isUtf8` checks bytes without building strings (a fatal TextDecoder decoded the whole file into
 * strings: a quarter of the time of a 1 GiB upload); sequences split across chunks are carried over.
 */
async function assertUtf8(path: string): Promise<void> {
  try {
    let carry: Buffer | undefined;
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      const read = chunk as Buffer;
      if (read.includes(0)) throw new Error('NUL byte');
      const bytes = carry ? Buffer.concat([carry, read]) : read;
      const tail = incompleteTail(bytes);
      if (!isUtf8(bytes.subarray(0, bytes.length - tail))) throw new Error('invalid UTF-8');
      carry = tail > 0 ? Buffer.from(bytes.subarray(bytes.length - tail)) : undefined;
    }
    if (carry) throw new Error('truncated UTF-8 sequence at the end');
  } catch (err) {
    throw unprocessable('invalid_encoding', 'The text is not valid UTF-8', {}, err);
  }
}
