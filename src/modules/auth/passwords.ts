import { hash, verify } from '@node-rs/argon2';
import { AppError } from '../../lib/errors.js';
import { isWeakPassword } from '../../config/load.js';

// OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane). Algorithm 2 = argon2id.
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MAX_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

/** A hash of a random password, verified against when the user does not exist, so timing reveals nothing. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`);
  return dummyHash;
}

export function assertPasswordPolicy(password: string, email?: string): void {
  const problems: string[] = [];
  if (password.length < 12) problems.push('must be at least 12 characters');
  if (password.length > PASSWORD_MAX_LENGTH) problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  if (password.length >= 12 && isWeakPassword(password)) problems.push('is a commonly used password');
  if (email && password.toLowerCase().includes(email.split('@')[0]!.toLowerCase()) && email.split('@')[0]!.length >= 4) {
    problems.push('must not contain the email name');
  }
  if (problems.length > 0) {
    throw new AppError('WEAK_PASSWORD', 'The password does not meet the policy', { fieldErrors: { password: problems } });
  }
}
