import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Value } from 'typebox/value';
import { EnvSchema, type Env } from './env-schema.js';
import type { Config, JwtKeyConfig } from './config.js';

export class ConfigError extends Error {
  readonly issues: { variable: string; message: string }[];
  constructor(issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

type RawEnv = Record<string, string | undefined>;

/** Parses KEY=VALUE lines; quotes are stripped, `#` starts a comment line. Enough for a `.env` file. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).replace(/^export\s+/, '').trim();
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1);
    }
    out[key] = value;
  }
  return out;
}

const SCHEMA_KEYS = Object.keys(EnvSchema.properties) as (keyof Env)[];
const SECRET_KEYS = SCHEMA_KEYS.filter(
  (k) => (EnvSchema.properties[k] as unknown as Record<string, unknown>)['x-secret'] === true,
);

export interface LoadConfigOptions {
  env?: RawEnv;
  /** Path of an optional .env file; values in `env` win over it. */
  envFile?: string | false;
  /** Values fetched from AWS Secrets Manager (see secrets.ts); they win over the .env file, not over env. */
  extra?: Record<string, string>;
}

/**
 * Collects the raw variables in priority order: process env > secrets manager > .env file, then
 * resolves `NAME_FILE` indirections (Docker/Kubernetes secrets) for every variable.
 */
export function collectRawEnv(options: LoadConfigOptions = {}): { raw: RawEnv; issues: { variable: string; message: string }[] } {
  // The single place in the code that reads process.env.
  const env = options.env ?? process.env;
  const issues: { variable: string; message: string }[] = [];
  let fileVars: Record<string, string> = {};
  const envFile = options.envFile === undefined ? '.env' : options.envFile;
  if (envFile && existsSync(envFile)) fileVars = parseDotEnv(readFileSync(envFile, 'utf8'));
  const merged: RawEnv = { ...fileVars, ...(options.extra ?? {}), ...env };
  // Aliases kept from the legacy service's configuration names.
  if (merged.AUTH_JWT_SECRET === undefined && merged.SECRET_KEY !== undefined) merged.AUTH_JWT_SECRET = merged.SECRET_KEY;
  if (merged.APP_ENV === undefined && merged.NODE_ENV !== undefined && ['development', 'test', 'production'].includes(merged.NODE_ENV)) {
    merged.APP_ENV = merged.NODE_ENV;
  }
  for (const key of SCHEMA_KEYS) {
    const fileVar = merged[`${key}_FILE`];
    if (fileVar === undefined || fileVar === '') continue;
    if (merged[key] !== undefined && merged[key] !== '') {
      issues.push({ variable: `${key}_FILE`, message: `both ${key} and ${key}_FILE are set; set only one` });
      continue;
    }
    try {
      merged[key] = readFileSync(fileVar, 'utf8').replace(/\r?\n$/, '');
    } catch {
      issues.push({ variable: `${key}_FILE`, message: 'file cannot be read' });
    }
  }
  return { raw: merged, issues };
}

function validate(raw: RawEnv): { env: Env; issues: { variable: string; message: string }[] } {
  const input: Record<string, unknown> = {};
  for (const key of SCHEMA_KEYS) {
    const v = raw[key];
    // An empty variable means "not set", as in most deployment tools.
    if (v !== undefined && v !== '') input[key] = v;
  }
  const withDefaults = Value.Default(EnvSchema, input) as Record<string, unknown>;
  const converted = Value.Convert(EnvSchema, withDefaults) as Env;
  const issues: { variable: string; message: string }[] = [];
  // Each variable is checked on its own: TypeBox buffers only a few errors per check (maxErrors),
  // and one bad enum spends several of them, which would hide the other bad variables.
  for (const key of SCHEMA_KEYS) {
    const value = (converted as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const prop = EnvSchema.properties[key];
    const [error] = Value.Errors(prop, value);
    if (!error) continue;
    const oneOf = (prop as unknown as Record<string, unknown>)['x-one-of'] as string[] | undefined;
    issues.push({ variable: key, message: oneOf ? `must be one of: ${oneOf.join(', ')}` : error.message });
  }
  return { env: converted, issues };
}

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The DynamoDB document store records an upload in one transaction (all files or none): 100 items,
 * three per new document plus the booking check and the status counters, so 31 documents at most.
 * Capping the request here turns a larger upload into the same 413 as any file-count limit, before
 * any byte is stored.
 */
const DYNAMODB_MAX_FILES_PER_UPLOAD = 31;

const WEAK_PASSWORDS = new Set(['admin', 'password', 'changeme', 'change-me', 'admin123', 'password123', 'secret']);

export function isWeakPassword(pw: string): boolean {
  return pw.length < 12 || WEAK_PASSWORDS.has(pw.toLowerCase()) || /^(.)\1+$/.test(pw);
}

function parsePreviousKeys(value: string | undefined, issues: { variable: string; message: string }[]): Record<string, string> {
  if (!value) return {};
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    const out: Record<string, string> = {};
    for (const [kid, key] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof key !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(kid)) throw new Error('bad entry');
      out[kid] = key;
    }
    return out;
  } catch {
    issues.push({ variable: 'AUTH_JWT_PREVIOUS_KEYS', message: 'must be a JSON object of key id to secret or public key PEM' });
    return {};
  }
}

/** Builds the typed, frozen configuration from raw variables, or throws ConfigError listing every problem. */
export function buildConfig(raw: RawEnv, preIssues: { variable: string; message: string }[] = []): Config {
  const { env, issues } = validate(raw);
  issues.unshift(...preIssues);
  const profile = env.APP_ENV ?? 'development';
  const production = profile === 'production';
  const dataDir = path.resolve(env.DATA_DIR ?? './data');

  const storeKind = env.STORE ?? (env.DATABASE_URL ? 'postgres' : 'pglite');
  if (storeKind === 'postgres' && !env.DATABASE_URL) issues.push({ variable: 'DATABASE_URL', message: 'required when STORE=postgres' });
  if (env.DATABASE_URL && !/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) {
    issues.push({ variable: 'DATABASE_URL', message: 'must be a postgres:// or postgresql:// URL' });
  }
  const blobKind = env.BLOB_STORE ?? (env.S3_BUCKET ? 's3' : 'disk');
  if (blobKind === 's3' && !env.S3_BUCKET) issues.push({ variable: 'S3_BUCKET', message: 'required when BLOB_STORE=s3' });
  if (env.S3_SSE === 'aws:kms' && !env.S3_KMS_KEY_ID) issues.push({ variable: 'S3_KMS_KEY_ID', message: 'required when S3_SSE=aws:kms' });
  if ((env.KB_ID && !env.DATA_SOURCE_ID) || (!env.KB_ID && env.DATA_SOURCE_ID)) {
    issues.push({ variable: env.KB_ID ? 'DATA_SOURCE_ID' : 'KB_ID', message: 'KB_ID and DATA_SOURCE_ID go together' });
  }
  if (env.EXTRACTION_ENGINE === 'bedrock' && !env.BEDROCK_MODEL_ID) {
    issues.push({ variable: 'BEDROCK_MODEL_ID', message: 'required when EXTRACTION_ENGINE=bedrock' });
  }
  if (env.REDIS_URL && !/^rediss?:\/\//.test(env.REDIS_URL)) issues.push({ variable: 'REDIS_URL', message: 'must be a redis:// or rediss:// URL' });
  if (env.OIDC_JWKS_URL && (!env.OIDC_ISSUER || !env.OIDC_AUDIENCE)) {
    issues.push({ variable: env.OIDC_ISSUER ? 'OIDC_AUDIENCE' : 'OIDC_ISSUER', message: 'required with OIDC_JWKS_URL' });
  }
  if (env.OIDC_JWKS_URL && production && !env.OIDC_JWKS_URL.startsWith('https://')) {
    issues.push({ variable: 'OIDC_JWKS_URL', message: 'must use https in production' });
  }

  // Signing keys: in development and test a missing secret is replaced by a per-process random one
  // (tokens then do not survive a restart), never in production.
  // An unknown algorithm is already reported; checking keys against it would only add noise.
  const alg = issues.some((i) => i.variable === 'AUTH_JWT_ALG') ? 'HS256' : (env.AUTH_JWT_ALG ?? 'HS256');
  let jwt: JwtKeyConfig;
  const previous = parsePreviousKeys(env.AUTH_JWT_PREVIOUS_KEYS, issues);
  if (alg === 'HS256') {
    const secret = env.AUTH_JWT_SECRET;
    if (secret !== undefined && Buffer.byteLength(secret) < 32) {
      issues.push({ variable: 'AUTH_JWT_SECRET', message: 'must be at least 32 bytes' });
    }
    if (secret === undefined && production) issues.push({ variable: 'AUTH_JWT_SECRET', message: 'required in production' });
    if (secret !== undefined && production && /change|secret|example|default/i.test(secret)) {
      issues.push({ variable: 'AUTH_JWT_SECRET', message: 'looks like a placeholder; use a random value' });
    }
    jwt = { alg, kid: env.AUTH_JWT_KID ?? 'k1', secret: secret ?? null, previous };
  } else {
    if (!env.AUTH_JWT_PRIVATE_KEY) issues.push({ variable: 'AUTH_JWT_PRIVATE_KEY', message: `required with AUTH_JWT_ALG=${alg}` });
    jwt = { alg, kid: env.AUTH_JWT_KID ?? 'k1', privateKeyPem: env.AUTH_JWT_PRIVATE_KEY ?? '', previous };
  }

  const corsOrigins = (env.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    if (origin === '*') {
      if (production) issues.push({ variable: 'CORS_ORIGINS', message: '"*" is not allowed in production; list the origins' });
    } else if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      issues.push({ variable: 'CORS_ORIGINS', message: `"${origin.slice(0, 100)}" is not an origin (scheme://host[:port])` });
    }
  }

  if (production) {
    if (env.DEBUG) issues.push({ variable: 'DEBUG', message: 'must be off in production' });
    if (env.LOG_PRETTY) issues.push({ variable: 'LOG_PRETTY', message: 'must be off in production (structured logs only)' });
    if (env.BOOTSTRAP_ADMIN_EMAIL && !env.BOOTSTRAP_ADMIN_PASSWORD) {
      issues.push({ variable: 'BOOTSTRAP_ADMIN_PASSWORD', message: 'required in production with BOOTSTRAP_ADMIN_EMAIL' });
    }
    if (env.BOOTSTRAP_ADMIN_PASSWORD && isWeakPassword(env.BOOTSTRAP_ADMIN_PASSWORD)) {
      issues.push({ variable: 'BOOTSTRAP_ADMIN_PASSWORD', message: 'too weak or a known default; use at least 12 characters' });
    }
    if (blobKind === 's3' && env.S3_SSE === 'none') issues.push({ variable: 'S3_SSE', message: 'must not be none in production' });
  }
  if (env.BOOTSTRAP_ADMIN_PASSWORD && !env.BOOTSTRAP_ADMIN_EMAIL) {
    issues.push({ variable: 'BOOTSTRAP_ADMIN_EMAIL', message: 'required with BOOTSTRAP_ADMIN_PASSWORD' });
  }
  if (env.BOOTSTRAP_ADMIN_EMAIL && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(env.BOOTSTRAP_ADMIN_EMAIL)) {
    issues.push({ variable: 'BOOTSTRAP_ADMIN_EMAIL', message: 'must be an email address' });
  }

  if (issues.length > 0) throw new ConfigError(issues);

  const region = env.AWS_REGION ?? 'us-east-1';
  const config: Config = {
    profile,
    server: {
      host: env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
      port: env.PORT ?? 8000,
      trustProxy: parseTrustProxy(env.TRUST_PROXY ?? 'false'),
      bodyLimitBytes: env.BODY_LIMIT_BYTES!,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS!,
      headersTimeoutMs: env.HEADERS_TIMEOUT_MS!,
      keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT_MS!,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS!,
      corsOrigins,
      docsEnabled: env.DOCS_ENABLED!,
    },
    log: { level: env.LOG_LEVEL!, pretty: env.LOG_PRETTY ?? profile === 'development', debug: env.DEBUG! },
    metrics: { enabled: env.METRICS_ENABLED! },
    overload: { maxEventLoopDelayMs: env.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS!, maxHeapUsedBytes: env.OVERLOAD_MAX_HEAP_USED_BYTES! },
    health: { checkTimeoutMs: env.HEALTH_CHECK_TIMEOUT_MS! },
    dataDir,
    store:
      storeKind === 'postgres'
        ? {
            kind: 'postgres',
            url: env.DATABASE_URL!,
            poolMax: env.DATABASE_POOL_MAX!,
            statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS!,
            connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS!,
            migrateOnStart: env.MIGRATE_ON_START!,
          }
        : storeKind === 'dynamodb'
          ? {
              kind: 'dynamodb',
              region,
              endpoint: env.DYNAMODB_ENDPOINT,
              tables: { loanBookings: env.LOAN_BOOKING_TABLE!, bookingSheets: env.BOOKING_SHEET_TABLE!, platform: env.PLATFORM_TABLE! },
              createTables: profile !== 'production',
            }
          : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite'), migrateOnStart: env.MIGRATE_ON_START! },
    blob:
      blobKind === 's3'
        ? {
            kind: 's3',
            bucket: env.S3_BUCKET!,
            region,
            endpoint: env.S3_ENDPOINT,
            forcePathStyle: env.S3_FORCE_PATH_STYLE!,
            sse: env.S3_SSE === 'none' ? undefined : env.S3_SSE,
            kmsKeyId: env.S3_KMS_KEY_ID,
            presignedDownloads: env.S3_PRESIGNED_DOWNLOADS!,
          }
        : { kind: 'disk', root: path.join(dataDir, 'blobs') },
    redis: env.REDIS_URL ? { url: env.REDIS_URL } : undefined,
    aws: { region },
    auth: {
      issuer: env.AUTH_ISSUER!,
      audience: env.AUTH_AUDIENCE!,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_EXPIRE_MINUTES! * 60,
      refreshTokenTtlSeconds: env.REFRESH_TOKEN_EXPIRE_DAYS! * 86_400,
      jwt,
      oidc: env.OIDC_JWKS_URL
        ? {
            jwksUrl: env.OIDC_JWKS_URL,
            issuer: env.OIDC_ISSUER!,
            audience: env.OIDC_AUDIENCE!,
            rolesClaim: env.OIDC_ROLES_CLAIM!,
            tenantClaim: env.OIDC_TENANT_CLAIM!,
          }
        : undefined,
      bootstrapAdmin: env.BOOTSTRAP_ADMIN_EMAIL
        ? { email: env.BOOTSTRAP_ADMIN_EMAIL, password: env.BOOTSTRAP_ADMIN_PASSWORD }
        : undefined,
      defaultTenantId: env.DEFAULT_TENANT_ID!,
      lockoutThreshold: env.LOGIN_LOCKOUT_THRESHOLD!,
      lockoutSeconds: env.LOGIN_LOCKOUT_MINUTES! * 60,
    },
    rateLimit: {
      perMinute: env.RATE_LIMIT_PER_MINUTE!,
      loginPerMinute: env.RATE_LIMIT_LOGIN_PER_MINUTE!,
      uploadPerMinute: env.RATE_LIMIT_UPLOAD_PER_MINUTE!,
      extractionPerMinute: env.RATE_LIMIT_EXTRACTION_PER_MINUTE!,
    },
    uploads: {
      maxFileBytes: env.UPLOAD_MAX_FILE_BYTES!,
      maxFiles: storeKind === 'dynamodb' ? Math.min(env.UPLOAD_MAX_FILES!, DYNAMODB_MAX_FILES_PER_UPLOAD) : env.UPLOAD_MAX_FILES!,
      maxRequestBytes: env.UPLOAD_MAX_REQUEST_BYTES!,
      maxParseBytes: env.UPLOAD_MAX_PARSE_BYTES!,
      maxDocxUncompressedBytes: env.UPLOAD_MAX_DOCX_UNCOMPRESSED_BYTES!,
      clamav: env.CLAMAV_HOST ? { host: env.CLAMAV_HOST, port: env.CLAMAV_PORT! } : undefined,
    },
    worker: {
      mode: env.WORKER_MODE!,
      concurrency: env.WORKER_CONCURRENCY!,
      processingTimeoutSeconds: env.DOCUMENT_PROCESSING_TIMEOUT_SECONDS!,
      extractionRunTimeoutSeconds: env.EXTRACTION_RUN_TIMEOUT_SECONDS!,
      sweepIntervalMs: env.MAINTENANCE_SWEEP_INTERVAL_MS!,
      orphanGraceMs: env.ORPHAN_GRACE_MS!,
    },
    extraction: { defaultEngine: env.EXTRACTION_ENGINE!, fallbackToRules: env.EXTRACTION_FALLBACK_TO_RULES! },
    bedrock:
      env.BEDROCK_MODEL_ID || env.KB_ID
        ? {
            region,
            modelId: env.BEDROCK_MODEL_ID,
            runtimeEndpoint: env.BEDROCK_ENDPOINT,
            agentEndpoint: env.BEDROCK_AGENT_ENDPOINT,
            agentRuntimeEndpoint: env.BEDROCK_AGENT_RUNTIME_ENDPOINT,
            timeoutMs: env.BEDROCK_TIMEOUT_MS!,
            knowledgeBase: env.KB_ID ? { kbId: env.KB_ID, dataSourceId: env.DATA_SOURCE_ID! } : undefined,
          }
        : undefined,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object') {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}

/** Loads the configuration synchronously (no Secrets Manager). */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const { raw, issues } = collectRawEnv(options);
  return buildConfig(raw, issues);
}

/** Names of variables whose values must never be printed. */
export const secretVariableNames: readonly string[] = [...SECRET_KEYS, 'SECRET_KEY'];
