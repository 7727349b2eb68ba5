import type { Migration } from 'kysely';
import * as m0001 from './0001_platform.js';

/** Ordered by name; append only. A released migration is never edited. */
export const migrations: Record<string, Migration> = {
  '0001_platform': m0001,
};
