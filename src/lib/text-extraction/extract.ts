import { readFile, stat } from 'node:fs/promises';
import mammoth from 'mammoth';
import { extractText as extractPdfText, renderPageAsImage } from 'unpdf';
import { unprocessable } from './errors.js';
import { htmlToText } from './html.js';
import { assertPixelLimit, grayToPng, jpegSize, pngSize } from './images.js';
import { normalizeText, splitFormFeeds, visibleLength } from './normalize.js';
import { createOcrEngine, OcrError, type OcrEngine } from './ocr.js';
import { canvasImport, openPdf, pdfError, type PDFDocumentProxy } from './pdf.js';
import { bufferReader, decodeTiffPage, readTiffPages } from './tiff.js';
import type { ExtractedDocument, ExtractedPage, FileKind } from './types.js';
import { DEFAULT_LIMITS } from './validate.js';

export interface ExtractOptions {
  /**
   * The OCR engine to use; pass one shared engine for a batch. Without it an engine is created
   * on first need and closed before returning.
   */
  ocr?: OcrEngine;
  signal?: AbortSignal;
  maxPages?: number;
  /** Pages that may need OCR; beyond it the document is refused rather than half-read. */
  maxOcrPages?: number;
  maxBytes?: number;
  maxImagePixels?: number;
  /** Render scale for OCR of PDF pages (1 = 72 dpi); capped by maxImagePixels. */
  ocrScale?: number;
  /** A PDF page whose text layer has fewer visible characters than this is OCR'd. */
  minTextLayerChars?: number;
}

interface ResolvedOptions {
  signal: AbortSignal | undefined;
  maxPages: number;
  maxOcrPages: number;
  maxBytes: number;
  maxImagePixels: number;
  ocrScale: number;
  minTextLayerChars: number;
  ocr: () => OcrEngine;
}

export const DEFAULT_MAX_OCR_PAGES = 200;

/**
 * Text of a validated document, page by page, normalised. PDFs use their text layer and OCR the
 * pages that have none; DOCX pages follow explicit page breaks; images are OCR'd. Throws
 * UNPROCESSABLE_DOCUMENT for documents past the limits or that the parsers reject, and the
 * signal's reason when aborted between pages.
 */
export async function extractText(
  path: string,
  type: FileKind,
  options: ExtractOptions = {},
): Promise<ExtractedDocument> {
  let ownEngine: OcrEngine | undefined;
  const resolved: ResolvedOptions = {
    signal: options.signal,
    maxPages: options.maxPages ?? DEFAULT_LIMITS.maxPages,
    maxOcrPages: options.maxOcrPages ?? DEFAULT_MAX_OCR_PAGES,
    maxBytes: options.maxBytes ?? DEFAULT_LIMITS.maxBytes,
    maxImagePixels: options.maxImagePixels ?? DEFAULT_LIMITS.maxImagePixels,
    ocrScale: options.ocrScale ?? 3,
    minTextLayerChars: options.minTextLayerChars ?? 20,
    ocr: () => options.ocr ?? (ownEngine ??= createOcrEngine()),
  };
  resolved.signal?.throwIfAborted();
  try {
    switch (type) {
      case 'pdf':
        return await extractPdf(path, resolved);
      case 'docx':
        return await extractDocx(path, resolved);
      case 'html': {
        const html = decodeUtf8(await readBounded(path, resolved.maxBytes));
        return pagesFrom([normalizeText(htmlToText(html))], 'html', resolved);
      }
      case 'text': {
        const text = decodeUtf8(await readBounded(path, resolved.maxBytes));
        return pagesFrom(splitFormFeeds(text).map(normalizeText), 'plain', resolved);
      }
      case 'png':
      case 'jpeg':
      case 'tiff':
        return await extractImage(path, type, resolved);
      default: {
        // A kind added to FileKind without an extractor fails to compile here.
        const unsupported: never = type;
        throw new Error(`No extractor for ${String(unsupported)}`);
      }
    }
  } finally {
    await ownEngine?.close();
  }
}

async function readBounded(path: string, maxBytes: number): Promise<Buffer> {
  const { size } = await stat(path);
  if (size > maxBytes)
    throw unprocessable('too_large', 'The document is larger than allowed', { bytes: size, limit: maxBytes });
  return readFile(path);
}

function decodeUtf8(bytes: Buffer): string {
  // Lenient here: validation already refused invalid UTF-8 at upload.
  return new TextDecoder('utf-8').decode(bytes);
}

function assertPageCount(count: number, o: ResolvedOptions): void {
  if (count > o.maxPages) {
    throw unprocessable('too_many_pages', 'The document has more pages than allowed', {
      pageCount: count,
      limit: o.maxPages,
    });
  }
}

function assertOcrPageCount(count: number, o: ResolvedOptions): void {
  if (count > o.maxOcrPages) {
    throw unprocessable('too_many_ocr_pages', 'The document needs OCR on more pages than allowed', {
      ocrPages: count,
      limit: o.maxOcrPages,
    });
  }
}

function pagesFrom(texts: string[], method: ExtractedPage['method'], o: ResolvedOptions): ExtractedDocument {
  assertPageCount(texts.length, o);
  const pages = texts.map((text, i) => ({ page: i + 1, text, method }));
  return { pages, pageCount: pages.length, ocrPages: 0 };
}

async function extractPdf(path: string, o: ResolvedOptions): Promise<ExtractedDocument> {
  const data = new Uint8Array(await readBounded(path, o.maxBytes));
  const pdf = await openPdf(data, { maxImagePixels: o.maxImagePixels });
  try {
    assertPageCount(pdf.numPages, o);
    o.signal?.throwIfAborted();
    let texts: string[];
    try {
      ({ text: texts } = await extractPdfText(pdf, { mergePages: false }));
    } catch (err) {
      throw pdfError(err);
    }
    const pages: ExtractedPage[] = texts.map((text, i) => ({
      page: i + 1,
      text: normalizeText(text),
      method: 'text-layer',
    }));
    const scanned = pages.filter((p) => visibleLength(p.text) < o.minTextLayerChars);
    assertOcrPageCount(scanned.length, o);
    let ocrPages = 0;
    for (const page of scanned) {
      o.signal?.throwIfAborted();
      const image = await renderForOcr(pdf, page.page, o);
      const text = normalizeText(await o.ocr().recognize(image));
      // A page that was nearly empty in its text layer and in OCR keeps what the layer had.
      if (visibleLength(text) > visibleLength(page.text)) {
        page.text = text;
        page.method = 'ocr';
        ocrPages++;
      }
    }
    return { pages, pageCount: pages.length, ocrPages };
  } finally {
    await pdf.destroy();
  }
}

async function renderForOcr(pdf: PDFDocumentProxy, pageNumber: number, o: ResolvedOptions): Promise<Buffer> {
  try {
    const page = await pdf.getPage(pageNumber);
    const { width, height } = page.getViewport({ scale: 1 });
    // Scale down rather than refuse: a poster-sized page still OCRs at a lower resolution.
    const scale = Math.min(o.ocrScale, Math.sqrt(o.maxImagePixels / Math.max(1, width * height)));
    const png = await renderPageAsImage(pdf, pageNumber, { canvasImport, scale });
    return Buffer.from(png);
  } catch (err) {
    throw pdfError(err);
  }
}

interface DocxNode {
  type: string;
  value?: string;
  breakType?: string;
  children?: DocxNode[];
}

/** Plain text of mammoth's document tree, with page breaks kept as form feeds. */
function docxNodeText(node: DocxNode): string {
  switch (node.type) {
    case 'text':
      return node.value ?? '';
    case 'tab':
      return '\t';
    case 'break':
      return node.breakType === 'page' ? '\f' : '\n';
    default: {
      const inner = (node.children ?? []).map(docxNodeText).join('');
      if (node.type === 'paragraph') return `${inner}\n\n`;
      if (node.type === 'tableRow') return `${inner}\n`;
      if (node.type === 'tableCell') return `${inner}\t`;
      return inner;
    }
  }
}

async function extractDocx(path: string, o: ResolvedOptions): Promise<ExtractedDocument> {
  const buffer = await readBounded(path, o.maxBytes);
  let document: DocxNode | undefined;
  try {
    // mammoth's raw-text mode drops page breaks, so its document tree is taken from the HTML
    // pipeline's transform hook and the (then empty) HTML rendering is discarded.
    await mammoth.convertToHtml(
      { buffer },
      {
        transformDocument: (doc: DocxNode) => {
          document = doc;
          return { ...doc, children: [] };
        },
      },
    );
  } catch (err) {
    throw unprocessable('malformed_docx', 'The DOCX cannot be parsed', {}, err);
  }
  if (!document) throw unprocessable('malformed_docx', 'The DOCX has no document body');
  return pagesFrom(splitFormFeeds(docxNodeText(document)).map(normalizeText), 'docx', o);
}

async function extractImage(
  path: string,
  type: 'png' | 'jpeg' | 'tiff',
  o: ResolvedOptions,
): Promise<ExtractedDocument> {
  const buffer = await readBounded(path, o.maxBytes);
  const read = bufferReader(buffer);
  const images: (() => Promise<Buffer>)[] = [];
  if (type === 'tiff') {
    const tiffPages = readTiffPages(read, o.maxPages);
    for (const page of tiffPages) {
      assertPixelLimit(page, o.maxImagePixels);
      images.push(() => {
        const { width, height, gray } = decodeTiffPage(read, page);
        return grayToPng(width, height, gray);
      });
    }
  } else {
    assertPixelLimit(type === 'png' ? pngSize(read) : jpegSize(read), o.maxImagePixels);
    images.push(() => Promise.resolve(buffer));
  }
  assertOcrPageCount(images.length, o);
  const pages: ExtractedPage[] = [];
  for (const [i, image] of images.entries()) {
    o.signal?.throwIfAborted();
    let raw: string;
    try {
      raw = await o.ocr().recognize(await image());
    } catch (err) {
      // The header parsed but the pixel data does not decode.
      if (err instanceof OcrError)
        throw unprocessable('malformed_image', 'The image cannot be decoded', {}, err);
      throw err;
    }
    pages.push({ page: i + 1, text: normalizeText(raw), method: 'ocr' });
  }
  return { pages, pageCount: pages.length, ocrPages: pages.length };
}
