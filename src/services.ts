import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from './config/config.js';
import { createDatabase, type Database } from './db/database.js';
import { systemClock, type Clock } from './lib/clock.js';
import { loggerOptions } from './lib/logger.js';
import type { HealthCheck } from './plugins/health.js';
import { createMetricsRegistry } from './plugins/metrics.js';
import { createRecordStores, type RecordStores } from './stores.js';
import { createAuditService, type AuditService } from './modules/audit/audit.service.js';
import { createAuthService, type AuthService } from './modules/auth/auth.service.js';
import { createTokenService, type TokenService } from './modules/auth/tokens.js';
import { createMemoryCache, createRedisCache, type Cache } from './lib/cache.js';
import { createProductService, type ProductService } from './modules/products/products.service.js';
import { createLoanBookingService, type LoanBookingService } from './modules/loan-bookings/loan-bookings.service.js';

/** Everything the routes use, built once per process by createServices (the composition root). */
export interface Services {
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: Registry;
  database: Database | undefined;
  redis: Redis | undefined;
  stores: RecordStores;
  audit: AuditService;
  auth: AuthService;
  tokens: TokenService;
  cache: Cache;
  products: ProductService;
  loanBookings: LoanBookingService;
  healthChecks(): Record<string, HealthCheck>;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  /** Replace the record stores (unit tests with fakes; adapter tests with a specific store). */
  stores?: RecordStores;
  database?: Database;
}

export function createRedis(url: string): Redis {
  // Fail fast when Redis is down: callers degrade (rate limits open, caches miss) instead of queueing.
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 500,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', () => undefined);
  return redis;
}

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  const log = pino(loggerOptions(config));
  const closers: (() => Promise<void>)[] = [];
  try {
    let database = overrides.database;
    if (!database && !overrides.stores && config.store.kind !== 'dynamodb') {
      database =
        config.store.kind === 'pglite'
          ? await createDatabase({ kind: 'pglite', dataDir: config.store.dataDir, migrate: config.store.migrateOnStart })
          : await createDatabase({
              kind: 'postgres',
              url: config.store.url,
              poolMax: config.store.poolMax,
              statementTimeoutMs: config.store.statementTimeoutMs,
              connectTimeoutMs: config.store.connectTimeoutMs,
              migrate: config.store.migrateOnStart,
            });
      const db = database;
      closers.push(() => db.close());
    }
    const stores = overrides.stores ?? (createRecordStores(config, database));
    if (!overrides.stores) closers.push(() => stores.close());

    const redis = config.redis ? createRedis(config.redis.url) : undefined;
    if (redis) closers.push(async () => void (await redis.quit().catch(() => redis.disconnect())));

    const metrics = createMetricsRegistry();
    const audit = createAuditService(stores.audit, clock, log, config.auth.defaultTenantId);
    const tokens = createTokenService(config.auth, () => clock.now());
    const auth = createAuthService({ config, store: stores.auth, tokens, audit, clock });
    await auth.bootstrap(log);
    const cache = redis ? createRedisCache(redis) : createMemoryCache();
    const products = createProductService(stores.products, cache, clock, audit);
    const loanBookings = createLoanBookingService({ store: stores.loanBookings, products, audit, clock, metrics });

    const services: Services = {
      config,
      clock,
      log,
      metrics,
      database,
      redis,
      stores,
      audit,
      auth,
      tokens,
      cache,
      products,
      loanBookings,
      healthChecks() {
        const checks: Record<string, HealthCheck> = { database: (signal) => stores.check(signal) };
        if (redis) {
          checks.redis = async () => {
            await redis.ping();
          };
        }
        return checks;
      },
      async close() {
        for (const close of closers.reverse()) await close().catch(() => undefined);
      },
    };
    return services;
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw err;
  }
}
