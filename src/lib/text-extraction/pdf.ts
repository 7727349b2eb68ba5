import './node-compat.js';
import { createIsomorphicCanvasFactory, getDocumentProxy } from 'unpdf';
import type * as NapiCanvas from '@napi-rs/canvas';
import type { PDFDocumentProxy } from 'unpdf/pdfjs';
import { unprocessable } from './errors.js';

export type { PDFDocumentProxy };

const canvasImport = (): Promise<typeof NapiCanvas> => import('@napi-rs/canvas');

/** How `renderPageAsImage` finds the canvas module in Node. */
export { canvasImport };

/**
 * Opens PDF bytes with the bundled pdf.js, with a Node canvas factory (so pages can be rendered
 * for OCR from the same proxy) and a cap on decoded image size. pdf.js's password and structure
 * errors become UNPROCESSABLE_DOCUMENT with `encrypted_pdf` / `malformed_pdf`.
 */
export async function openPdf(
  data: Uint8Array,
  options: { maxImagePixels: number },
): Promise<PDFDocumentProxy> {
  const CanvasFactory = await createIsomorphicCanvasFactory(canvasImport);
  try {
    return await getDocumentProxy(data, {
      CanvasFactory,
      maxImageSize: options.maxImagePixels,
      isEvalSupported: false,
      // Errors only: pdf.js warns on every recoverable oddity of real-world files.
      verbosity: 0,
    });
  } catch (err) {
    throw pdfError(err);
  }
}

/** Maps a pdf.js failure to the catalogue; anything already an AppError passes through. */
export function pdfError(err: unknown): Error {
  const name = err instanceof Error ? err.name : '';
  if (name === 'PasswordException') {
    return unprocessable('encrypted_pdf', 'The PDF is password-protected', {}, err);
  }
  if (name === 'AppError') return err as Error;
  return unprocessable('malformed_pdf', 'The PDF cannot be parsed', {}, err);
}
