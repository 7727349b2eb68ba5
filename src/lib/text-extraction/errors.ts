import { AppError } from '../errors.js';
import type { UnprocessableReason } from './types.js';

/** The one way this library refuses a document: 422 with a machine-readable reason. */
export function unprocessable(
  reason: UnprocessableReason,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): AppError {
  return new AppError('UNPROCESSABLE_DOCUMENT', message, { details: { reason, ...details }, cause });
}
