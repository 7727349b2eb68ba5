import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import {
  bufferReader,
  decodeTiffPage,
  readTiffPages,
  unsupportedReason,
} from '../../../src/lib/text-extraction/tiff.js';
import { encodeTiff, lzwEncode, type GrayImage, type TiffOptions } from '../../helpers/fixtures.js';

/** A deterministic image with runs (for the RLE codecs) and noise (for LZW's table growth). */
function testImage(width: number, height: number, seed = 7): GrayImage {
  const gray = new Uint8Array(width * height);
  let state = seed;
  for (let i = 0; i < gray.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    gray[i] = i % width < width / 3 ? 255 : i % width < width / 2 ? 0 : state & 0xff;
  }
  return { width, height, gray };
}

function decodeAll(tiff: Buffer): GrayImage[] {
  const read = bufferReader(tiff);
  return readTiffPages(read, 100).map((page) => decodeTiffPage(read, page));
}

function reason(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.details?.reason : err;
  }
  return undefined;
}

describe('TIFF decoding', () => {
  const image = testImage(97, 61);

  it.each<[string, TiffOptions]>([
    ['uncompressed little-endian', { byteOrder: 'II' }],
    ['uncompressed big-endian', { byteOrder: 'MM' }],
    ['PackBits', { compression: 32773 }],
    ['LZW', { compression: 5 }],
    [
      'LZW with predictor, big-endian, several strips',
      { compression: 5, predictor: 2, byteOrder: 'MM', rowsPerStrip: 7 },
    ],
    ['Deflate', { compression: 8 }],
    ['Deflate with predictor', { compression: 8, predictor: 2, rowsPerStrip: 10 }],
    ['WhiteIsZero', { color: 'inverted' }],
    ['palette', { color: 'palette', compression: 32773 }],
    ['RGB', { color: 'rgb', compression: 5, predictor: 2 }],
  ])('round-trips 8-bit %s', (_name, options) => {
    const [decoded] = decodeAll(encodeTiff([image], options));
    expect(decoded?.width).toBe(image.width);
    expect(decoded?.height).toBe(image.height);
    expect(Buffer.from(decoded!.gray).equals(Buffer.from(image.gray))).toBe(true);
  });

  it('decodes 1-bit WhiteIsZero scans to black and white', () => {
    const [decoded] = decodeAll(encodeTiff([image], { color: 'bilevel', compression: 32773 }));
    const expected = image.gray.map((v) => (v < 128 ? 0 : 255));
    expect(Buffer.from(decoded!.gray).equals(Buffer.from(expected))).toBe(true);
  });

  it('reads every page of a multi-page file', () => {
    const pages = [testImage(40, 20, 1), testImage(30, 50, 2), testImage(10, 10, 3)];
    const decoded = decodeAll(encodeTiff(pages, { compression: 5 }));
    expect(decoded.map((p) => [p.width, p.height])).toEqual([
      [40, 20],
      [30, 50],
      [10, 10],
    ]);
    decoded.forEach((p, i) => expect(Buffer.from(p.gray).equals(Buffer.from(pages[i]!.gray))).toBe(true));
  });

  it('survives LZW table resets on large strips', () => {
    const big = testImage(600, 200, 11);
    const [decoded] = decodeAll(encodeTiff([big], { compression: 5 }));
    expect(Buffer.from(decoded!.gray).equals(Buffer.from(big.gray))).toBe(true);
    expect(lzwEncode(big.gray).length).toBeLessThan(big.gray.length);
  });

  it('refuses more pages than allowed, and directory loops', () => {
    const tiff = encodeTiff([testImage(8, 8), testImage(8, 8), testImage(8, 8)]);
    expect(reason(() => readTiffPages(bufferReader(tiff), 2))).toBe('too_many_pages');
    // Point the second page's next-IFD field back at the first IFD.
    const looped = Buffer.from(encodeTiff([testImage(8, 8), testImage(8, 8)]));
    const firstIfd = looped.readUInt32LE(4);
    const secondIfd = looped.readUInt32LE(firstIfd + 2 + looped.readUInt16LE(firstIfd) * 12);
    looped.writeUInt32LE(firstIfd, secondIfd + 2 + looped.readUInt16LE(secondIfd) * 12);
    expect(reason(() => readTiffPages(bufferReader(looped), 100))).toBe('malformed_image');
  });

  it('refuses truncated and foreign headers', () => {
    expect(reason(() => readTiffPages(bufferReader(Buffer.from('II*\0')), 10))).toBe('malformed_image');
    expect(reason(() => readTiffPages(bufferReader(Buffer.from('II+\0\x08\0\0\0')), 10))).toBe(
      'malformed_image',
    );
    const noIfd = Buffer.from([0x49, 0x49, 0x2a, 0, 0xff, 0xff, 0, 0]);
    expect(reason(() => readTiffPages(bufferReader(noIfd), 10))).toBe('malformed_image');
  });

  it('names what it cannot decode: CCITT fax compression', () => {
    const fax = encodeTiff([testImage(16, 16)], { color: 'bilevel', compression: 4 });
    const read = bufferReader(fax);
    const [page] = readTiffPages(read, 10);
    expect(unsupportedReason(page!)).toBe('TIFF compression 4');
    expect(reason(() => decodeTiffPage(read, page!))).toBe('unsupported_image');
  });

  it('refuses corrupt LZW data', () => {
    const tiff = Buffer.from(encodeTiff([testImage(50, 50)], { compression: 5 }));
    const read = bufferReader(tiff);
    const [page] = readTiffPages(read, 10);
    // Overwrite the strip with codes far beyond the table.
    tiff.fill(0xff, page!.stripOffsets[0]! + 2, page!.stripOffsets[0]! + 20);
    expect(reason(() => decodeTiffPage(read, page!))).toBe('malformed_image');
  });
});
