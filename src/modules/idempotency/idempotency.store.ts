export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type BeginResult =
  | { kind: 'started' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

export interface IdempotencyScope {
  tenantId: string;
  principalId: string;
  key: string;
}

/**
 * Idempotency keys (scoped to the caller). `begin` atomically claims a key or reports its state; a
 * claim older than `leaseMs` that never completed (process died) may be taken over.
 */
export interface IdempotencyStore {
  begin(scope: IdempotencyScope, fingerprint: string, now: Date, ttlMs: number, leaseMs: number): Promise<BeginResult>;
  complete(scope: IdempotencyScope, response: StoredResponse): Promise<void>;
  /** Releases a claim whose request failed, so the client may retry with the same key. */
  abandon(scope: IdempotencyScope): Promise<void>;
  purgeExpired(now: Date): Promise<number>;
}
