import type { Redis } from 'ioredis';

/** A small string cache: in process by default, Redis when configured (shared by every instance). */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export function createMemoryCache(maxEntries = 10_000, now: () => number = Date.now): Cache {
  const entries = new Map<string, { value: string; expires: number }>();
  return {
    kind: 'memory',
    get(key) {
      const e = entries.get(key);
      if (!e) return Promise.resolve(undefined);
      if (e.expires <= now()) {
        entries.delete(key);
        return Promise.resolve(undefined);
      }
      return Promise.resolve(e.value);
    },
    set(key, value, ttlMs) {
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(key, { value, expires: now() + ttlMs });
      return Promise.resolve();
    },
    delete(key) {
      entries.delete(key);
      return Promise.resolve();
    },
  };
}

/**
 * Redis-backed cache. A Redis outage degrades to cache misses (reads go to the store) instead of
 * failing requests: the documented behaviour when Redis is down.
 */
export function createRedisCache(redis: Redis, prefix = 'cls-cache:'): Cache {
  return {
    kind: 'redis',
    async get(key) {
      try {
        return (await redis.get(prefix + key)) ?? undefined;
      } catch {
        return undefined;
      }
    },
    async set(key, value, ttlMs) {
      try {
        await redis.set(prefix + key, value, 'PX', ttlMs);
      } catch {
        // Degrade: the next read misses and goes to the store.
      }
    },
    async delete(key) {
      try {
        await redis.del(prefix + key);
      } catch {
        // A stale entry then lives at most its TTL.
      }
    },
  };
}
