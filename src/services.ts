import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Config, StoreConfig } from './config/config.js';
import type { DynamoRecordStores } from './dynamo/dynamo-stores.js';
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
import type { BlobStore } from './lib/blob-store/blob-store.js';
import { createDiskBlobStore } from './lib/blob-store/disk-blob-store.js';
import { createS3BlobStore, type S3RequestEvent } from './lib/blob-store/s3-blob-store.js';
import type { JobQueue } from './lib/job-queue/job-queue.js';
import { createPgBossQueue } from './lib/job-queue/pg-boss-queue.js';
import { createOcrEngine, type OcrEngine } from './lib/text-extraction/index.js';
import { createBedrockClients, type BedrockClients } from './lib/bedrock/clients.js';
import { createKnowledgeBase, type KnowledgeBase } from './lib/bedrock/knowledge-base.js';
import { createDocumentService, type DocumentService } from './modules/documents/documents.service.js';
import { createKnowledgeBaseSearch } from './modules/documents/kb-sync.js';
import { registerQueueMetrics } from './modules/documents/processing.js';
import { createConfiguredEngines, type EngineProvider } from './modules/extraction/engine-provider.js';
import { extractionMetrics } from './modules/extraction/extraction.metrics.js';
import { createExtractionService, type ExtractionService } from './modules/extraction/extraction.service.js';
import { createBookingSheetService, type BookingSheetService } from './modules/booking-sheets/booking-sheets.service.js';

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
  blob: BlobStore;
  queue: JobQueue;
  /** One OCR worker per process, created on first use. */
  ocr(): OcrEngine;
  bedrock: { clients: BedrockClients; knowledgeBase: KnowledgeBase | undefined } | undefined;
  documents: DocumentService;
  /** Extraction engines of this deployment (rules; bedrock when a model is configured). */
  engines: EngineProvider;
  extraction: ExtractionService;
  bookingSheets: BookingSheetService;
  healthChecks(): Record<string, HealthCheck>;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  /** Replace the record stores (unit tests with fakes; adapter tests with a specific store). */
  stores?: RecordStores;
  database?: Database;
  blob?: BlobStore;
  queue?: JobQueue;
}

export function createBlobStore(config: Config, metrics?: Registry): BlobStore {
  const b = config.blob;
  if (b.kind === 'disk') return createDiskBlobStore({ root: b.root });
  return createS3BlobStore({
    ...(metrics ? { onRequest: blobStorageMetrics(metrics) } : {}),
    bucket: b.bucket,
    region: b.region,
    ...(b.endpoint ? { endpoint: b.endpoint } : {}),
    forcePathStyle: b.forcePathStyle,
    ...(b.sse ? { serverSideEncryption: b.sse } : {}),
    ...(b.kmsKeyId ? { kmsKeyId: b.kmsKeyId } : {}),
  });
}

/** S3 requests and their retries, so that an outage (and how hard the SDK retried) shows in /metrics. */
function blobStorageMetrics(registry: Registry): (e: S3RequestEvent) => void {
  const requests = new Counter({
    name: 'blob_storage_requests_total',
    help: 'S3 requests by operation and outcome (ok, error), each counted once whatever its retries.',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'blob_storage_retries_total',
    help: 'Attempts beyond the first that S3 requests needed (bounded per request by the SDK, 3 attempts).',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  return (e) => {
    requests.inc({ operation: e.operation, outcome: e.ok ? 'ok' : 'error' });
    if (e.attempts > 1) retries.inc({ operation: e.operation }, e.attempts - 1);
  };
}

function createBedrock(config: Config): Services['bedrock'] {
  const b = config.bedrock;
  if (!b) return undefined;
  const base = { region: b.region, requestTimeoutMs: b.timeoutMs };
  const runtime = createBedrockClients({ ...base, ...(b.runtimeEndpoint ? { endpoint: b.runtimeEndpoint } : {}) });
  const agent = createBedrockClients({ ...base, ...(b.agentEndpoint ? { endpoint: b.agentEndpoint } : {}) });
  const agentRuntime = createBedrockClients({ ...base, ...(b.agentRuntimeEndpoint ? { endpoint: b.agentRuntimeEndpoint } : {}) });
  // Each service may have its own endpoint (VPC endpoints); the clients not used from each set are dropped.
  const clients: BedrockClients = {
    runtime: runtime.runtime,
    agent: agent.agent,
    agentRuntime: agentRuntime.agentRuntime,
    destroy: () => {
      runtime.destroy();
      agent.destroy();
      agentRuntime.destroy();
    },
  };
  const knowledgeBase = b.knowledgeBase
    ? createKnowledgeBase({
        clients,
        kbId: b.knowledgeBase.kbId,
        dataSourceId: b.knowledgeBase.dataSourceId,
        dataSourceType: config.blob.kind === 's3' ? 'S3' : 'CUSTOM',
        timeoutMs: b.timeoutMs,
      })
    : undefined;
  return { clients, knowledgeBase };
}

/**
 * The job queue of a DynamoDB deployment, in the platform table. It shares the record store's
 * client (loaded only when chosen, like the store); a replaced record store gets a client of its own.
 */
async function createDynamoJobQueue(
  store: Extract<StoreConfig, { kind: 'dynamodb' }>,
  stores: RecordStores,
  log: Logger,
  closers: (() => Promise<void>)[],
): Promise<JobQueue> {
  const [{ createDynamoQueue }, { createDynamoClient }] = await Promise.all([
    import('./lib/job-queue/dynamo-queue.js'),
    import('./dynamo/dynamo-stores.js'),
  ]);
  let client = stores.kind === 'dynamodb' && 'client' in stores ? (stores as DynamoRecordStores).client : undefined;
  if (!client) {
    const own = createDynamoClient(store);
    closers.push(async () => own.destroy());
    client = own;
  }
  return createDynamoQueue(client, store.tables.platform, {
    onError: (err) => log.warn({ err }, 'job queue background operation failed'),
  });
}

export function createRedis(url: string, log?: Logger): Redis {
  // Fail fast when Redis is down: callers degrade (rate limits open, caches miss) instead of queueing.
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 500,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Each failed reconnection is an 'error': one line when the connection goes and one when it is back,
  // not one per attempt. ('reconnecting' never follows a deliberate quit.)
  let lost = false;
  redis.on('error', () => undefined);
  redis.on('reconnecting', () => {
    if (lost) return;
    lost = true;
    log?.warn('redis unavailable: rate limits let requests through and caches miss until it is back');
  });
  redis.on('ready', () => {
    if (!lost) return;
    lost = false;
    log?.info('redis reconnected: shared rate limits and caches are back');
  });
  return redis;
}

/**
 * Waits (at most the connect timeout) for a new client's first connection. Commands are not queued
 * while it connects, so without this the first requests after start-up would skip the shared rate
 * limits and readiness would report Redis down. If Redis is down, start-up goes on degraded.
 */
export function waitForRedis(redis: Redis, timeoutMs = 1500): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
    redis.once('error', done);
  });
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
    const stores = overrides.stores ?? (await createRecordStores(config, database));
    if (!overrides.stores) closers.push(() => stores.close());

    const redis = config.redis ? createRedis(config.redis.url, log) : undefined;
    if (redis) {
      closers.push(async () => void (await redis.quit().catch(() => redis.disconnect())));
      await waitForRedis(redis);
    }

    const metrics = createMetricsRegistry();
    const audit = createAuditService(stores.audit, clock, log, config.auth.defaultTenantId);
    const tokens = createTokenService(config.auth, () => clock.now());
    const auth = createAuthService({ config, store: stores.auth, tokens, audit, clock });
    await auth.bootstrap(log);
    const cache = redis ? createRedisCache(redis) : createMemoryCache();
    const products = createProductService(stores.products, cache, clock, audit);
    const loanBookings = createLoanBookingService({ store: stores.loanBookings, products, audit, clock, metrics });

    const blob = overrides.blob ?? createBlobStore(config, metrics);
    if (!overrides.blob) closers.push(() => blob.close());
    let queue = overrides.queue;
    if (!queue) {
      if (database) queue = createPgBossQueue(database);
      else if (config.store.kind === 'dynamodb') queue = await createDynamoJobQueue(config.store, stores, log, closers);
      else throw new Error('the SQL record store needs a database for its job queue');
    }
    const q = queue;
    await q.start();
    // Closers run in reverse: the queue drains its running jobs first, then the OCR worker and the
    // Bedrock clients those jobs use are released.
    let ocrEngine: OcrEngine | undefined;
    closers.push(async () => {
      await ocrEngine?.close();
    });
    const bedrock = createBedrock(config);
    if (bedrock) closers.push(async () => bedrock.clients.destroy());
    closers.push(() => q.stop({ graceful: true, timeoutMs: config.server.shutdownTimeoutMs }));
    registerQueueMetrics(q, metrics);
    const documents = createDocumentService({
      config,
      store: stores.documents,
      blob,
      queue: q,
      bookings: loanBookings,
      audit,
      clock,
      metrics,
      log,
      knowledgeBase: bedrock?.knowledgeBase ? createKnowledgeBaseSearch(bedrock.knowledgeBase) : undefined,
    });
    const xm = extractionMetrics(metrics);
    const bedrockConfig = config.bedrock;
    const modelId = bedrockConfig?.modelId;
    const engines = createConfiguredEngines({
      defaultEngine: config.extraction.defaultEngine,
      fallbackToRules: config.extraction.fallbackToRules,
      bedrock:
        bedrock && bedrockConfig && modelId
          ? { client: bedrock.clients.runtime, modelId, timeoutMs: bedrockConfig.timeoutMs, knowledgeBase: bedrock.knowledgeBase }
          : undefined,
      search: async (tenantId, bookingId, query, limit) => stores.documents.search(tenantId, bookingId, query, limit),
      onUsage: (u) => {
        xm.bedrockTokens.inc({ direction: 'input' }, u.input_tokens);
        xm.bedrockTokens.inc({ direction: 'output' }, u.output_tokens);
      },
      onFallback: (from, err) => log.warn({ err, engine: from }, 'extraction engine failed; falling back to rules'),
    });
    const extraction = createExtractionService({
      runs: stores.extractionRuns,
      documents: stores.documents,
      bookings: loanBookings,
      engines,
      queue: q,
      audit,
      clock,
      metrics,
      log,
    });
    const bookingSheets = createBookingSheetService({ store: stores.bookingSheets, runs: stores.extractionRuns, bookings: loanBookings, audit, clock, metrics });

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
      blob,
      queue: q,
      ocr: () => (ocrEngine ??= createOcrEngine()),
      bedrock,
      documents,
      engines,
      extraction,
      bookingSheets,
      healthChecks() {
        const checks: Record<string, HealthCheck> = {
          database: (signal) => stores.check(signal),
          blob_storage: (signal) => blob.check(signal),
          queue: (signal) => q.check(signal),
        };
        const kb = bedrock?.knowledgeBase;
        if (kb) {
          checks.knowledge_base = async (signal) => {
            const r = await kb.check({ signal });
            if (!r.ok) throw new Error(r.reason ?? 'knowledge base not ready');
          };
        }
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
