import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryCache, createRedisCache } from '../../../src/lib/cache.js';

describe('memory cache', () => {
  it('returns what was set until it expires', async () => {
    let now = 1_000;
    const cache = createMemoryCache(10, () => now);
    expect(cache.kind).toBe('memory');
    await cache.set('a', 'one', 100);
    expect(await cache.get('a')).toBe('one');
    now += 99;
    expect(await cache.get('a')).toBe('one');
    now += 1;
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('never')).toBeUndefined();
  });

  it('deletes, and evicts the oldest entry when full', async () => {
    const cache = createMemoryCache(2);
    await cache.set('a', '1', 60_000);
    await cache.set('b', '2', 60_000);
    await cache.set('c', '3', 60_000);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBe('2');
    expect(await cache.get('c')).toBe('3');
    await cache.delete('b');
    expect(await cache.get('b')).toBeUndefined();
  });
});

describe('redis cache (real Redis on 127.0.0.1:6379)', () => {
  const prefix = `cls-cache-test-${randomBytes(4).toString('hex')}:`;
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('stores under its prefix with a TTL, and deletes', async () => {
    const cache = createRedisCache(redis, prefix);
    expect(cache.kind).toBe('redis');
    await cache.set('k', 'v', 5_000);
    expect(await cache.get('k')).toBe('v');
    expect(await redis.get(`${prefix}k`)).toBe('v');
    const ttl = await redis.pttl(`${prefix}k`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);
    await cache.delete('k');
    expect(await cache.get('k')).toBeUndefined();
  });

  it('degrades to misses when Redis is unreachable, never throwing', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    const cache = createRedisCache(down, prefix);
    await expect(cache.set('k', 'v', 1000)).resolves.toBeUndefined();
    await expect(cache.get('k')).resolves.toBeUndefined();
    await expect(cache.delete('k')).resolves.toBeUndefined();
    down.disconnect();
  });
});
