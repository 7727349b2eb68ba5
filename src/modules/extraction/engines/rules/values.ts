/**
 * Parsers for the small values the extractors pull out of legal prose: dates, money, percentages.
 * Each parser returns null rather than a guess when the text is not unambiguous.
 */

const MONTHS: Record<string, number> = {
  january: 1,
  jan: 1,
  february: 2,
  feb: 2,
  march: 3,
  mar: 3,
  april: 4,
  apr: 4,
  may: 5,
  june: 6,
  jun: 6,
  july: 7,
  jul: 7,
  august: 8,
  aug: 8,
  september: 9,
  sept: 9,
  sep: 9,
  october: 10,
  oct: 10,
  november: 11,
  nov: 11,
  december: 12,
  dec: 12,
};

const MONTH_NAME =
  '(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan\\.?|Feb\\.?|Mar\\.?|Apr\\.?|Jun\\.?|Jul\\.?|Aug\\.?|Sept?\\.?|Oct\\.?|Nov\\.?|Dec\\.?)';

/**
 * Dates as agreements write them: "March 15, 2024", "March 15 2024", "15 March 2024",
 * "the 15th day of March, 2024". Numeric forms (03/15/2024) are left out on purpose: in a
 * credit agreement they appear in form numbers and tables far more often than as dates of the deal.
 */
export const DATE_SOURCE =
  `(?:${MONTH_NAME}\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}` +
  `|\\d{1,2}(?:st|nd|rd|th)?\\s+${MONTH_NAME},?\\s+\\d{4}` +
  `|(?:the\\s+|this\\s+)?\\d{1,2}(?:st|nd|rd|th)\\s+day\\s+of\\s+${MONTH_NAME},?\\s+\\d{4})`;

export function dateRegex(flags = 'gi'): RegExp {
  return new RegExp(DATE_SOURCE, flags);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function isoDate(year: number, month: number, day: number): string | null {
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1) return null;
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > dim) return null;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** Parses one date phrase matched by DATE_SOURCE into YYYY-MM-DD, or null if it is not a real date. */
export function parseDate(text: string): string | null {
  const t = text.trim();
  let m = /^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/.exec(t);
  if (m) {
    const month = MONTHS[m[1]!.toLowerCase()];
    return month ? isoDate(Number(m[3]), month, Number(m[2])) : null;
  }
  m = /^(?:the\s+|this\s+)?(\d{1,2})(?:st|nd|rd|th)?(?:\s+day\s+of)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$/i.exec(t);
  if (m) {
    const month = MONTHS[m[2]!.toLowerCase()];
    return month ? isoDate(Number(m[3]), month, Number(m[1])) : null;
  }
  return null;
}

export function addToDate(iso: string, amount: number, unit: 'days' | 'months' | 'years'): string | null {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  if (unit === 'days') {
    const date = new Date(Date.UTC(y, m - 1, d + amount));
    return isoDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
  }
  const totalMonths = y * 12 + (m - 1) + (unit === 'years' ? amount * 12 : amount);
  const year = Math.floor(totalMonths / 12);
  const month = (totalMonths % 12) + 1;
  // An anniversary of the 29th of February (or of the 31st in a shorter month) falls on the
  // last day of that month, as agreements and market practice read it.
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return isoDate(year, month, Math.min(d, dim));
}

export interface Money {
  amount: string;
  currency: string;
}

/**
 * Money amounts: "$500,000,000", "$500,000,000.00", "$500 million", "U.S.$1.25 billion",
 * "USD 250,000,000", "€100,000,000", "C$50,000,000". Thousands separators must be regular, so a
 * section number such as "$2.01" is not read as an amount of money.
 */
export const MONEY_SOURCE =
  '(?:(?:U\\.S\\.\\s?|US\\s?|C|CDN|Cdn|A)?\\$|USD\\s?|EUR\\s?|GBP\\s?|CAD\\s?|€|£)\\s?' +
  '(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d{1,2})?(?:\\s?(?:million|billion))?';

function currencyOf(prefix: string): string | null {
  const p = prefix.replace(/\s/g, '').toUpperCase();
  if (p === '$' || p === 'U.S.$' || p === 'US$' || p === 'USD') return 'USD';
  if (p === 'C$' || p === 'CDN$' || p === 'CAD') return 'CAD';
  if (p === 'A$') return 'AUD';
  if (p === '€' || p === 'EUR') return 'EUR';
  if (p === '£' || p === 'GBP') return 'GBP';
  return null;
}

/** Decimal-string multiplication by 10^n, so that "$1.25 billion" never goes through a float. */
function scaleDecimal(integer: string, fraction: string, power: number): string {
  const digits = integer + fraction.padEnd(power, '0');
  const cut = integer.length + power;
  const whole = digits.slice(0, cut).replace(/^0+(?=\d)/, '');
  const rest = digits.slice(cut).replace(/0+$/, '');
  return rest ? `${whole}.${rest}` : whole;
}

export function parseMoney(text: string): Money | null {
  const m =
    /^((?:U\.S\.\s?|US\s?|C|CDN|Cdn|A)?\$|USD\s?|EUR\s?|GBP\s?|CAD\s?|€|£)\s?([\d,]+)(?:\.(\d{1,2}))?(?:\s?(million|billion))?$/.exec(
      text.trim(),
    );
  if (!m) return null;
  const currency = currencyOf(m[1]!);
  if (!currency) return null;
  const integer = m[2]!.replace(/,/g, '');
  const fraction = m[3] ?? '';
  const scale = m[4] === 'billion' ? 9 : m[4] === 'million' ? 6 : 0;
  const value =
    scale > 0 ? scaleDecimal(integer, fraction, scale) : fraction ? `${integer}.${fraction}` : integer;
  const [whole, frac = ''] = value.split('.');
  return { amount: `${whole}.${frac.padEnd(2, '0')}`, currency };
}

export function addMoney(a: Money, b: Money): Money | null {
  if (a.currency !== b.currency) return null;
  const toCents = (m: Money): bigint => {
    const [w, f = ''] = m.amount.split('.');
    return BigInt(w!) * 100n + BigInt((f + '00').slice(0, 2));
  };
  const cents = toCents(a) + toCents(b);
  const whole = cents / 100n;
  const rest = (cents % 100n).toString().padStart(2, '0');
  return { amount: `${whole}.${rest}`, currency: a.currency };
}

export function moneyEquals(a: Money, b: Money): boolean {
  return a.currency === b.currency && Number(a.amount) === Number(b.amount);
}

/** "1.750%" -> "1.75%", "0.00%" -> "0%", "zero" -> "0%". */
export function normalisePercent(text: string): string | null {
  const t = text.trim().toLowerCase();
  if (t === 'zero' || t === '0') return '0%';
  const m =
    /^(\d{1,3}(?:\.\d{1,5})?)\s?%$/.exec(t) ?? /^(\d{1,3}(?:\.\d{1,5})?)\s?(?:percent|per cent)$/.exec(t);
  if (!m) return null;
  let n = m[1]!;
  if (n.includes('.')) n = n.replace(/0+$/, '').replace(/\.$/, '');
  n = n.replace(/^0+(?=\d)/, '');
  return `${n}%`;
}

export const PERCENT_SOURCE = '\\d{1,3}(?:\\.\\d{1,5})?\\s?(?:%|percent\\b|per cent\\b)';

const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  eighteen: 18,
  twenty: 20,
  thirty: 30,
  sixty: 60,
  ninety: 90,
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
};

/** "5", "five", "fifth", "5th" -> 5. */
export function parseCount(word: string): number | null {
  const w = word.trim().toLowerCase();
  const digits = /^(\d{1,4})(?:st|nd|rd|th)?$/.exec(w);
  if (digits) return Number(digits[1]);
  return NUMBER_WORDS[w] ?? null;
}
