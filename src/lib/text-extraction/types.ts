/** The document kinds the service accepts; anything else is refused at upload. */
export type FileKind = 'pdf' | 'docx' | 'text' | 'html' | 'png' | 'jpeg' | 'tiff';

export interface DetectedType {
  kind: FileKind;
  /** The canonical media type stored with the document. */
  mime: string;
  /**
   * True when magic bytes cannot settle the type on their own: a zip is only a DOCX once its
   * entries are read (`inspectDocx`).
   */
  needsInspection: boolean;
}

export type ExtractionMethod = 'text-layer' | 'ocr' | 'docx' | 'html' | 'plain';

export interface ExtractedPage {
  /** 1-based. */
  page: number;
  text: string;
  method: ExtractionMethod;
}

export interface ExtractedDocument {
  pages: ExtractedPage[];
  pageCount: number;
  /** How many pages went through OCR. */
  ocrPages: number;
}

/**
 * Why a document was refused, carried in `AppError('UNPROCESSABLE_DOCUMENT').details.reason`
 * so clients and the job can tell the cases apart without parsing messages.
 */
export type UnprocessableReason =
  | 'too_large'
  | 'too_many_pages'
  | 'too_many_ocr_pages'
  | 'encrypted_pdf'
  | 'malformed_pdf'
  | 'polyglot'
  | 'zip_bomb'
  | 'malformed_docx'
  | 'encrypted_docx'
  | 'invalid_encoding'
  | 'malformed_image'
  | 'image_too_large'
  | 'unsupported_image';
