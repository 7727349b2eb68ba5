import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

/** Strong ETag of a versioned resource. */
export const versionEtag = (version: number): string => `"v${version}"`;

export const contentEtag = (content: string | Buffer): string =>
  `"${createHash('sha256').update(content).digest('base64url').slice(0, 27)}"`;

/**
 * The version an If-Match header names. Required (428) for updates of versioned resources;
 * `*` matches any existing version. Weak tags never match (RFC 9110 13.1.1 uses strong comparison).
 */
export function requireIfMatch(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header === '') {
    throw new AppError('PRECONDITION_REQUIRED', 'This update needs an If-Match header with the ETag you last read');
  }
  return parseIfMatch(header);
}

/** Like requireIfMatch, but the header is optional (delete). */
export function optionalIfMatch(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  return header === undefined || header === '' ? undefined : parseIfMatch(header);
}

function parseIfMatch(header: string): number | undefined {
  const value = header.trim();
  if (value === '*') return undefined;
  const m = /^"v(\d{1,9})"$/.exec(value);
  if (!m) throw new AppError('VERSION_MISMATCH', 'If-Match does not name a current version of this resource');
  return Number(m[1]);
}

/** True when If-None-Match names the current ETag (answer 304). */
export function notModified(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (typeof header !== 'string') return false;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === etag || t === '*');
}
