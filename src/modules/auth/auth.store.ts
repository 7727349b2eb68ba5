import type { Role } from './roles.js';

export interface UserRecord {
  id: string;
  tenantId: string;
  email: string;
  displayName: string;
  roles: Role[];
  passwordHash: string | null;
  active: boolean;
  failedLoginCount: number;
  lockedUntil: Date | null;
  passwordChangedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export interface UserPatch {
  displayName?: string;
  roles?: Role[];
  active?: boolean;
  passwordHash?: string;
  passwordChangedAt?: Date;
}

export interface RefreshTokenRecord {
  id: string;
  familyId: string;
  tenantId: string;
  userId: string;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

/** Users and their refresh tokens. Emails are stored normalised (lower case) and unique. */
export interface AuthStore {
  countUsers(): Promise<number>;
  /** Inserts a user; EMAIL_TAKEN when the email exists. */
  createUser(user: UserRecord): Promise<UserRecord>;
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  findUser(tenantId: string, id: string): Promise<UserRecord | undefined>;
  listUsers(tenantId: string, opts: { limit: number; afterId?: string }): Promise<UserRecord[]>;
  /** Applies the patch, bumps version; undefined when the user is not in that tenant. */
  updateUser(tenantId: string, id: string, patch: UserPatch, now: Date): Promise<UserRecord | undefined>;
  /** Counts a failed login and locks the account once the threshold is reached. */
  recordLoginFailure(id: string, now: Date, threshold: number, lockSeconds: number): Promise<void>;
  recordLoginSuccess(id: string): Promise<void>;

  insertRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Marks a token used if it was unused and unrevoked; false means it was already spent (reuse). */
  consumeRefreshToken(id: string, now: Date): Promise<boolean>;
  revokeRefreshFamily(familyId: string, now: Date, reason: string): Promise<void>;
  revokeUserRefreshTokens(userId: string, now: Date, reason: string): Promise<void>;
}
