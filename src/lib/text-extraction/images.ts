import { createCanvas } from '@napi-rs/canvas';
import { unprocessable } from './errors.js';
import type { ByteReader } from './tiff.js';

export interface ImageSize {
  width: number;
  height: number;
}

/** Width and height from a PNG's IHDR chunk, which the format requires to come first. */
export function pngSize(read: ByteReader): ImageSize {
  const head = read(0, 24);
  if (head.length < 24 || head.toString('latin1', 12, 16) !== 'IHDR') {
    throw unprocessable('malformed_image', 'PNG header is missing or truncated');
  }
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

// Start-of-frame markers (baseline, progressive, lossless...): not DHT (C4), JPG (C8) or DAC (CC).
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** Width and height from a JPEG's start-of-frame segment, walking segment headers only. */
export function jpegSize(read: ByteReader): ImageSize {
  let offset = 2;
  // Each step reads 9 bytes and skips a whole segment, so this is bounded by the segment count.
  for (let steps = 0; steps < 10_000; steps++) {
    const seg = read(offset, 9);
    if (seg.length < 4 || seg[0] !== 0xff) break;
    const marker = seg[1]!;
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break;
    const length = seg.readUInt16BE(2);
    if (SOF_MARKERS.has(marker)) {
      if (seg.length < 9) break;
      return { width: seg.readUInt16BE(7), height: seg.readUInt16BE(5) };
    }
    if (length < 2) break;
    offset += 2 + length;
  }
  throw unprocessable('malformed_image', 'JPEG has no frame header');
}

/** Refuses images whose pixel count would make decoding allocate more than the limit allows. */
export function assertPixelLimit(size: ImageSize, maxPixels: number): void {
  if (size.width === 0 || size.height === 0) throw unprocessable('malformed_image', 'Image has no pixels');
  if (size.width * size.height > maxPixels) {
    throw unprocessable('image_too_large', 'Image dimensions exceed the limit', {
      width: size.width,
      height: size.height,
      maxPixels,
    });
  }
}

/** Encodes 8-bit grayscale pixels as PNG, a format tesseract.js reads. */
export async function grayToPng(width: number, height: number, gray: Uint8Array): Promise<Buffer> {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  const rgba = image.data;
  for (let i = 0; i < gray.length; i++) {
    const v = gray[i]!;
    rgba[i * 4] = v;
    rgba[i * 4 + 1] = v;
    rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas.encode('png');
}
