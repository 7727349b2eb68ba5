/**
 * A `Content-Disposition: attachment` value for a client-supplied file name. The name is reduced to its
 * last path component, stripped of control characters, quotes and separators, then offered twice: a
 * plain-ASCII `filename` for old clients and an RFC 5987 `filename*` carrying the full Unicode name.
 */
export function contentDisposition(filename: string): string {
  const base = filename.split(/[/\\]/).pop() ?? '';
  const cleaned =
    base
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f"]/g, '')
      .replace(/[\u2028\u2029]/g, '')
      .trim()
      .slice(0, 200) || 'download';
  const ascii = cleaned.replace(/[^\x20-\x7e]/g, '_').replace(/[%;]/g, '_');
  const encoded = encodeURIComponent(cleaned).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
