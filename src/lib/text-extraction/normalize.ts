// Bidi embedding/override/isolate controls and marks: invisible, and a way to make text read
// differently from how it is stored (Trojan Source), so they never reach the extracted text.
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
// NUL and the C0/C1 controls other than tab and line feed; zero-width no-break space (BOM).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const OTHER_CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFEFF]/g;
// Horizontal whitespace, including the Unicode space separators and NBSP.
const HORIZONTAL_SPACE = /[ \t\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/g;

/**
 * Canonical text for storage and search: NFC, LF line breaks, no NUL or bidi controls, runs of
 * spaces collapsed, trailing spaces trimmed, at most one blank line in a row.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n')
    .replace(BIDI_CONTROLS, '')
    .replace(OTHER_CONTROLS, '')
    .replace(HORIZONTAL_SPACE, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Splits on form feeds (the page separator of plain-text exports); a trailing one adds no page. */
export function splitFormFeeds(text: string): string[] {
  const parts = text.split('\f');
  if (parts.length > 1 && parts[parts.length - 1]!.trim() === '') parts.pop();
  return parts;
}

/** Non-whitespace characters: how much text a page really has. */
export function visibleLength(text: string): number {
  return text.replace(/\s+/g, '').length;
}
