import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../lib/errors.js';
import { errorResponses, pageOf, PageQuery, ActorId, Count, IdParam, Timestamp } from '../../lib/http-schemas.js';
import { requestMeta } from '../../lib/request-meta.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { contentDisposition } from '../../lib/blob-store/content-disposition.js';
import { ProductId } from '../loan-bookings/loan-bookings.schemas.js';
import { DOCUMENT_STATUSES, DOCUMENT_TYPES, type DocumentRecord } from './documents.store.js';
import type { IncomingPart } from './upload.js';

export const DocumentSchema = Type.Object(
  {
    id: IdParam('Document id.'),
    loan_booking_id: IdParam('The booking it belongs to.'),
    file_name: Type.String({ maxLength: 255, description: 'Sanitised original file name (metadata only).' }),
    content_type: Type.String({ maxLength: 200, description: 'Media type decided from the content (magic bytes).' }),
    kind: Type.Union(['pdf', 'docx', 'text', 'html', 'png', 'jpeg', 'tiff'].map((k) => Type.Literal(k)), { description: 'File kind.' }),
    size_bytes: Type.Integer({ format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Size in bytes.' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64, description: 'SHA-256 of the bytes (hex); also the download ETag.' }),
    status: Type.Union(DOCUMENT_STATUSES.map((s) => Type.Literal(s)), { description: 'uploaded, processing, processed or failed.' }),
    error_code: Type.Union([Type.String({ maxLength: 100 }), Type.Null()], { description: 'Why processing failed (e.g. encrypted_pdf).' }),
    error_message: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], { description: 'Human-readable processing error.' }),
    page_count: Type.Union([Count('Pages.'), Type.Null()], { description: 'Pages (known after validation or processing).' }),
    ocr_pages: Type.Union([Count('Pages read by OCR.'), Type.Null()], { description: 'Pages read by OCR.' }),
    document_type: Type.Union([...DOCUMENT_TYPES.map((t) => Type.Literal(t)), Type.Null()], { description: 'Classification.' }),
    document_type_confidence: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description: 'Confidence of the classification.' }),
    uploaded_by: ActorId('User who uploaded it.'),
    uploaded_at: Timestamp('Upload time.'),
    processed_at: Type.Union([Timestamp('When processing finished.'), Type.Null()]),
  },
  { $id: 'Document', description: 'A document of a loan booking.' },
);

export function toDocumentView(d: DocumentRecord) {
  return {
    id: d.id,
    loan_booking_id: d.bookingId,
    file_name: d.fileName,
    content_type: d.contentType,
    kind: d.kind,
    size_bytes: d.sizeBytes,
    sha256: d.sha256,
    status: d.status,
    error_code: d.errorCode,
    error_message: d.errorMessage,
    page_count: d.pageCount,
    ocr_pages: d.ocrPages,
    document_type: d.documentType,
    document_type_confidence: d.documentTypeConfidence,
    uploaded_by: d.uploadedBy,
    uploaded_at: d.uploadedAt.toISOString(),
    processed_at: d.processedAt ? d.processedAt.toISOString() : null,
  };
}

export const UploadMultipartSchema = Type.Object(
  { files: Type.Array(Type.String({ format: 'binary', maxLength: 0 }), { minItems: 1, maxItems: 1000, description: 'One or more files (PDF, DOCX, text, HTML, PNG, JPEG, TIFF).' }) },
  { description: 'multipart/form-data with one or more parts named "files".' },
);

/** Adapts @fastify/multipart's parts to the service's transport-free parts. */
export async function* incomingParts(request: FastifyRequest): AsyncGenerator<IncomingPart> {
  const parts = request.parts()[Symbol.asyncIterator]();
  for (;;) {
    let next;
    try {
      next = await parts.next();
    } catch (err) {
      // @fastify/multipart's own errors carry an FST_ code the error handler maps (limits, content type);
      // busboy's parse errors (body cut short, broken boundary) carry none and are the client's fault.
      if (err instanceof Error && !('code' in err)) throw new AppError('BAD_REQUEST', 'The multipart body is malformed or ended early', { cause: err });
      throw err;
    }
    if (next.done) return;
    const part = next.value;
    if (part.type === 'file') {
      yield { kind: 'file', fieldName: part.fieldname, fileName: part.filename, mimeType: part.mimetype, stream: part.file };
    } else {
      yield { kind: 'field', fieldName: part.fieldname, value: typeof part.value === 'string' ? part.value : String(part.value) };
    }
  }
}

/** An AbortSignal that fires when the client goes away mid-request. */
export function clientGone(request: FastifyRequest): AbortSignal {
  const controller = new AbortController();
  request.raw.once('close', () => {
    if (!request.raw.complete) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}

const RANGE_RE = /^bytes=(\d{0,15})-(\d{0,15})$/;

/** One byte range (RFC 9110 14.1.2); anything else (several ranges, garbage) is ignored: full content. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const m = RANGE_RE.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw new AppError('RANGE_NOT_SATISFIABLE', 'Empty suffix range', { headers: { 'content-range': `bytes */${size}` } });
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  if (end < start && m[2] !== '') return undefined;
  // Unsatisfiable (RFC 9110 14.1.1): the first byte asked for does not exist.
  if (start >= size) throw new AppError('RANGE_NOT_SATISFIABLE', 'The range starts past the end of the document', { headers: { 'content-range': `bytes */${size}` } });
  return { start, end };
}

/** If-None-Match (RFC 9110 13.1.2): `*`, or a list of tags compared weakly (a `W/` prefix does not matter). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

const DocParams = Type.Object({ id: IdParam('Document id.') });
const BookingParams = Type.Object({ id: IdParam('Loan booking id.') });

const DocumentFilterQuery = {
  ...PageQuery,
  status: Type.Optional(Type.Union(DOCUMENT_STATUSES.map((s) => Type.Literal(s)), { description: 'Processing status (processed = the legacy "synced documents").' })),
  kind: Type.Optional(Type.Union(['pdf', 'docx', 'text', 'html', 'png', 'jpeg', 'tiff'].map((k) => Type.Literal(k)), { description: 'File kind.' })),
  document_type: Type.Optional(Type.Union(DOCUMENT_TYPES.map((t) => Type.Literal(t)), { description: 'Classification.' })),
  uploaded_from: Type.Optional(Timestamp('Uploaded at or after.')),
  uploaded_to: Type.Optional(Timestamp('Uploaded before.')),
};

export async function documentRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { documents, config } = app.services;
  const DocRef = Type.Ref('Document');

  r.post(
    '/api/v1/loan-bookings/:id/documents',
    {
      config: { idempotent: true },
      schema: {
        summary: 'Upload documents to a loan booking',
        description:
          'multipart/form-data with one or more parts named "files", streamed to storage (never buffered). The type is decided from the content against an allow-list (PDF, DOCX, plain text, HTML, PNG, JPEG, TIFF): a mismatch with the declared type or extension is 415; encrypted, malformed or zip-bomb files are 422; size limits per file, per request and files per request are 413 naming the limit. All files of a request are stored or none. The same bytes uploaded again to the booking return the existing document (duplicate: true). Processing (text extraction, OCR, classification, indexing) runs on the job queue afterwards.',
        tags: ['documents'],
        params: BookingParams,
        multipartBody: UploadMultipartSchema,
        response: {
          201: Type.Object(
            { items: Type.Array(Type.Intersect([DocRef, Type.Object({ duplicate: Type.Boolean({ description: 'The bytes were already in this booking.' }) })]), { maxItems: 1000 }) },
            { description: 'The stored documents, in upload order.' },
          ),
          ...errorResponses(404, 409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the files as multipart/form-data');
      const result = await documents.upload({ bookingId: request.params.id }, incomingParts(request), requestMeta(request), clientGone(request));
      return reply.code(201).send({ items: result.documents.map((d) => ({ ...toDocumentView(d.record), duplicate: d.duplicate })) });
    },
  );

  r.get(
    '/api/v1/loan-bookings/:id/documents',
    {
      schema: {
        summary: 'List a loan booking\'s documents',
        description: 'Newest first, cursor-paginated, with the same filters as GET /api/v1/documents.',
        tags: ['documents', 'loan-bookings'],
        params: BookingParams,
        querystring: Type.Object(DocumentFilterQuery, { additionalProperties: false }),
        response: { 200: pageOf(DocRef, 'A page of documents.'), ...errorResponses(404) },
      },
    },
    async (request) => {
      const tenantId = request.principal!.tenantId;
      await app.services.loanBookings.get(tenantId, request.params.id);
      return listDocuments(tenantId, { ...request.query, loan_booking_id: request.params.id });
    },
  );

  r.get(
    '/api/v1/documents',
    {
      schema: {
        summary: 'List documents',
        description: 'Documents of the caller\'s organisation, newest first, cursor-paginated. Filters: booking, product, status (status=processed is the legacy "synced documents" view), kind, type, upload range.',
        tags: ['documents'],
        querystring: Type.Object(
          { ...DocumentFilterQuery, loan_booking_id: Type.Optional(IdParam('Only this booking.')), product_id: Type.Optional(ProductId) },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(DocRef, 'A page of documents.'), ...errorResponses() },
      },
    },
    async (request) => listDocuments(request.principal!.tenantId, request.query),
  );

  async function listDocuments(
    tenantId: string,
    q: {
      limit?: number;
      cursor?: string;
      status?: (typeof DOCUMENT_STATUSES)[number];
      kind?: string;
      document_type?: (typeof DOCUMENT_TYPES)[number];
      uploaded_from?: string;
      uploaded_to?: string;
      loan_booking_id?: string;
      product_id?: string;
    },
  ) {
    const limit = q.limit ?? 20;
    const filters = {
      loan_booking_id: q.loan_booking_id,
      product_id: q.product_id,
      status: q.status,
      kind: q.kind,
      document_type: q.document_type,
      uploaded_from: q.uploaded_from,
      uploaded_to: q.uploaded_to,
    };
    const position = decodeCursor<{ id: string }>(q.cursor, filters);
    const rows = await documents.list(
      tenantId,
      {
        bookingId: q.loan_booking_id,
        productId: q.product_id,
        status: q.status,
        kind: q.kind as DocumentRecord['kind'] | undefined,
        documentType: q.document_type,
        uploadedFrom: q.uploaded_from ? new Date(q.uploaded_from) : undefined,
        uploadedTo: q.uploaded_to ? new Date(q.uploaded_to) : undefined,
      },
      { limit: limit + 1, beforeId: position?.id },
    );
    return toPage(rows, limit, toDocumentView, (d) => ({ id: d.id }), filters);
  }

  r.get(
    '/api/v1/documents/:id',
    {
      schema: {
        summary: 'Get a document\'s metadata',
        description: 'Name, size, type, SHA-256, page count, classification, processing status and error, uploader.',
        tags: ['documents'],
        params: DocParams,
        response: { 200: DocRef, ...errorResponses(404) },
      },
    },
    async (request) => toDocumentView(await documents.get(request.principal!.tenantId, request.params.id)),
  );

  r.get(
    '/api/v1/documents/:id/content',
    {
      config: { compress: false },
      schema: {
        summary: 'Download a document',
        description:
          'Streams the original bytes as an attachment (Content-Disposition with an RFC 6266 filename*), ETag = SHA-256, X-Content-Type-Options: nosniff. Supports a single byte Range (206, or 416). With presigned downloads configured (S3), answers 302 to a short-lived URL instead.',
        tags: ['documents'],
        params: DocParams,
        headers: Type.Object({
          range: Type.Optional(Type.String({ maxLength: 100, description: 'bytes=start-end' })),
          'if-none-match': Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: {
          200: Type.String({ format: 'binary', description: 'The document bytes.', contentMediaType: 'application/octet-stream', maxLength: 0 }),
          206: Type.String({ format: 'binary', description: 'The requested byte range.', contentMediaType: 'application/octet-stream', maxLength: 0 }),
          302: Type.Null({ description: 'Redirect to a presigned URL (S3, when enabled).' }),
          304: Type.Null({ description: 'Not modified.' }),
          ...errorResponses(404, 416),
        },
      },
    },
    async (request, reply) => {
      const tenantId = request.principal!.tenantId;
      const doc = await documents.get(tenantId, request.params.id);
      const etag = `"${doc.sha256}"`;
      if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).header('etag', etag).send(null);
      const range = parseRange(request.headers.range, doc.sizeBytes);
      const result = await documents.content(tenantId, doc.id, range, { presign: config.blob.kind === 's3' && config.blob.presignedDownloads });
      reply
        .header('etag', etag)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .header('content-disposition', contentDisposition(doc.fileName))
        .header('accept-ranges', 'bytes');
      if (result.redirectUrl) return reply.code(302).header('location', result.redirectUrl).send(null);
      reply.type(doc.contentType);
      if (result.range) {
        reply
          .code(206)
          .header('content-range', `bytes ${result.range.start}-${result.range.end}/${doc.sizeBytes}`)
          .header('content-length', String(result.range.end - result.range.start + 1));
      } else {
        reply.header('content-length', String(doc.sizeBytes));
      }
      // A stream, not the schema's string: Fastify pipes it without serialising.
      return reply.send(result.stream as unknown as string);
    },
  );

  r.get(
    '/api/v1/documents/:id/pages',
    {
      schema: {
        summary: 'Extracted text of a document',
        description: 'Per-page text (text layer, DOCX, HTML, plain text or OCR) of a processed document, paginated by page number.',
        tags: ['documents'],
        params: DocParams,
        querystring: Type.Object(
          {
            from: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 100_000, default: 1, description: 'First page.' })),
            limit: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 50, default: 10, description: 'Pages to return.' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              items: Type.Array(
                Type.Object({
                  page: Count('Page number (1-based).'),
                  text: Type.String({ maxLength: 10_000_000 }),
                  method: Type.String({ maxLength: 20, description: 'text-layer, ocr, docx, html or plain.' }),
                }),
                { maxItems: 50 },
              ),
            },
            { description: 'Pages.' },
          ),
          ...errorResponses(404),
        },
      },
    },
    async (request) => ({
      items: await documents.pages(request.principal!.tenantId, request.params.id, request.query.from ?? 1, request.query.limit ?? 10),
    }),
  );

  r.delete(
    '/api/v1/documents/:id',
    {
      schema: {
        summary: 'Delete a document',
        description: 'Removes the document, its stored bytes, its text and its index entries. Audited.',
        tags: ['documents'],
        params: DocParams,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      await documents.remove(request.params.id, requestMeta(request));
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/documents/:id/reprocess',
    {
      schema: {
        summary: 'Process a failed document again',
        description: 'Puts a failed document back on the processing queue. Admin only; audited.',
        tags: ['documents', 'operations'],
        params: DocParams,
        response: { 202: DocRef, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => reply.code(202).send(toDocumentView(await documents.reprocess(request.params.id, requestMeta(request)))),
  );

  r.get(
    '/api/v1/loan-bookings/:id/search',
    {
      schema: {
        summary: 'Search a booking\'s documents',
        description:
          'Full-text search over the booking\'s processed documents (PostgreSQL text search, or the knowledge base\'s Retrieve filtered to the booking when one is configured). Ranked passages with document, page, verbatim text and the offsets of matched terms.',
        tags: ['documents', 'extraction'],
        params: BookingParams,
        querystring: Type.Object(
          {
            q: Type.String({ minLength: 1, maxLength: 500, description: 'Search words; quotes for phrases, - to exclude.' }),
            limit: Type.Optional(Type.Integer({ format: 'int32', minimum: 1, maximum: 50, default: 10, description: 'Passages to return.' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              items: Type.Array(
                Type.Object({
                  document_id: Type.String({ maxLength: 36, description: 'Document id.' }),
                  document_name: Type.String({ maxLength: 255 }),
                  page: Count('Page number (1-based).'),
                  start: Count('Offset of the passage in the page text.'),
                  end: Count('Offset just past the passage.'),
                  text: Type.String({ maxLength: 10_000, description: 'The passage, verbatim.' }),
                  score: Type.Number(),
                  highlights: Type.Array(Type.Object({ start: Count('Offset.'), end: Count('Offset.') }), { maxItems: 1000, description: 'Matched terms, as offsets into text.' }),
                }),
                { maxItems: 50 },
              ),
            },
            { description: 'Ranked passages.' },
          ),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const hits = await documents.search(request.principal!.tenantId, request.params.id, request.query.q, request.query.limit ?? 10);
      return {
        items: hits.map((h) => ({ document_id: h.documentId, document_name: h.documentName, page: h.page, start: h.start, end: h.end, text: h.text, score: h.score, highlights: h.highlights })),
      };
    },
  );
}
