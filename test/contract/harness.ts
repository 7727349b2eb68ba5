import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { AppError, type ErrorCode } from '../../src/lib/errors.js';
import type { RecordStores } from '../../src/stores.js';

/**
 * One backend under the contract. Every backend passes every case, so none declares a missing
 * capability; a backend that cannot support a case would declare a flag here and the case would
 * skip on the flag, never on the backend's name.
 */
export interface ContractBackend {
  readonly name: string;
  /** The stores under test, shared by the cases of one file (cases isolate by random tenant). */
  readonly stores: RecordStores;
}

export interface OpenedBackend {
  stores: RecordStores;
  close(): Promise<void>;
}

/** Opens the backend once for the file (beforeAll) and closes it afterwards. */
export function useBackend(name: string, open: () => Promise<OpenedBackend>): ContractBackend {
  let opened: OpenedBackend | undefined;
  beforeAll(async () => {
    opened = await open();
  });
  afterAll(async () => {
    await opened?.close();
  });
  return {
    name,
    get stores() {
      if (!opened) throw new Error('backend not open yet');
      return opened.stores;
    },
  };
}

/** A tenant no other case uses, so cases never see each other's records. */
export const newTenant = () => `t-${randomBytes(6).toString('hex')}`;
export const randomSuffix = () => randomBytes(6).toString('hex');

/** Fixed instants: time-dependent behaviour is proven without sleeping. */
export const BASE = Date.parse('2030-01-01T00:00:00.000Z');
export const at = (offsetMs: number) => new Date(BASE + offsetMs);

export async function expectAppError(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected AppError ${code}`).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
}

/** Outcomes of racing promises: how many fulfilled, and the rejections. */
export async function race<T>(
  attempts: (() => Promise<T>)[],
): Promise<{ fulfilled: T[]; rejected: unknown[] }> {
  const settled = await Promise.allSettled(attempts.map((a) => a()));
  return {
    fulfilled: settled
      .filter((s): s is PromiseFulfilledResult<Awaited<T>> => s.status === 'fulfilled')
      .map((s) => s.value as T),
    rejected: settled
      .filter((s): s is PromiseRejectedResult => s.status === 'rejected')
      .map((s) => s.reason as unknown),
  };
}

export const descending = (ids: string[]) => [...ids].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
export const ascending = (ids: string[]) => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
