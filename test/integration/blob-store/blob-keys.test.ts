import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertBlobKey,
  blobKey,
  decodeListCursor,
  documentPrefix,
  encodeListCursor,
  isValidBlobKey,
  textKey,
} from '../../../src/lib/blob-store/blob-keys.js';
import { contentDisposition } from '../../../src/lib/blob-store/content-disposition.js';
import { AppError } from '../../../src/lib/errors.js';
import { newId } from '../../../src/lib/ids.js';

describe('blob keys', () => {
  it('derive every key of a document from its ids', () => {
    const ids = { tenantId: newId(), bookingId: newId(), documentId: newId() };
    const prefix = `tenants/${ids.tenantId}/loan-bookings/${ids.bookingId}/documents/${ids.documentId}/`;
    expect(documentPrefix(ids)).toBe(prefix);
    expect(blobKey(ids)).toBe(`${prefix}original`);
    expect(textKey(ids)).toBe(`${prefix}text`);
    expect(isValidBlobKey(blobKey(ids))).toBe(true);
    expect(isValidBlobKey(textKey(ids))).toBe(true);
    // The same ids always give the same key; different ids never collide.
    expect(blobKey({ ...ids })).toBe(blobKey(ids));
    expect(blobKey({ ...ids, documentId: newId() })).not.toBe(blobKey(ids));
  });

  it('refuse anything that is not an id, such as a client file name or a path', () => {
    const good = newId();
    for (const bad of [
      '',
      '../../etc',
      'a/b',
      'contract.pdf',
      `${good}\n`,
      good.toUpperCase(),
      `${good}/..`,
      ' ',
    ]) {
      for (const field of ['tenantId', 'bookingId', 'documentId'] as const) {
        const ids = { tenantId: good, bookingId: good, documentId: good, [field]: bad };
        expect(() => blobKey(ids), `${field}=${JSON.stringify(bad)}`).toThrow(AppError);
        expect(() => textKey(ids)).toThrow(AppError);
      }
    }
  });

  it('accept no key that could leave its root once joined as a path', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .array(fc.constantFrom('a', '.', '..', '/', '\\', '\u0000', '-', 'B', '_', ' '), {
              maxLength: 12,
            })
            .map((p) => p.join('')),
        ),
        (key) => {
          if (!isValidBlobKey(key)) {
            expect(() => assertBlobKey(key)).toThrow(AppError);
            return;
          }
          expect(posix.normalize(key)).toBe(key);
          expect(key.startsWith('/')).toBe(false);
          expect(key.split('/')).not.toContain('..');
          // eslint-disable-next-line no-control-regex -- looking for control characters is the point
          expect(/[\\\u0000-\u001f]/.test(key)).toBe(false);
          expect(key.split('/').some((segment) => segment.startsWith('.'))).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('list cursors round-trip and stay inside their prefix', () => {
    const key = `tenants/${newId()}/x`;
    const cursor = encodeListCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeListCursor(cursor, 'tenants/')).toBe(key);
    expect(() => decodeListCursor(cursor, 'other/')).toThrow(
      expect.objectContaining({ code: 'INVALID_CURSOR' }),
    );
    expect(() => decodeListCursor(`${cursor}=`, 'tenants/')).toThrow(
      expect.objectContaining({ code: 'INVALID_CURSOR' }),
    );
  });
});

describe('contentDisposition', () => {
  it('offers an ASCII fallback and the full UTF-8 name', () => {
    expect(contentDisposition('Facility agreement.pdf')).toBe(
      `attachment; filename="Facility agreement.pdf"; filename*=UTF-8''Facility%20agreement.pdf`,
    );
    expect(contentDisposition('Prêt – signé (v2).pdf')).toBe(
      `attachment; filename="Pr_t _ sign_ (v2).pdf"; filename*=UTF-8''Pr%C3%AAt%20%E2%80%93%20sign%C3%A9%20%28v2%29.pdf`,
    );
  });

  it('drops paths, quotes and line breaks that could break out of the header', () => {
    expect(contentDisposition('../../etc/passwd')).toBe(
      `attachment; filename="passwd"; filename*=UTF-8''passwd`,
    );
    expect(contentDisposition('C:\\Users\\me\\loan.pdf')).toContain('filename="loan.pdf"');
    const injected = contentDisposition('a.pdf"\r\nSet-Cookie: x=1');
    expect(injected).not.toMatch(/[\r\n]/);
    expect(injected.startsWith('attachment; filename="a.pdf')).toBe(true);
    expect(contentDisposition('')).toContain('filename="document"');
  });

  it('always yields a single-line header value with one quoted ASCII name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (name) => {
        const value = contentDisposition(name);
        expect(value).toMatch(/^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%!._~-]+$/);
        const quoted = /filename="([^"]*)"/.exec(value)?.[1] ?? '';
        expect(quoted).not.toMatch(/["\\]/);
      }),
      { numRuns: 1000 },
    );
  });
});
