import type { PassageRecord } from './documents.store.js';

const TARGET = 900;
const MAX = 1400;

/**
 * Splits a page into passages of about TARGET characters, cutting at paragraph, then sentence, then
 * word boundaries, so search hits are quotable spans with exact offsets into the page text.
 */
export function splitPassages(page: number, text: string): PassageRecord[] {
  const out: PassageRecord[] = [];
  let start = 0;
  let ordinal = 0;
  while (start < text.length) {
    // Skip leading whitespace so passages start on content.
    while (start < text.length && /\s/.test(text[start]!)) start++;
    if (start >= text.length) break;
    let end = Math.min(text.length, start + MAX);
    if (end < text.length) {
      const window = text.slice(start + TARGET / 2, end);
      const para = window.lastIndexOf('\n\n');
      const sentence = Math.max(window.lastIndexOf('. '), window.lastIndexOf('.\n'), window.lastIndexOf('; '));
      const space = window.lastIndexOf(' ');
      const cut = para >= 0 ? para + 2 : sentence >= 0 ? sentence + 1 : space >= 0 ? space + 1 : window.length;
      end = start + TARGET / 2 + cut;
    }
    const slice = text.slice(start, end);
    const trimmedEnd = start + slice.trimEnd().length;
    if (trimmedEnd > start) out.push({ page, ordinal: ordinal++, start, end: trimmedEnd, text: text.slice(start, trimmedEnd) });
    start = end;
  }
  return out;
}
