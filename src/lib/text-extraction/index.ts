export type { DetectedType, FileKind } from './types.js';
export {
  DETECT_HEAD_BYTES,
  detectFile,
  detectFileType,
  inspectDocx,
  isAcceptableDeclared,
  isEncryptedOfficeFile,
  isExecutable,
  looksLikeText,
} from './detect.js';
export { validateDocument } from './validate.js';
export { extractText, type ExtractOptions } from './extract.js';
export { createOcrEngine, type OcrEngine } from './ocr.js';
export { classifyDocument } from './classify.js';
export { normalizeText, splitFormFeeds } from './normalize.js';
export { decodeEntities, htmlToText } from './html.js';
