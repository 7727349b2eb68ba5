import { AppError } from '../lib/errors.js';

/** Driver error classification shared by the SQL stores (pg and PGlite both expose SQLSTATE codes). */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const isUniqueViolation = (err: unknown): boolean => sqlState(err) === '23505';

// Class 08 (connection exception), the server shutting down, crashed or still starting up
// (57P01-57P03), and no connection slot left (53300).
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
// Socket errors of a server that is not there (refused, reset, unreachable, not resolvable).
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// pg and pg-pool say "the connection is gone" or "none came in time" by message only.
const UNAVAILABLE_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /is not queryable$/, /^Query read timeout$/];

/**
 * True when the database could not be reached or went away (as opposed to refusing a statement:
 * constraint violations, bad input and statement timeouts are not outages).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof AppError) return err.code === 'DEPENDENCY_UNAVAILABLE' && err.details?.dependency === 'database';
  if (err instanceof AggregateError) return err.errors.some(isDatabaseUnavailable) || UNAVAILABLE_SOCKET_CODES.has(sqlState(err) ?? '');
  if (!(err instanceof Error)) return false;
  const code = sqlState(err);
  if (code && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET_CODES.has(code))) return true;
  return UNAVAILABLE_MESSAGES.some((re) => re.test(err.message));
}

/** Seconds a client is told to wait before retrying while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The catalogue's 503 for an unreachable database. Clients see the code, `dependency: database`
 * and Retry-After; the message (with the driver's reason, for the logs) never reaches them.
 */
export function databaseUnavailable(cause: unknown): AppError {
  const reason = cause instanceof Error ? cause.message || (sqlState(cause) ?? cause.name) : String(cause);
  return new AppError('DEPENDENCY_UNAVAILABLE', `The database is unavailable: ${reason.slice(0, 200)}`, {
    details: { dependency: 'database' },
    headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
    cause,
  });
}
