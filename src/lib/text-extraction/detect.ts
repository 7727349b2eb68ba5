import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import yauzl from 'yauzl';
import type { DetectedType, FileKind } from './types.js';

/** How many leading bytes `detectFileType` wants: enough to judge text and read the first zip entries. */
export const DETECT_HEAD_BYTES = 8192;

export const CANONICAL_MIME: Readonly<Record<FileKind, string>> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  text: 'text/plain',
  html: 'text/html',
  png: 'image/png',
  jpeg: 'image/jpeg',
  tiff: 'image/tiff',
};

const MIME_ALIASES: Readonly<Record<FileKind, readonly string[]>> = {
  pdf: ['application/pdf', 'application/x-pdf'],
  // Browsers without Office installed label a .docx by its container.
  docx: [CANONICAL_MIME.docx, 'application/zip', 'application/x-zip-compressed'],
  text: ['text/plain', 'text/csv', 'text/markdown'],
  html: ['text/html', 'application/xhtml+xml'],
  png: ['image/png'],
  jpeg: ['image/jpeg', 'image/jpg', 'image/pjpeg'],
  tiff: ['image/tiff', 'image/tif', 'image/x-tiff'],
};

const EXTENSIONS: Readonly<Record<FileKind, readonly string[]>> = {
  pdf: ['pdf'],
  docx: ['docx'],
  text: ['txt', 'text', 'csv', 'md', 'log'],
  html: ['html', 'htm', 'xhtml'],
  png: ['png'],
  jpeg: ['jpg', 'jpeg', 'jpe', 'jfif'],
  tiff: ['tif', 'tiff'],
};

const KNOWN_EXTENSIONS = new Set(Object.values(EXTENSIONS).flat());

// Names that say "run me" (or another Office format) whatever the bytes are: never accepted.
const REFUSED_EXTENSIONS = new Set([
  'exe',
  'dll',
  'com',
  'scr',
  'msi',
  'bat',
  'cmd',
  'ps1',
  'vbs',
  'js',
  'mjs',
  'cjs',
  'jar',
  'sh',
  'bin',
  'so',
  'dylib',
  'app',
  'py',
  'pl',
  'php',
  'doc',
  'docm',
  'dotm',
  'xls',
  'xlsx',
  'xlsm',
  'ppt',
  'pptx',
  'zip',
]);

const GENERIC_MIMES = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/unknown']);

function startsWith(head: Buffer, bytes: readonly number[], at = 0): boolean {
  if (head.length < at + bytes.length) return false;
  return bytes.every((b, i) => head[at + i] === b);
}

function startsWithAscii(head: Buffer, text: string, at = 0): boolean {
  return head.length >= at + text.length && head.toString('latin1', at, at + text.length) === text;
}

/** Executable formats refused whatever the name says: PE, ELF, Mach-O (thin and fat), shebang scripts. */
export function isExecutable(head: Buffer): boolean {
  return (
    startsWithAscii(head, 'MZ') ||
    startsWith(head, [0x7f, 0x45, 0x4c, 0x46]) ||
    startsWith(head, [0xfe, 0xed, 0xfa, 0xce]) ||
    startsWith(head, [0xfe, 0xed, 0xfa, 0xcf]) ||
    startsWith(head, [0xce, 0xfa, 0xed, 0xfe]) ||
    startsWith(head, [0xcf, 0xfa, 0xed, 0xfe]) ||
    startsWith(head, [0xca, 0xfe, 0xba, 0xbe]) ||
    startsWithAscii(head, '#!') ||
    startsWith(head, [0x00, 0x61, 0x73, 0x6d])
  );
}

const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1] as const;

/** An OLE2 compound file: legacy Office, or a password-protected OOXML file (Office wraps those in OLE). */
export function isOleCompoundFile(head: Buffer): boolean {
  return startsWith(head, OLE_MAGIC);
}

/**
 * A .docx name on an OLE compound file is how an encrypted Word document arrives; callers use
 * this to answer "password-protected" instead of "unsupported type".
 */
export function isEncryptedOfficeFile(head: Buffer, filename: string | undefined): boolean {
  const ext = filename ? extname(filename).slice(1).toLowerCase() : '';
  return isOleCompoundFile(head) && ['docx', 'docm', 'dotx'].includes(ext);
}

// Entry names that mark a zip as something other than a Word document.
const FOREIGN_ZIP_ENTRY = /^(xl\/|ppt\/|META-INF\/|mimetype$|AndroidManifest\.xml$|classes\.dex$)|\.class$/;

/** Names of the local entries that fit in `head`, in archive order. */
function leadingZipEntryNames(head: Buffer): string[] {
  const names: string[] = [];
  let offset = 0;
  while (offset + 30 <= head.length && head.readUInt32LE(offset) === 0x04034b50) {
    const flags = head.readUInt16LE(offset + 6);
    const compressedSize = head.readUInt32LE(offset + 18);
    const nameLength = head.readUInt16LE(offset + 26);
    const extraLength = head.readUInt16LE(offset + 28);
    if (offset + 30 + nameLength > head.length) break;
    names.push(head.toString('utf8', offset + 30, offset + 30 + nameLength));
    // With a data descriptor (bit 3) the local header carries no size: the next header cannot be found.
    if (flags & 0x08) break;
    offset += 30 + nameLength + extraLength + compressedSize;
  }
  return names;
}

// eslint-disable-next-line no-control-regex -- matching control bytes is the point
const DISALLOWED_CONTROL = /[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f]/;

/**
 * Valid UTF-8 (an incomplete sequence at the very end is the head's cut, not an error) with no
 * NUL and none of the control characters that only binary formats contain.
 */
export function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return false;
  }
  return !DISALLOWED_CONTROL.test(decoded);
}

// The WHATWG MIME sniffing patterns for HTML, each followed by a tag-terminating byte.
const HTML_PREFIXES = [
  '<!doctype html',
  '<html',
  '<head',
  '<script',
  '<iframe',
  '<h1',
  '<div',
  '<font',
  '<table',
  '<a',
  '<style',
  '<title',
  '<b',
  '<body',
  '<br',
  '<p',
  '<!--',
];

function sniffHtml(text: string): boolean {
  const start = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 32)
    .toLowerCase();
  return HTML_PREFIXES.some((prefix) => {
    if (!start.startsWith(prefix)) return false;
    if (prefix === '<!--') return true;
    const next = start.charAt(prefix.length);
    return next === ' ' || next === '>' || next === '\t' || next === '\n' || next === '\r' || next === '\f';
  });
}

function detected(kind: FileKind, needsInspection = false): DetectedType {
  return { kind, mime: CANONICAL_MIME[kind], needsInspection };
}

/**
 * Decides a file's type from its first bytes (`DETECT_HEAD_BYTES` of them) against the
 * allow-list; undefined means refuse. A zip comes back as `docx` with `needsInspection` set.
 */
export function detectFileType(head: Buffer): DetectedType | undefined {
  if (head.length === 0 || isExecutable(head)) return undefined;
  if (startsWithAscii(head, '%PDF-')) return detected('pdf');
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return detected('png');
  if (startsWith(head, [0xff, 0xd8, 0xff])) return detected('jpeg');
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a]))
    return detected('tiff');
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    const names = leadingZipEntryNames(head);
    return names.some((n) => FOREIGN_ZIP_ENTRY.test(n)) ? undefined : detected('docx', true);
  }
  if (!looksLikeText(head)) return undefined;
  const text = new TextDecoder('utf-8').decode(head);
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim().length === 0) return undefined;
  // Text-based formats that are programs or rich documents, not prose.
  if (body.startsWith('%!') || body.startsWith('{\\rtf')) return undefined;
  return sniffHtml(body) ? detected('html') : detected('text');
}

/**
 * Whether a zip on disk is a Word document: it lists `[Content_Types].xml` and
 * `word/document.xml` and carries no macro project. Any zip error answers false.
 */
export async function inspectDocx(path: string, maxEntries = 10_000): Promise<boolean> {
  let zip: yauzl.ZipFile | undefined;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: false });
    if (zip.entryCount > maxEntries) return false;
    let contentTypes = false;
    let mainDocument = false;
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      if (name === '[Content_Types].xml') contentTypes = true;
      else if (name === 'word/document.xml') mainDocument = true;
      else if (name === 'word/vbaProject.bin' || FOREIGN_ZIP_ENTRY.test(name)) return false;
    }
    return contentTypes && mainDocument;
  } catch {
    return false;
  } finally {
    zip?.close();
  }
}

/** Reads up to `length` bytes from the start of a file. */
export async function readHead(path: string, length = DETECT_HEAD_BYTES): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** `detectFileType` on a stored file, with the zip inspection done: the upload path's one call. */
export async function detectFile(path: string): Promise<DetectedType | undefined> {
  const type = detectFileType(await readHead(path));
  if (!type?.needsInspection) return type;
  return (await inspectDocx(path)) ? { ...type, needsInspection: false } : undefined;
}

function normaliseMime(mime: string | undefined): string {
  return (mime ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Whether the client's Content-Type and file extension agree with the detected type. A generic
 * or missing Content-Type and a missing or unfamiliar extension are fine; an extension that
 * belongs to another accepted type, or to a program, is not.
 */
export function isAcceptableDeclared(
  detectedType: DetectedType,
  declaredMime: string | undefined,
  filename: string | undefined,
): boolean {
  const mime = normaliseMime(declaredMime);
  if (!GENERIC_MIMES.has(mime) && !MIME_ALIASES[detectedType.kind].includes(mime)) return false;
  const ext = filename ? extname(filename).slice(1).toLowerCase() : '';
  if (ext === '') return true;
  if (REFUSED_EXTENSIONS.has(ext)) return false;
  if (KNOWN_EXTENSIONS.has(ext)) return EXTENSIONS[detectedType.kind].includes(ext);
  return true;
}
