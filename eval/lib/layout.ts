/**
 * Lays prose out the way text extracted from a filed PDF looks: paragraphs wrapped at a fixed
 * width, pages of a fixed number of lines separated by form feeds, a page number footer and a
 * law-firm document number on every page, page breaks falling wherever the text reaches them.
 */

export interface Block {
  text: string;
  /** Centre the lines (cover pages, headings). */
  center?: boolean;
  /** Keep line breaks as written (tables, signature blocks, TOC). */
  pre?: boolean;
  /** Start a new page before this block. */
  pageBreak?: boolean;
  indent?: number;
}

export const p = (text: string, indent = 0): Block => ({ text, indent });
export const center = (text: string): Block => ({ text, center: true });
export const pre = (text: string): Block => ({ text, pre: true });
export const pageBreak = (): Block => ({ text: '', pageBreak: true });

const WIDTH = 96;

export function wrap(text: string, width = WIDTH, indent = 0): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let line = ' '.repeat(indent);
  for (const w of words) {
    if (line.trim().length > 0 && line.length + 1 + w.length > width) {
      lines.push(line);
      line = ' '.repeat(indent) + w;
    } else {
      line += (line.trim().length > 0 ? ' ' : '') + w;
    }
  }
  if (line.trim().length > 0) lines.push(line);
  return lines;
}

export interface LayoutOptions {
  linesPerPage: number;
  /** Footer lines; `{n}` is the page number. */
  footer: string[];
  /** Pages before the first numbered page (cover and table of contents) use roman numerals. */
  romanPages?: number;
}

function roman(n: number): string {
  const map: [number, string][] = [
    [10, 'x'],
    [9, 'ix'],
    [5, 'v'],
    [4, 'iv'],
    [1, 'i'],
  ];
  let out = '';
  let x = n;
  for (const [v, s] of map)
    while (x >= v) {
      out += s;
      x -= v;
    }
  return out;
}

export function layout(blocks: Block[], options: LayoutOptions): string {
  const pages: string[][] = [[]];
  const current = (): string[] => pages[pages.length - 1]!;
  const push = (line: string): void => {
    if (current().length >= options.linesPerPage) pages.push([]);
    current().push(line);
  };
  for (const b of blocks) {
    if (b.pageBreak) {
      if (current().length > 0) pages.push([]);
      continue;
    }
    let lines: string[];
    if (b.pre) lines = b.text.split('\n');
    else if (b.center)
      lines = b.text
        .split('\n')
        .map((l) =>
          l.trim() ? ' '.repeat(Math.max(0, Math.floor((WIDTH - l.trim().length) / 2))) + l.trim() : '',
        );
    else lines = wrap(b.text, WIDTH, b.indent ?? 0);
    for (const l of lines) push(l);
    if (!b.pre || b.text.length > 0) push('');
  }
  const romanPages = options.romanPages ?? 0;
  return pages
    .filter((pg) => pg.some((l) => l.trim()))
    .map((pg, i) => {
      const number = i < romanPages ? roman(i + 1) : String(i + 1 - romanPages);
      const footer = options.footer.map((f) => f.replace('{n}', number));
      while (pg.length > 0 && pg[pg.length - 1]!.trim() === '') pg.pop();
      return [...pg, '', ...footer].join('\n');
    })
    .join('\n\f');
}

/** Deterministic pseudo-random numbers so that generated documents are stable between runs. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

export function money(amount: number): string {
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 0 })}`;
}

export function money2(amount: number): string {
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export function longDate(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return `${MONTHS[m - 1]} ${d}, ${y}`;
}
