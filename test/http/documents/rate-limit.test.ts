import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { createBooking, expectNothingLeft, listBookingDocs, problem, upload, uploadOk } from './support.js';

describe('upload rate limit (per user)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_UPLOAD_PER_MINUTE: '2' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('429 with Retry-After once a user has used the upload allowance; nothing is stored; other users are unaffected', async () => {
    const busy = await t.auth('analyst');
    const booking = await createBooking(t, busy);
    await uploadOk(t, busy, booking, [{ name: 'one.txt', type: 'text/plain', data: Buffer.from('first upload of the minute') }]);
    await uploadOk(t, busy, booking, [{ name: 'two.txt', type: 'text/plain', data: Buffer.from('second upload of the minute') }]);
    const limited = await upload(t, busy, booking, [{ name: 'three.txt', type: 'text/plain', data: Buffer.from('third upload of the minute') }]);
    expect(limited.statusCode).toBe(429);
    expect(problem(limited).error_code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await listBookingDocs(t, busy, booking)).map((d) => d.file_name).sort()).toEqual(['one.txt', 'two.txt']);

    const other = await t.auth('analyst');
    const otherBooking = await createBooking(t, other);
    await uploadOk(t, other, otherBooking, [{ name: 'mine.txt', type: 'text/plain', data: Buffer.from('another user uploads freely') }]);
    // Reads are not in the upload bucket.
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${booking}/documents`, headers: { authorization: busy.authorization } })).statusCode).toBe(200);
    const empty = await createBooking(t, busy);
    expect((await upload(t, busy, empty, [{ name: 'x.txt', type: 'text/plain', data: Buffer.from('still limited') }])).statusCode).toBe(429);
    await expectNothingLeft(t, busy, empty);
  });
});
