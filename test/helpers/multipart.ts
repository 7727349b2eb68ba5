import { randomBytes } from 'node:crypto';

/** One file part of a multipart/form-data body. `field` defaults to "files" (the upload routes' part name). */
export interface MultipartFile {
  name: string;
  type: string;
  data: Buffer;
  field?: string;
}

export interface MultipartBody {
  payload: Buffer;
  headers: { 'content-type': string };
  boundary: string;
}

/** Quotes a value for a Content-Disposition parameter the way browsers do (escaping " and \). */
function quote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** The opening of one file part (boundary line and headers), before its bytes. */
export function filePartHead(boundary: string, file: Omit<MultipartFile, 'data'>): Buffer {
  return Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'files'}"; filename="${quote(file.name)}"\r\nContent-Type: ${file.type}\r\n\r\n`,
    'utf8',
  );
}

export function newBoundary(): string {
  return `----clsboundary${randomBytes(8).toString('hex')}`;
}

/**
 * A multipart/form-data body: the fields first (as the legacy one-call flow expects), then the
 * files, each in a part named `field` (default "files").
 */
export function multipart(files: MultipartFile[], fields: Record<string, string> = {}): MultipartBody {
  const boundary = newBoundary();
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`, 'utf8'));
  }
  for (const f of files) parts.push(filePartHead(boundary, f), f.data, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, boundary };
}
