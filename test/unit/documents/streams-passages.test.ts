import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { peekHead } from '../../../src/modules/documents/upload.js';
import { splitPassages } from '../../../src/modules/documents/passages.js';
import { createKnowledgeBaseSearch } from '../../../src/modules/documents/kb-sync.js';
import type { KnowledgeBase } from '../../../src/lib/bedrock/knowledge-base.js';

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('peekHead', () => {
  it('returns the first bytes and a stream of all of them, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 0, maxLength: 50 }), { maxLength: 20 }), fc.integer({ min: 1, max: 120 }), async (chunks, n) => {
        const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        const { head, body } = await peekHead(Readable.from(chunks.map((c) => Buffer.from(c))), n);
        expect(head.equals(all.subarray(0, n))).toBe(true);
        expect((await drain(body)).equals(all)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('passes a source error on to the body stream', async () => {
    const source = new PassThrough();
    source.write(Buffer.alloc(10, 1));
    const { head, body } = await peekHead(source, 5);
    expect(head.equals(Buffer.alloc(5, 1))).toBe(true);
    const failure = new Error('client went away');
    setImmediate(() => source.destroy(failure));
    await expect(drain(body)).rejects.toBe(failure);
  });

  it('destroying the body releases the source (a limit hit or a refused type stops reading the client)', async () => {
    const source = new PassThrough();
    source.write(Buffer.alloc(100, 2));
    const { body } = await peekHead(source, 10);
    body.destroy();
    await new Promise((r) => setImmediate(r));
    expect(source.destroyed).toBe(true);
  });

  it('an empty source gives an empty head', async () => {
    const { head, body } = await peekHead(Readable.from([]), 8);
    expect(head.length).toBe(0);
    expect((await drain(body)).length).toBe(0);
  });
});

describe('splitPassages', () => {
  it('covers a page with quotable spans whose offsets point into the page text', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('word', 'Lender', 'Borrower.', ';', '\n\n', ' ', '  '), fc.string({ maxLength: 30 })), { maxLength: 600 }), (parts) => {
        const text = parts.join(' ');
        const passages = splitPassages(3, text);
        let last = 0;
        for (const [i, p] of passages.entries()) {
          expect(p.page).toBe(3);
          expect(p.ordinal).toBe(i);
          expect(text.slice(p.start, p.end)).toBe(p.text);
          expect(p.start).toBeGreaterThanOrEqual(last);
          expect(p.end - p.start).toBeLessThanOrEqual(1400);
          expect(p.text.trim().length).toBeGreaterThan(0);
          last = p.end;
        }
        // No visible character is lost between passages.
        const covered = passages.map((p) => p.text).join('');
        expect(covered.replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
      }),
      { numRuns: 200 },
    );
  });

  it('cuts at a paragraph or sentence boundary rather than mid-word', () => {
    const sentence = 'The Borrower shall repay the Loans on the Maturity Date. ';
    const text = sentence.repeat(40);
    const passages = splitPassages(1, text);
    expect(passages.length).toBeGreaterThan(1);
    for (const p of passages.slice(0, -1)) expect(p.text.endsWith('.')).toBe(true);
  });

  it('an empty or blank page has no passages', () => {
    expect(splitPassages(1, '')).toEqual([]);
    expect(splitPassages(1, ' \n\n\t ')).toEqual([]);
  });
});

describe('createKnowledgeBaseSearch', () => {
  it('asks Retrieve for the booking and tenant and maps passages to search hits', async () => {
    const calls: unknown[] = [];
    const kb = {
      retrieve(request: unknown) {
        calls.push(request);
        return Promise.resolve({
          discarded: 0,
          passages: [
            { text: 'Governing law: New York.', score: 0.8, location: undefined, documentId: 'doc-1', page: 4, metadata: { file_name: 'agreement.pdf' } },
            { text: 'No metadata here.', score: undefined, location: undefined, documentId: undefined, page: undefined, metadata: {} },
          ],
        });
      },
    } as unknown as KnowledgeBase;
    const hits = await createKnowledgeBaseSearch(kb).search('tenant-a', 'booking-1', 'governing law', 7);
    expect(calls).toEqual([{ query: 'governing law', bookingId: 'booking-1', tenantId: 'tenant-a', numberOfResults: 7 }]);
    expect(hits).toEqual([
      { documentId: 'doc-1', documentName: 'agreement.pdf', page: 4, start: 0, end: 24, text: 'Governing law: New York.', score: 0.8, highlights: [] },
      { documentId: '', documentName: '', page: 1, start: 0, end: 17, text: 'No metadata here.', score: 0, highlights: [] },
    ]);
  });
});
