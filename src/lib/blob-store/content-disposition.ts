import { sanitizeFileName } from '../file-names.js';

/**
 * A `Content-Disposition: attachment` value for a client-supplied file name, safe to put in a header
 * (no CR/LF, quotes or backslashes can survive). The name is sanitised like every echoed file name, then
 * offered twice: a plain-ASCII `filename` for old clients and an RFC 5987 `filename*` with the full name.
 */
export function contentDisposition(filename: string): string {
  const name = sanitizeFileName(filename);
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/[%;\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
