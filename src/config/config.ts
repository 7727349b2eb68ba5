/** The typed, frozen configuration every part of the service receives. Built only by `load.ts`. */
export type Profile = 'development' | 'test' | 'production';

export type JwtKeyConfig =
  | { alg: 'HS256'; kid: string; secret: string | null; previous: Record<string, string> }
  | { alg: 'RS256' | 'ES256'; kid: string; privateKeyPem: string; previous: Record<string, string> };

export type StoreConfig =
  | { kind: 'pglite'; dataDir: string; migrateOnStart: boolean }
  | { kind: 'postgres'; url: string; poolMax: number; statementTimeoutMs: number; connectTimeoutMs: number; migrateOnStart: boolean }
  | {
      kind: 'dynamodb';
      region: string;
      endpoint: string | undefined;
      tables: { loanBookings: string; bookingSheets: string; platform: string };
      createTables: boolean;
    };

export type BlobConfig =
  | { kind: 'disk'; root: string }
  | {
      kind: 's3';
      bucket: string;
      region: string;
      endpoint: string | undefined;
      forcePathStyle: boolean;
      sse: 'AES256' | 'aws:kms' | undefined;
      kmsKeyId: string | undefined;
      presignedDownloads: boolean;
    };

export interface Config {
  readonly profile: Profile;
  readonly server: {
    host: string;
    port: number;
    trustProxy: boolean | number | string[];
    bodyLimitBytes: number;
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    keepAliveTimeoutMs: number;
    shutdownTimeoutMs: number;
    corsOrigins: string[];
    docsEnabled: boolean;
  };
  readonly log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'; pretty: boolean; debug: boolean };
  readonly metrics: { enabled: boolean };
  readonly overload: { maxEventLoopDelayMs: number; maxHeapUsedBytes: number };
  readonly health: { checkTimeoutMs: number };
  readonly dataDir: string;
  readonly store: StoreConfig;
  readonly blob: BlobConfig;
  readonly redis: { url: string } | undefined;
  readonly aws: { region: string };
  readonly auth: {
    issuer: string;
    audience: string;
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    jwt: JwtKeyConfig;
    oidc: { jwksUrl: string; issuer: string; audience: string; rolesClaim: string; tenantClaim: string } | undefined;
    bootstrapAdmin: { email: string; password: string | undefined } | undefined;
    defaultTenantId: string;
    lockoutThreshold: number;
    lockoutSeconds: number;
  };
  readonly rateLimit: { perMinute: number; loginPerMinute: number; uploadPerMinute: number; extractionPerMinute: number };
  readonly uploads: {
    maxFileBytes: number;
    maxFiles: number;
    maxRequestBytes: number;
    maxParseBytes: number;
    maxDocxUncompressedBytes: number;
    clamav: { host: string; port: number } | undefined;
  };
  readonly worker: {
    mode: 'embedded' | 'off';
    concurrency: number;
    /** Lease of a worker on a document; past it the document may be taken over. */
    processingTimeoutSeconds: number;
    /** Deadline of an extraction run; its lease is longer, and past the lease the run may be taken over. */
    extractionRunTimeoutSeconds: number;
    sweepIntervalMs: number;
    orphanGraceMs: number;
  };
  readonly extraction: { defaultEngine: 'rules' | 'bedrock'; fallbackToRules: boolean };
  readonly bedrock:
    | {
        region: string;
        modelId: string | undefined;
        runtimeEndpoint: string | undefined;
        agentEndpoint: string | undefined;
        agentRuntimeEndpoint: string | undefined;
        timeoutMs: number;
        knowledgeBase: { kbId: string; dataSourceId: string } | undefined;
      }
    | undefined;
}
