/**
 * A client's file name made safe to store and echo: last path component only, no control, bidi or
 * format characters, no reserved punctuation, bounded length (keeping the extension), never empty.
 * It is metadata only: storage keys never derive from it.
 */
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb<>:"|?*]/g;

export function sanitizeFileName(raw: string | undefined, maxLength = 200): string {
  const base = (raw ?? '').normalize('NFC').split(/[/\\]/).pop() ?? '';
  let name = base.replace(UNSAFE, '').replace(/\s+/g, ' ').trim();
  // Leading dots would make hidden files or `..` on systems that later save the download.
  name = name.replace(/^\.+/, '').trim();
  if (name.length > maxLength) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
    name = name.slice(0, maxLength - ext.length) + ext;
  }
  return name || 'document';
}
