/**
 * Text uploads are checked for UTF-8 chunk by chunk with `isUtf8` (a benchmark found the decoding
 * validator to be a quarter of a 1 GiB upload). Multi-byte characters split across chunks must still
 * pass, and broken ones anywhere, including at a chunk edge and at the very end, must still fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors.js';
import { validateDocument } from '../../../src/lib/text-extraction/index.js';
import { createFixtureDir, type FixtureDir } from '../../helpers/fixtures.js';

const CHUNK = 1024 * 1024;
let dir: FixtureDir;

beforeAll(async () => {
  dir = await createFixtureDir('utf8-chunks-');
});
afterAll(async () => dir.remove());

async function verdict(name: string, bytes: Buffer): Promise<string> {
  const path = await dir.write(name, bytes);
  try {
    const v = await validateDocument(path, 'text', { maxBytes: 64 * CHUNK });
    expect(v).toEqual({ kind: 'text', bytes: bytes.length });
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return String((err as AppError).details?.reason);
  }
}

/** `prefix` ASCII bytes, then `tail`, then some ASCII: places `tail` across the first chunk edge. */
const around = (prefix: number, tail: Buffer) => Buffer.concat([Buffer.alloc(prefix, 0x61), tail, Buffer.from(' and more text\n')]);

describe('UTF-8 check of text files across read chunks', () => {
  for (const [label, ch] of [
    ['2-byte é', 'é'],
    ['3-byte €', '€'],
    ['4-byte 𝔘', '𝔘'],
  ] as const) {
    const encoded = Buffer.from(ch, 'utf8');
    for (let split = 1; split < encoded.length; split++) {
      it(`accepts a ${label} split ${split}/${encoded.length - split} across the chunk edge`, async () => {
        expect(await verdict(`ok-${encoded.length}-${split}.txt`, around(CHUNK - split, encoded))).toBe('ok');
      });
    }
  }

  it('accepts a file that is exactly one chunk of multi-byte text', async () => {
    expect(await verdict('exact.txt', Buffer.from('€'.repeat(CHUNK / 3) + 'a', 'utf8'))).toBe('ok');
  });

  it.each([
    ['a lead byte cut off by the next chunk starting with ASCII', around(CHUNK - 1, Buffer.from([0xe2, 0x61, 0x61]))],
    ['a stray continuation byte at the start of a chunk', around(CHUNK, Buffer.from([0x82]))],
    ['an encoded surrogate straddling the edge', around(CHUNK - 1, Buffer.from([0xed, 0xa0, 0x80]))],
    ['an overlong encoding', around(10, Buffer.from([0xc0, 0xaf]))],
    ['a sequence truncated at the end of the file', Buffer.concat([Buffer.alloc(CHUNK + 5, 0x61), Buffer.from([0xf0, 0x9d, 0x94])])],
    ['a NUL byte', around(CHUNK + 3, Buffer.from([0x00]))],
  ])('refuses %s as invalid_encoding', async (_label, bytes) => {
    expect(await verdict(`bad-${Math.random().toString(36).slice(2)}.txt`, bytes)).toBe('invalid_encoding');
  });
});
