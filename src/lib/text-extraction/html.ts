// Elements whose content is never text a reader sees.
const HIDDEN_ELEMENTS = ['script', 'style', 'noscript', 'template', 'svg', 'math', 'object', 'iframe'];

// Elements that start a new line of text.
const BLOCK_ELEMENTS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'caption',
  'dd',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'title',
  'tr',
  'ul',
  'body',
  'html',
  'head',
]);

// Private-use marks for element boundaries, resolved once all tags are replaced.
const LINE_MARK = '\uE000';
const PARAGRAPH_MARK = '\uE001';

// Elements after which a paragraph break reads better than a line break.
const PARAGRAPH_ELEMENTS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'table',
  'blockquote',
  'title',
  'hr',
]);

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00A0',
  ensp: '\u2002',
  emsp: '\u2003',
  thinsp: '\u2009',
  shy: '',
  copy: '©',
  reg: '®',
  trade: '™',
  sect: '§',
  para: '¶',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  sbquo: '‚',
  ldquo: '“',
  rdquo: '”',
  bdquo: '„',
  hellip: '…',
  bull: '•',
  middot: '·',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  curren: '¤',
  deg: '°',
  plusmn: '±',
  times: '×',
  divide: '÷',
  frac12: '½',
  frac14: '¼',
  frac34: '¾',
  sup1: '¹',
  sup2: '²',
  sup3: '³',
  laquo: '«',
  raquo: '»',
  dagger: '†',
  Dagger: '‡',
  permil: '‰',
  prime: '′',
  Prime: '″',
  micro: 'µ',
  ordf: 'ª',
  ordm: 'º',
  iexcl: '¡',
  iquest: '¿',
  zwnj: '',
  zwj: '',
  lrm: '',
  rlm: '',
  Agrave: 'À',
  Aacute: 'Á',
  Acirc: 'Â',
  Atilde: 'Ã',
  Auml: 'Ä',
  Aring: 'Å',
  AElig: 'Æ',
  Ccedil: 'Ç',
  Egrave: 'È',
  Eacute: 'É',
  Ecirc: 'Ê',
  Euml: 'Ë',
  Igrave: 'Ì',
  Iacute: 'Í',
  Icirc: 'Î',
  Iuml: 'Ï',
  Ntilde: 'Ñ',
  Ograve: 'Ò',
  Oacute: 'Ó',
  Ocirc: 'Ô',
  Otilde: 'Õ',
  Ouml: 'Ö',
  Oslash: 'Ø',
  Ugrave: 'Ù',
  Uacute: 'Ú',
  Ucirc: 'Û',
  Uuml: 'Ü',
  Yacute: 'Ý',
  szlig: 'ß',
  agrave: 'à',
  aacute: 'á',
  acirc: 'â',
  atilde: 'ã',
  auml: 'ä',
  aring: 'å',
  aelig: 'æ',
  ccedil: 'ç',
  egrave: 'è',
  eacute: 'é',
  ecirc: 'ê',
  euml: 'ë',
  igrave: 'ì',
  iacute: 'í',
  icirc: 'î',
  iuml: 'ï',
  ntilde: 'ñ',
  ograve: 'ò',
  oacute: 'ó',
  ocirc: 'ô',
  otilde: 'õ',
  ouml: 'ö',
  oslash: 'ø',
  ugrave: 'ù',
  uacute: 'ú',
  ucirc: 'û',
  uuml: 'ü',
  yacute: 'ý',
  yuml: 'ÿ',
};

function codePointToString(code: number): string {
  // Surrogates, out-of-range values and NUL are what a hostile document would try: replace them.
  if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
    return '\uFFFD';
  return String.fromCodePoint(code);
}

/** Decodes named (common subset), decimal and hexadecimal character references; unknown ones stay as written. */
export function decodeEntities(text: string): string {
  return text.replace(
    /&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});?/g,
    (match, ref: string) => {
      if (ref.startsWith('#x') || ref.startsWith('#X')) return codePointToString(parseInt(ref.slice(2), 16));
      if (ref.startsWith('#')) return codePointToString(parseInt(ref.slice(1), 10));
      return NAMED_ENTITIES[ref] ?? match;
    },
  );
}

/**
 * Removes `<name ...>...</name>` blocks by index scanning (linear: each name's next opening is
 * cached until the scan passes it), so a hostile page cannot make a regex backtrack.
 */
function removeElements(html: string, names: readonly string[]): string {
  const lower = html.toLowerCase();
  const nextOpening = (name: string, from: number): number => {
    let at = lower.indexOf(`<${name}`, from);
    // Require a tag boundary so <scripted> or <style-guide> are not taken for <script>/<style>.
    while (at !== -1 && /[a-z0-9-]/.test(lower.charAt(at + name.length + 1))) {
      at = lower.indexOf(`<${name}`, at + 1);
    }
    return at;
  };
  const cached = new Map(names.map((name) => [name, nextOpening(name, 0)]));
  let out = '';
  let position = 0;
  for (;;) {
    let start = -1;
    let found = '';
    for (const name of names) {
      let at = cached.get(name) ?? -1;
      if (at !== -1 && at < position) {
        at = nextOpening(name, position);
        cached.set(name, at);
      }
      if (at !== -1 && (start === -1 || at < start)) {
        start = at;
        found = name;
      }
    }
    if (start === -1) break;
    out += html.slice(position, start);
    const close = lower.indexOf(`</${found}`, start);
    if (close === -1) return out;
    const closeEnd = lower.indexOf('>', close);
    position = closeEnd === -1 ? html.length : closeEnd + 1;
  }
  return out + html.slice(position);
}

function removeComments(html: string): string {
  let out = '';
  let position = 0;
  for (;;) {
    const start = html.indexOf('<!--', position);
    if (start === -1) return out + html.slice(position);
    out += html.slice(position, start);
    const end = html.indexOf('-->', start + 4);
    if (end === -1) return out;
    position = end + 3;
  }
}

/**
 * Replaces every tag (`<name ...>`, `</name>`, `<!...>`, `<?...>`) by `replace(name)`, scanning
 * by index so that input full of unclosed `<` stays linear; a `<` that starts no tag is text.
 */
function replaceTags(html: string, replace: (name: string | undefined) => string): string {
  let out = '';
  let position = 0;
  for (;;) {
    const lt = html.indexOf('<', position);
    if (lt === -1) break;
    const next = html.charAt(lt + 1);
    const startsTag = /[A-Za-z!?]/.test(next) || (next === '/' && /[A-Za-z]/.test(html.charAt(lt + 2)));
    if (!startsTag) {
      out += html.slice(position, lt + 1);
      position = lt + 1;
      continue;
    }
    const gt = html.indexOf('>', lt);
    // No '>' anywhere after: no tag can follow either.
    if (gt === -1) break;
    out += html.slice(position, lt);
    const name = /^<\/?([A-Za-z][A-Za-z0-9-]*)/.exec(html.slice(lt, Math.min(gt, lt + 64)))?.[1];
    out += replace(name);
    position = gt + 1;
  }
  return out + html.slice(position);
}

/**
 * Visible text of an HTML document without a DOM: hidden elements and comments dropped, block
 * elements turned into line breaks, table cells separated, entities decoded. Not normalised.
 */
export function htmlToText(html: string): string {
  // Source line breaks are layout, not content: only elements make lines. <pre> is rare enough
  // in documents to accept losing its layout.
  const cleaned = removeElements(removeComments(html), HIDDEN_ELEMENTS)
    .replace(/[\uE000\uE001]/g, '')
    .replace(/[ \t\r\n\f]+/g, ' ');
  const marked = replaceTags(cleaned, (name) => {
    if (!name) return '';
    const tag = name.toLowerCase();
    if (tag === 'br') return '\n';
    if (tag === 'td' || tag === 'th') return '\t';
    if (PARAGRAPH_ELEMENTS.has(tag)) return PARAGRAPH_MARK;
    return BLOCK_ELEMENTS.has(tag) ? LINE_MARK : '';
  });
  // Adjacent block boundaries (</li><li>) make one break, a blank line if any was a paragraph.
  const text = marked.replace(/[\uE000\uE001][\uE000\uE001 \t]*/g, (run) =>
    run.includes(PARAGRAPH_MARK) ? '\n\n' : '\n',
  );
  return decodeEntities(text);
}
