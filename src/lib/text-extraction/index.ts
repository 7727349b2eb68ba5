export type {
  DetectedType,
  ExtractedDocument,
  ExtractedPage,
  ExtractionMethod,
  FileKind,
  UnprocessableReason,
} from './types.js';
export {
  CANONICAL_MIME,
  DETECT_HEAD_BYTES,
  detectFile,
  detectFileType,
  inspectDocx,
  isAcceptableDeclared,
  isEncryptedOfficeFile,
  isExecutable,
  isOleCompoundFile,
  looksLikeText,
  readHead,
} from './detect.js';
export {
  DEFAULT_LIMITS,
  validateDocument,
  type ValidationLimits,
  type ValidationVerdict,
} from './validate.js';
export { DEFAULT_MAX_OCR_PAGES, extractText, type ExtractOptions } from './extract.js';
export { createOcrEngine, OcrError, type OcrEngine } from './ocr.js';
export { classifyDocument, type Classification, type DocumentType } from './classify.js';
export { normalizeText, splitFormFeeds } from './normalize.js';
export { decodeEntities, htmlToText } from './html.js';
