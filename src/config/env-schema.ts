import { Type, type Static } from 'typebox';

/**
 * Every environment variable the service reads, in one schema. Descriptions and defaults here also
 * produce the README's configuration table (`npm run docs:readme`), so this is the single source.
 * Values arrive as strings and are converted by TypeBox; profile-dependent defaults (HOST, LOG_PRETTY)
 * are applied afterwards in `load.ts`.
 */
const Int = (description: string, def: number | undefined, minimum: number, maximum: number) =>
  Type.Optional(Type.Integer({ description, minimum, maximum, ...(def === undefined ? {} : { default: def }) }));
const Str = (description: string, opts: { def?: string; minLength?: number; maxLength?: number; pattern?: string; secret?: boolean } = {}) =>
  Type.Optional(
    Type.String({
      description,
      maxLength: opts.maxLength ?? 4096,
      ...(opts.minLength === undefined ? {} : { minLength: opts.minLength }),
      ...(opts.pattern === undefined ? {} : { pattern: opts.pattern }),
      ...(opts.def === undefined ? {} : { default: opts.def }),
      ...(opts.secret ? { 'x-secret': true } : {}),
    }),
  );
const Bool = (description: string, def?: boolean) =>
  Type.Optional(Type.Boolean({ description, ...(def === undefined ? {} : { default: def }) }));
const OneOf = <T extends string>(description: string, values: readonly T[], def?: T) =>
  Type.Optional(
    Type.Unsafe<T>(
      Type.Union(
        values.map((v) => Type.Literal(v)),
        { description, 'x-one-of': values, ...(def === undefined ? {} : { default: def }) },
      ),
    ),
  );

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const EnvSchema = Type.Object(
  {
    // --- profile, server
    APP_ENV: OneOf('Environment profile. Falls back to NODE_ENV.', ['development', 'test', 'production'] as const),
    HOST: Str('Interface to listen on. Default 127.0.0.1 in development and test, 0.0.0.0 in production.'),
    PORT: Int('HTTP port.', 8000, 0, 65535),
    DATA_DIR: Str('Folder for the embedded database and local files.', { def: './data', minLength: 1 }),
    TRUST_PROXY: Str('Proxy trust: "false", "true", a hop count, or a comma list of addresses/CIDRs of the load balancers.', { def: 'false' }),
    BODY_LIMIT_BYTES: Int('Largest JSON or form body accepted (uploads have their own limits).', MiB, 1024, 64 * MiB),
    REQUEST_TIMEOUT_MS: Int('Time allowed to receive a whole request (0 disables; uploads are long).', 15 * 60_000, 0, 24 * 3600_000),
    HEADERS_TIMEOUT_MS: Int('Time allowed to receive request headers (slowloris guard).', 15_000, 1000, 120_000),
    KEEP_ALIVE_TIMEOUT_MS: Int('Idle keep-alive timeout; keep above the load balancer idle timeout.', 72_000, 1000, 600_000),
    SHUTDOWN_TIMEOUT_MS: Int('Longest graceful shutdown before the process exits anyway.', 25_000, 1000, 600_000),
    CORS_ORIGINS: Str('Comma-separated list of allowed browser origins. Empty: no cross-origin access. "*" is refused in production.', { def: '' }),
    DOCS_ENABLED: Bool('Serve /docs and /openapi.json.', true),
    // --- logging, metrics, overload
    LOG_LEVEL: OneOf('Log level.', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    LOG_PRETTY: Bool('Human-readable logs (development only). Default true in development.'),
    DEBUG: Bool('Debug mode: more detail in logs. Refused in production.', false),
    METRICS_ENABLED: Bool('Serve Prometheus metrics at /metrics.', true),
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: Int('Event-loop delay above which requests get 503 (0 disables).', 1000, 0, 60_000),
    OVERLOAD_MAX_HEAP_USED_BYTES: Int('Heap use above which requests get 503 (0 disables).', 0, 0, 64 * GiB),
    HEALTH_CHECK_TIMEOUT_MS: Int('Timeout of each readiness dependency check.', 2000, 100, 30_000),
    // --- record store
    STORE: OneOf('Record store. Default: postgres when DATABASE_URL is set, else the embedded pglite.', ['pglite', 'postgres', 'dynamodb'] as const),
    DATABASE_URL: Str('PostgreSQL connection string (postgres://user:pass@host:5432/db).', { secret: true }),
    DATABASE_POOL_MAX: Int('PostgreSQL pool size per process.', 10, 1, 200),
    DATABASE_STATEMENT_TIMEOUT_MS: Int('PostgreSQL statement timeout.', 10_000, 100, 600_000),
    DATABASE_CONNECT_TIMEOUT_MS: Int('PostgreSQL connection timeout.', 5000, 100, 60_000),
    MIGRATE_ON_START: Bool('Run database migrations at start-up.', true),
    DYNAMODB_ENDPOINT: Str('DynamoDB endpoint override (DynamoDB Local).'),
    LOAN_BOOKING_TABLE: Str('DynamoDB table of loan bookings and their documents.', { def: 'cls-loan-bookings', pattern: '^[A-Za-z0-9_.-]{3,255}$' }),
    BOOKING_SHEET_TABLE: Str('DynamoDB table of booking sheets, versions and extraction runs.', { def: 'cls-booking-sheets', pattern: '^[A-Za-z0-9_.-]{3,255}$' }),
    PLATFORM_TABLE: Str('DynamoDB table of users, tokens, audit, products, idempotency keys and jobs.', { def: 'cls-platform', pattern: '^[A-Za-z0-9_.-]{3,255}$' }),
    // --- blob storage
    BLOB_STORE: OneOf('Blob storage. Default: s3 when S3_BUCKET is set, else disk under DATA_DIR.', ['disk', 's3'] as const),
    S3_BUCKET: Str('S3 bucket for documents.', { pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' }),
    S3_ENDPOINT: Str('S3-compatible endpoint override.'),
    S3_FORCE_PATH_STYLE: Bool('Path-style S3 addressing (S3-compatible stores).', false),
    S3_SSE: OneOf('Server-side encryption for uploads.', ['none', 'AES256', 'aws:kms'] as const, 'AES256'),
    S3_KMS_KEY_ID: Str('KMS key for aws:kms server-side encryption.'),
    S3_PRESIGNED_DOWNLOADS: Bool('Answer content downloads with a short-lived presigned redirect (S3 only).', false),
    AWS_REGION: Str('AWS region.', { def: 'us-east-1', pattern: '^[a-z]{2}(-[a-z]+)+-\\d$' }),
    SECRETS_MANAGER_SECRET_ID: Str('AWS Secrets Manager secret (JSON object of variable names to values) merged into the configuration at start.'),
    // --- redis
    REDIS_URL: Str('Redis URL; shares rate limits and caches across instances.', { secret: true }),
    // --- auth
    AUTH_JWT_ALG: OneOf('Signing algorithm for access tokens.', ['HS256', 'RS256', 'ES256'] as const, 'HS256'),
    AUTH_JWT_SECRET: Str('HS256 signing secret, at least 32 bytes. Alias: SECRET_KEY.', { secret: true }),
    AUTH_JWT_PRIVATE_KEY: Str('PEM private key for RS256/ES256.', { secret: true }),
    AUTH_JWT_KID: Str('Key id of the current signing key.', { def: 'k1', pattern: '^[A-Za-z0-9._-]{1,64}$' }),
    AUTH_JWT_PREVIOUS_KEYS: Str('JSON object {kid: secret-or-public-PEM} of retired keys still accepted for verification.', { secret: true }),
    AUTH_ISSUER: Str('Issuer (iss) of our tokens.', { def: 'commercial-loan-service', minLength: 1 }),
    AUTH_AUDIENCE: Str('Audience (aud) of our tokens.', { def: 'commercial-loan-api', minLength: 1 }),
    ACCESS_TOKEN_EXPIRE_MINUTES: Int('Access token lifetime.', 30, 1, 24 * 60),
    REFRESH_TOKEN_EXPIRE_DAYS: Int('Refresh token lifetime.', 7, 1, 90),
    OIDC_JWKS_URL: Str('External OpenID Connect provider JWKS URL (Cognito, Okta, Entra).'),
    OIDC_ISSUER: Str('External provider issuer.'),
    OIDC_AUDIENCE: Str('External provider audience (client id).'),
    OIDC_ROLES_CLAIM: Str('Claim holding roles in external tokens (dot path, e.g. "cognito:groups").', { def: 'roles' }),
    OIDC_TENANT_CLAIM: Str('Claim holding the tenant id in external tokens.', { def: 'tenant_id' }),
    BOOTSTRAP_ADMIN_EMAIL: Str('Email of the first admin, created when no user exists.'),
    BOOTSTRAP_ADMIN_PASSWORD: Str('Password of the first admin (development may omit it: a generated one is printed once).', { secret: true }),
    DEFAULT_TENANT_ID: Str('Tenant of the bootstrap admin and of single-tenant deployments.', { def: 'default', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    // --- rate limits
    RATE_LIMIT_PER_MINUTE: Int('Requests per minute per user (or per IP when anonymous).', 300, 1, 1_000_000),
    RATE_LIMIT_LOGIN_PER_MINUTE: Int('Token requests per minute per IP.', 10, 1, 10_000),
    RATE_LIMIT_UPLOAD_PER_MINUTE: Int('Upload requests per minute per user.', 10, 1, 10_000),
    RATE_LIMIT_EXTRACTION_PER_MINUTE: Int('Extraction runs per minute per user.', 10, 1, 10_000),
    LOGIN_LOCKOUT_THRESHOLD: Int('Failed logins of one account before it is locked for a while.', 5, 1, 100),
    LOGIN_LOCKOUT_MINUTES: Int('How long an account stays locked after too many failures.', 15, 1, 1440),
    // --- uploads
    UPLOAD_MAX_FILE_BYTES: Int('Largest single uploaded file.', 2 * GiB, 1, 64 * GiB),
    UPLOAD_MAX_REQUEST_BYTES: Int('Largest total of all files in one upload request.', 4 * GiB, 1, 256 * GiB),
    UPLOAD_MAX_PARSE_BYTES: Int('Largest PDF, DOCX or image the service parses (text and HTML are streamed and may be larger).', 256 * MiB, MiB, 4 * GiB),
    UPLOAD_MAX_FILES: Int('Most files in one upload request. With STORE=dynamodb at most 31 (a larger value is lowered): an upload is recorded in one DynamoDB transaction, which holds 100 items, three per new document.', 20, 1, 1000),
    UPLOAD_MAX_DOCX_UNCOMPRESSED_BYTES: Int('Largest decompressed DOCX (zip bomb guard).', 512 * MiB, MiB, 16 * GiB),
    CLAMAV_HOST: Str('ClamAV daemon host; when set every upload is scanned.'),
    CLAMAV_PORT: Int('ClamAV daemon port.', 3310, 1, 65535),
    // --- processing, extraction
    WORKER_MODE: OneOf('embedded: the API process also runs jobs; off: API only (run `npm run worker` separately).', ['embedded', 'off'] as const, 'embedded'),
    WORKER_CONCURRENCY: Int('Jobs processed at once per worker process.', 2, 1, 64),
    DOCUMENT_PROCESSING_TIMEOUT_SECONDS: Int('Lease of a worker on a document: past it the worker is presumed dead (killed) and another takes the document over.', 900, 2, 86_400),
    EXTRACTION_RUN_TIMEOUT_SECONDS: Int('Deadline of one extraction run. Its worker holds the run this long plus as much again (at most a minute more); past that the worker is presumed dead (killed) and another takes the run over. At most 12 min, below the 15 min expiry of queued jobs.', 720, 2, 720),
    MAINTENANCE_SWEEP_INTERVAL_MS: Int('How often each worker re-enqueues documents and extraction runs whose job was lost or whose worker died, and removes orphan blobs and stale temp files.', 5 * 60_000, 100, 24 * 3600_000),
    ORPHAN_GRACE_MS: Int('Age before a blob no document points at (an interrupted upload or delete) or a temp file is removed; longer than an upload takes between storing a file and recording it.', 3600_000, 1000, 7 * 24 * 3600_000),
    EXTRACTION_ENGINE: OneOf('Default extraction engine.', ['rules', 'bedrock'] as const, 'rules'),
    EXTRACTION_FALLBACK_TO_RULES: Bool('When the bedrock engine fails, fall back to rules.', true),
    BEDROCK_MODEL_ID: Str('Bedrock model id for the bedrock engine; enables it.'),
    BEDROCK_ENDPOINT: Str('Bedrock Runtime endpoint override.'),
    BEDROCK_AGENT_ENDPOINT: Str('Bedrock Agent (knowledge base management) endpoint override.'),
    BEDROCK_AGENT_RUNTIME_ENDPOINT: Str('Bedrock Agent Runtime (Retrieve) endpoint override.'),
    BEDROCK_TIMEOUT_MS: Int('Timeout of one Bedrock call.', 60_000, 100, 600_000),
    KB_ID: Str('Bedrock knowledge base id; enables knowledge base sync and retrieval.', { pattern: '^[0-9A-Za-z]{1,64}$' }),
    DATA_SOURCE_ID: Str('Bedrock knowledge base data source id.', { pattern: '^[0-9A-Za-z]{1,64}$' }),
  },
  { additionalProperties: true },
);

export type Env = Static<typeof EnvSchema>;
