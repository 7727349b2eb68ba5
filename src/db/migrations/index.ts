import type { Migration } from 'kysely';
import * as m0001 from './0001_platform.js';
import * as m0002 from './0002_documents.js';
import * as m0003 from './0003_extraction.js';
import * as m0004 from './0004_extraction_runs_pending.js';

/** Ordered by name; append only. A released migration is never edited. */
export const migrations: Record<string, Migration> = {
  '0001_platform': m0001,
  '0002_documents': m0002,
  '0003_extraction': m0003,
  '0004_extraction_runs_pending': m0004,
};
