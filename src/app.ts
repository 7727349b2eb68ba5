import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config/config.js';
import { loggerOptions } from './lib/logger.js';
import { ProblemSchema } from './lib/http-schemas.js';
import { errorsPlugin, frameworkErrorHandler, clientErrorHandler } from './plugins/errors.js';
import { requestContextPlugin, genRequestId } from './plugins/request-context.js';
import { metricsPlugin } from './plugins/metrics.js';
import { healthPlugin } from './plugins/health.js';
import { httpHygienePlugin } from './plugins/http-hygiene.js';
import { openApiPlugin } from './plugins/openapi.js';
import { createServices, type Services, type ServiceOverrides } from './services.js';
import { registerModules } from './modules/index.js';
import { SERVICE_VERSION } from './version.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export type App = FastifyInstance;

export interface BuildAppOptions extends ServiceOverrides {
  /** Pre-built services (tests share one set across apps to prove cross-instance behaviour). */
  services?: Services;
  /** Extra pino options (tests capture log lines through a stream). */
  logStream?: NodeJS.WritableStream;
  /** Runs after every module is registered and before the app is sealed (tests add probe routes). */
  beforeReady?: (app: App) => void | Promise<void>;
}

/**
 * Builds the whole HTTP application for a configuration. Tests call this and use `inject`;
 * `main.ts` calls it and listens. Closing the app closes what createServices opened.
 */
export async function buildApp(config: Config, options: BuildAppOptions = {}): Promise<App> {
  const services = options.services ?? (await createServices(config, options));
  const ownsServices = options.services === undefined;
  const logOptions = loggerOptions(config);
  const loggerInstance: FastifyBaseLogger = options.logStream ? pino({ ...logOptions, transport: undefined }, options.logStream) : pino(logOptions);
  const app = Fastify({
    loggerInstance,
    genReqId: genRequestId,
    // One structured line per request comes from request-context; Fastify's own lines would double it.
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    bodyLimit: config.server.bodyLimitBytes,
    requestTimeout: config.server.requestTimeoutMs,
    keepAliveTimeout: config.server.keepAliveTimeoutMs,
    connectionTimeout: 0,
    // A hop count is valid at run time (proxy-addr) though the type omits it.
    trustProxy: config.server.trustProxy as boolean | string[],
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    // Node enforces headersTimeout and requestTimeout only when it sweeps its connections, every 30 s by
    // default: a slowloris client got up to 30 s more than configured. Sweep at a quarter of the timeout.
    http: { connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.server.headersTimeoutMs / 4))) },
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;

  app.server.headersTimeout = config.server.headersTimeoutMs;
  // The API speaks JSON (and forms, multipart where a route says so). Fastify's default text/plain
  // parser would turn a mislabelled body into a 422 about its shape instead of a 415.
  app.removeContentTypeParser('text/plain');
  app.decorate('services', services);
  app.addSchema(ProblemSchema);
  if (ownsServices) app.addHook('onClose', async () => services.close());

  await app.register(errorsPlugin);
  await app.register(requestContextPlugin);
  // Before any route: compression and the OpenAPI generator only see routes declared after them.
  await app.register(httpHygienePlugin, {
    corsOrigins: config.server.corsOrigins,
    maxEventLoopDelayMs: config.overload.maxEventLoopDelayMs,
    maxHeapUsedBytes: config.overload.maxHeapUsedBytes,
  });
  await app.register(openApiPlugin, { version: SERVICE_VERSION, docsEnabled: config.server.docsEnabled, tokenUrl: '/api/v1/auth/token' });
  await app.register(metricsPlugin, { registry: services.metrics, enabled: config.metrics.enabled });
  await app.register(healthPlugin, { checks: () => services.healthChecks(), timeoutMs: config.health.checkTimeoutMs });
  await registerModules(app, services);
  if (options.beforeReady) await options.beforeReady(app);
  await app.ready();
  return app;
}
