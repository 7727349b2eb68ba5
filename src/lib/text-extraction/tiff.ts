import { inflateSync } from 'node:zlib';
import { unprocessable } from './errors.js';

/**
 * A baseline TIFF reader, because tesseract.js (Leptonica in WebAssembly) reads no TIFF and a
 * scanned multi-page TIFF is a common bank upload. Strips only; uncompressed, LZW, Deflate and
 * PackBits; 1- and 8-bit gray, palette, RGB(A). CCITT fax and JPEG-in-TIFF are refused as
 * `unsupported_image`.
 */

/** Reads `length` bytes at `offset`; shorter at the end of the file. */
export type ByteReader = (offset: number, length: number) => Buffer;

export interface TiffPage {
  width: number;
  height: number;
  bitsPerSample: number[];
  samplesPerPixel: number;
  compression: number;
  photometric: number;
  predictor: number;
  planarConfiguration: number;
  stripOffsets: number[];
  stripByteCounts: number[];
  rowsPerStrip: number;
  colorMap: number[] | undefined;
  tiled: boolean;
}

const TYPE_SIZES: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
};
const SUPPORTED_COMPRESSION = new Set([1, 5, 8, 32946, 32773]);

function malformed(message: string): Error {
  return unprocessable('malformed_image', message);
}

/** Walks the IFD chain and returns one entry per page, refusing loops and more than `maxPages` pages. */
export function readTiffPages(read: ByteReader, maxPages: number): TiffPage[] {
  const header = read(0, 8);
  if (header.length < 8) throw malformed('TIFF header is truncated');
  const order = header.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') throw malformed('Not a TIFF file');
  const le = order === 'II';
  const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  if (u16(header, 2) !== 42) throw malformed('Unsupported TIFF variant (BigTIFF or not TIFF)');

  const pages: TiffPage[] = [];
  const seen = new Set<number>();
  let ifdOffset = u32(header, 4);
  while (ifdOffset !== 0) {
    if (seen.has(ifdOffset)) throw malformed('TIFF directory chain loops');
    seen.add(ifdOffset);
    if (pages.length >= maxPages) {
      throw unprocessable('too_many_pages', 'The image has more pages than allowed', { limit: maxPages });
    }
    const countBuf = read(ifdOffset, 2);
    if (countBuf.length < 2) throw malformed('TIFF directory is outside the file');
    const count = u16(countBuf, 0);
    const ifd = read(ifdOffset + 2, count * 12 + 4);
    if (ifd.length < count * 12 + 4) throw malformed('TIFF directory is truncated');
    const tags = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const o = i * 12;
      const tag = u16(ifd, o);
      const type = u16(ifd, o + 2);
      const n = u32(ifd, o + 4);
      const size = TYPE_SIZES[type];
      if (size === undefined || (type !== 3 && type !== 4)) continue;
      // Strip tables of a huge scan stay small; anything bigger is hostile.
      if (n > 1_000_000) throw malformed('TIFF tag has too many values');
      const bytes = n * size;
      const data = bytes <= 4 ? ifd.subarray(o + 8, o + 12) : read(u32(ifd, o + 8), bytes);
      if (data.length < bytes) throw malformed('TIFF tag points outside the file');
      const values: number[] = [];
      for (let k = 0; k < n; k++) values.push(type === 3 ? u16(data, k * 2) : u32(data, k * 4));
      tags.set(tag, values);
    }
    const one = (tag: number, fallback?: number): number => {
      const v = tags.get(tag)?.[0] ?? fallback;
      if (v === undefined) throw malformed(`TIFF tag ${tag} is missing`);
      return v;
    };
    const samplesPerPixel = one(277, 1);
    const height = one(257);
    pages.push({
      width: one(256),
      height,
      bitsPerSample: tags.get(258) ?? Array.from({ length: samplesPerPixel }, () => 1),
      samplesPerPixel,
      compression: one(259, 1),
      photometric: one(262, 1),
      predictor: one(317, 1),
      planarConfiguration: one(284, 1),
      stripOffsets: tags.get(273) ?? [],
      stripByteCounts: tags.get(279) ?? [],
      rowsPerStrip: Math.min(one(278, height), height),
      colorMap: tags.get(320),
      tiled: tags.has(322) || tags.has(324),
    });
    ifdOffset = u32(ifd, count * 12);
  }
  if (pages.length === 0) throw malformed('TIFF has no pages');
  return pages;
}

/** Why a page cannot be decoded here, or undefined when it can. */
export function unsupportedReason(page: TiffPage): string | undefined {
  if (page.tiled) return 'tiled TIFF';
  if (!SUPPORTED_COMPRESSION.has(page.compression)) return `TIFF compression ${page.compression}`;
  if (page.planarConfiguration !== 1) return 'planar TIFF';
  const bits = page.bitsPerSample[0];
  if (!page.bitsPerSample.every((b) => b === bits) || (bits !== 1 && bits !== 8))
    return `${bits}-bit TIFF samples`;
  if (bits === 1 && page.samplesPerPixel !== 1) return 'multi-sample bilevel TIFF';
  if (![0, 1, 2, 3].includes(page.photometric)) return `TIFF photometric ${page.photometric}`;
  return undefined;
}

function lzwDecode(input: Buffer, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let written = 0;
  let table: Uint8Array[] = [];
  const reset = (): void => {
    table = Array.from({ length: 258 }, (_, i) => Uint8Array.of(i));
  };
  reset();
  let codeLength = 9;
  let bitPosition = 0;
  const totalBits = input.length * 8;
  const readCode = (): number => {
    if (bitPosition + codeLength > totalBits) return 257;
    let code = 0;
    for (let i = 0; i < codeLength; i++) {
      const bit = (input[(bitPosition + i) >> 3]! >> (7 - ((bitPosition + i) & 7))) & 1;
      code = (code << 1) | bit;
    }
    bitPosition += codeLength;
    return code;
  };
  const emit = (entry: Uint8Array): void => {
    const n = Math.min(entry.length, expected - written);
    out.set(entry.subarray(0, n), written);
    written += n;
  };
  let previous: Uint8Array | undefined;
  while (written < expected) {
    const code = readCode();
    if (code === 257) break;
    if (code === 256) {
      reset();
      codeLength = 9;
      previous = undefined;
      continue;
    }
    let entry: Uint8Array;
    if (code < table.length) {
      entry = table[code]!;
      if (previous) table.push(concatByte(previous, entry[0]!));
    } else if (previous && code === table.length) {
      entry = concatByte(previous, previous[0]!);
      table.push(entry);
    } else {
      throw malformed('Corrupt LZW data in TIFF');
    }
    emit(entry);
    previous = entry;
    // TIFF's LZW switches code width one code early.
    if (table.length + 1 >= 1 << codeLength && codeLength < 12) codeLength++;
  }
  return out;
}

function concatByte(prefix: Uint8Array, byte: number): Uint8Array {
  const next = new Uint8Array(prefix.length + 1);
  next.set(prefix);
  next[prefix.length] = byte;
  return next;
}

function packBitsDecode(input: Buffer, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let i = 0;
  let written = 0;
  while (i < input.length && written < expected) {
    const n = (input[i++]! << 24) >> 24;
    if (n >= 0) {
      const count = Math.min(n + 1, expected - written, input.length - i);
      out.set(input.subarray(i, i + count), written);
      written += count;
      i += n + 1;
    } else if (n !== -128) {
      const count = Math.min(1 - n, expected - written);
      out.fill(input[i++] ?? 0, written, written + count);
      written += count;
    }
  }
  return out;
}

function decompress(page: TiffPage, data: Buffer, expected: number): Uint8Array {
  switch (page.compression) {
    case 1:
      return data.subarray(0, expected);
    case 5:
      return lzwDecode(data, expected);
    case 8:
    case 32946:
      try {
        // maxOutputLength keeps a deflate bomb inside one strip from inflating past the strip.
        return inflateSync(data, { maxOutputLength: Math.max(expected, 1) });
      } catch (err) {
        throw unprocessable('malformed_image', 'Corrupt Deflate data in TIFF', {}, err);
      }
    default:
      return packBitsDecode(data, expected);
  }
}

/** Decodes one page into 8-bit grayscale, the only thing OCR needs. */
export function decodeTiffPage(
  read: ByteReader,
  page: TiffPage,
): { width: number; height: number; gray: Uint8Array } {
  const reason = unsupportedReason(page);
  if (reason) throw unprocessable('unsupported_image', `Unsupported image: ${reason}`);
  const { width, height, samplesPerPixel: spp } = page;
  const bits = page.bitsPerSample[0]!;
  const rowBytes = bits === 1 ? Math.ceil(width / 8) : width * spp;
  const raw = new Uint8Array(rowBytes * height);
  const strips = page.stripOffsets.length;
  if (strips === 0 || page.stripByteCounts.length !== strips)
    throw malformed('TIFF strip tables are missing');
  for (let s = 0; s < strips; s++) {
    const firstRow = s * page.rowsPerStrip;
    if (firstRow >= height) break;
    const rows = Math.min(page.rowsPerStrip, height - firstRow);
    const expected = rows * rowBytes;
    const data = read(page.stripOffsets[s]!, page.stripByteCounts[s]!);
    const strip = decompress(page, data, expected);
    if (page.predictor === 2 && bits === 8) {
      for (let r = 0; r < rows; r++) {
        const base = r * rowBytes;
        for (let i = spp; i < rowBytes; i++)
          strip[base + i] = (strip[base + i]! + strip[base + i - spp]!) & 0xff;
      }
    }
    raw.set(strip.subarray(0, Math.min(strip.length, expected)), firstRow * rowBytes);
  }

  const gray = new Uint8Array(width * height);
  const map = page.colorMap;
  const paletteSize = 1 << bits;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let value: number;
      if (bits === 1) {
        const bit = (raw[y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1;
        value = page.photometric === 0 ? (bit ? 0 : 255) : bit ? 255 : 0;
      } else {
        const o = y * rowBytes + x * spp;
        if (page.photometric === 2 && spp >= 3) {
          value = Math.round(0.299 * raw[o]! + 0.587 * raw[o + 1]! + 0.114 * raw[o + 2]!);
        } else if (page.photometric === 3 && map) {
          const index = raw[o]!;
          const r = (map[index] ?? 0) >> 8;
          const g = (map[paletteSize + index] ?? 0) >> 8;
          const b = (map[2 * paletteSize + index] ?? 0) >> 8;
          value = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
        } else {
          value = page.photometric === 0 ? 255 - raw[o]! : raw[o]!;
        }
      }
      gray[y * width + x] = value;
    }
  }
  return { width, height, gray };
}

/** A ByteReader over an in-memory file. */
export function bufferReader(buffer: Buffer): ByteReader {
  return (offset, length) => buffer.subarray(offset, Math.min(buffer.length, offset + length));
}
