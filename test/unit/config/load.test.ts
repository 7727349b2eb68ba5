import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';
import { buildConfig, collectRawEnv, isWeakPassword, parseDotEnv, secretVariableNames } from '../../../src/config/load.js';

const GOOD_SECRET = 'k9Vq2xLw8RtZp4Nm7Yc1Hb6Jd3Fs0Ga5';
const tmp = mkdtempSync(path.join(tmpdir(), 'cls-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function issuesOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig({ env, envFile: false });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

const variables = (env: Record<string, string>) => issuesOf(env).map((i) => i.variable);

describe('loadConfig: validation', () => {
  it('reports every bad variable at once, each by name with the rule it broke', () => {
    const env = {
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      DEBUG: 'maybe',
      STORE: 'mysql',
      S3_SSE: 'rot13',
      AWS_REGION: 'mars',
      AUTH_JWT_ALG: 'none',
      DEFAULT_TENANT_ID: 'UPPER CASE',
      RATE_LIMIT_PER_MINUTE: '0',
      BODY_LIMIT_BYTES: '10',
      DATABASE_URL: 'mysql://db/x',
      CORS_ORIGINS: 'console.example.com',
      REDIS_URL: 'http://cache:6379',
    };
    let error: ConfigError | undefined;
    try {
      loadConfig({ env, envFile: false });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const byName = Object.fromEntries(error!.issues.map((i) => [i.variable, i.message]));
    // Every one of them, not just the first few.
    expect(Object.keys(byName).sort()).toEqual(Object.keys(env).sort());
    expect(byName.PORT).toMatch(/integer/);
    expect(byName.LOG_LEVEL).toBe('must be one of: fatal, error, warn, info, debug, trace, silent');
    expect(byName.STORE).toBe('must be one of: pglite, postgres, dynamodb');
    expect(byName.AUTH_JWT_ALG).toBe('must be one of: HS256, RS256, ES256');
    expect(byName.RATE_LIMIT_PER_MINUTE).toMatch(/>= 1/);
    expect(byName.DATABASE_URL).toMatch(/postgres:\/\//);
    expect(byName.CORS_ORIGINS).toMatch(/not an origin/);
    // The message lists each variable on its own line, for the operator reading the start-up error.
    for (const name of Object.keys(env)) expect(error!.message).toContain(`  - ${name}: `);
  });

  it('applies documented defaults when nothing is set', () => {
    const c = loadConfig({ env: {}, envFile: false });
    expect(c.profile).toBe('development');
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 8000, trustProxy: false, bodyLimitBytes: 1024 * 1024, corsOrigins: [], docsEnabled: true });
    expect(c.log).toEqual({ level: 'info', pretty: true, debug: false });
    expect(c.store.kind).toBe('pglite');
    expect(c.blob.kind).toBe('disk');
    expect(c.redis).toBeUndefined();
    expect(c.auth).toMatchObject({
      issuer: 'commercial-loan-service',
      audience: 'commercial-loan-api',
      accessTokenTtlSeconds: 30 * 60,
      refreshTokenTtlSeconds: 7 * 86_400,
      defaultTenantId: 'default',
      lockoutThreshold: 5,
      lockoutSeconds: 15 * 60,
      oidc: undefined,
      bootstrapAdmin: undefined,
    });
    // Development without a secret: a per-process random key is made later, never a fixed default.
    expect(c.auth.jwt).toEqual({ alg: 'HS256', kid: 'k1', secret: null, previous: {} });
    expect(c.rateLimit).toEqual({ perMinute: 300, loginPerMinute: 10, uploadPerMinute: 10, extractionPerMinute: 10 });
    expect(c.bedrock).toBeUndefined();
    expect(Object.isFrozen(c) && Object.isFrozen(c.server) && Object.isFrozen(c.server.corsOrigins)).toBe(true);
  });

  it('treats an empty variable as unset', () => {
    const c = loadConfig({ env: { PORT: '', LOG_LEVEL: '' }, envFile: false });
    expect(c.server.port).toBe(8000);
    expect(c.log.level).toBe('info');
  });

  it('derives adapters and nested settings from the variables', () => {
    const c = loadConfig({
      env: {
        DATABASE_URL: 'postgres://u@db:5432/loans',
        S3_BUCKET: 'loan-docs',
        S3_SSE: 'aws:kms',
        S3_KMS_KEY_ID: 'alias/loans',
        REDIS_URL: 'redis://cache:6379',
        TRUST_PROXY: '10.0.0.0/8, 192.168.1.1',
        CORS_ORIGINS: 'https://console.example.com, http://localhost:5173',
        BEDROCK_MODEL_ID: 'anthropic.claude',
        KB_ID: 'KB1',
        DATA_SOURCE_ID: 'DS1',
        CLAMAV_HOST: 'clamd',
      },
      envFile: false,
    });
    expect(c.store).toMatchObject({ kind: 'postgres', url: 'postgres://u@db:5432/loans', poolMax: 10 });
    expect(c.blob).toMatchObject({ kind: 's3', bucket: 'loan-docs', sse: 'aws:kms', kmsKeyId: 'alias/loans' });
    expect(c.redis).toEqual({ url: 'redis://cache:6379' });
    expect(c.server.trustProxy).toEqual(['10.0.0.0/8', '192.168.1.1']);
    expect(c.server.corsOrigins).toEqual(['https://console.example.com', 'http://localhost:5173']);
    expect(c.bedrock).toMatchObject({ modelId: 'anthropic.claude', knowledgeBase: { kbId: 'KB1', dataSourceId: 'DS1' } });
    expect(c.uploads.clamav).toEqual({ host: 'clamd', port: 3310 });
    expect(loadConfig({ env: { TRUST_PROXY: 'true' }, envFile: false }).server.trustProxy).toBe(true);
    expect(loadConfig({ env: { TRUST_PROXY: '2' }, envFile: false }).server.trustProxy).toBe(2);
    expect(loadConfig({ env: { STORE: 'dynamodb' }, envFile: false }).store).toMatchObject({ kind: 'dynamodb', createTables: true });
    expect(loadConfig({ env: { S3_BUCKET: 'loan-docs', S3_SSE: 'none' }, envFile: false }).blob).toMatchObject({ sse: undefined });
  });

  it('reports cross-variable rules', () => {
    expect(variables({ STORE: 'postgres' })).toEqual(['DATABASE_URL']);
    expect(variables({ BLOB_STORE: 's3' })).toEqual(['S3_BUCKET']);
    expect(variables({ S3_BUCKET: 'loan-docs', S3_SSE: 'aws:kms' })).toEqual(['S3_KMS_KEY_ID']);
    expect(variables({ KB_ID: 'KB1' })).toEqual(['DATA_SOURCE_ID']);
    expect(variables({ DATA_SOURCE_ID: 'DS1' })).toEqual(['KB_ID']);
    expect(variables({ EXTRACTION_ENGINE: 'bedrock' })).toEqual(['BEDROCK_MODEL_ID']);
    expect(variables({ OIDC_JWKS_URL: 'https://idp/jwks' })).toEqual(['OIDC_ISSUER']);
    expect(variables({ OIDC_JWKS_URL: 'https://idp/jwks', OIDC_ISSUER: 'https://idp' })).toEqual(['OIDC_AUDIENCE']);
    expect(variables({ AUTH_JWT_ALG: 'RS256' })).toEqual(['AUTH_JWT_PRIVATE_KEY']);
    expect(variables({ BOOTSTRAP_ADMIN_PASSWORD: 'a-long-enough-password' })).toEqual(['BOOTSTRAP_ADMIN_EMAIL']);
    expect(variables({ BOOTSTRAP_ADMIN_EMAIL: 'not-an-email' })).toEqual(['BOOTSTRAP_ADMIN_EMAIL']);
    expect(variables({ AUTH_JWT_PREVIOUS_KEYS: '["not","an","object"]' })).toEqual(['AUTH_JWT_PREVIOUS_KEYS']);
    expect(variables({ AUTH_JWT_PREVIOUS_KEYS: '{"bad kid!":"x"}' })).toEqual(['AUTH_JWT_PREVIOUS_KEYS']);
    expect(variables({ AUTH_JWT_PREVIOUS_KEYS: 'not json' })).toEqual(['AUTH_JWT_PREVIOUS_KEYS']);
  });

  it('accepts retired verification keys and the asymmetric algorithms', () => {
    const c = loadConfig({ env: { AUTH_JWT_PREVIOUS_KEYS: JSON.stringify({ k0: 'old-secret' }), AUTH_JWT_KID: 'k2' }, envFile: false });
    expect(c.auth.jwt).toMatchObject({ alg: 'HS256', kid: 'k2', previous: { k0: 'old-secret' } });
    const rs = loadConfig({ env: { AUTH_JWT_ALG: 'ES256', AUTH_JWT_PRIVATE_KEY: 'PEM' }, envFile: false });
    expect(rs.auth.jwt).toMatchObject({ alg: 'ES256', privateKeyPem: 'PEM' });
  });

  it('falls back to NODE_ENV for the profile and keeps the legacy SECRET_KEY name', () => {
    const c = loadConfig({ env: { NODE_ENV: 'test', SECRET_KEY: GOOD_SECRET }, envFile: false });
    expect(c.profile).toBe('test');
    expect(c.log.pretty).toBe(false);
    expect(c.auth.jwt).toMatchObject({ secret: GOOD_SECRET });
    // AUTH_JWT_SECRET wins over the alias; an unknown NODE_ENV is ignored.
    const both = loadConfig({ env: { NODE_ENV: 'staging', SECRET_KEY: 'x'.repeat(40), AUTH_JWT_SECRET: GOOD_SECRET }, envFile: false });
    expect(both.profile).toBe('development');
    expect(both.auth.jwt).toMatchObject({ secret: GOOD_SECRET });
    expect(variables({ SECRET_KEY: 'short' })).toEqual(['AUTH_JWT_SECRET']);
    expect(secretVariableNames).toEqual(expect.arrayContaining(['AUTH_JWT_SECRET', 'SECRET_KEY', 'DATABASE_URL', 'BOOTSTRAP_ADMIN_PASSWORD']));
  });
});

describe('loadConfig: production refuses unsafe settings', () => {
  const prod = (extra: Record<string, string>) => ({ APP_ENV: 'production', AUTH_JWT_SECRET: GOOD_SECRET, ...extra });

  it('starts with a safe production configuration and production defaults', () => {
    const c = loadConfig({ env: prod({ BOOTSTRAP_ADMIN_EMAIL: 'admin@bank.example', BOOTSTRAP_ADMIN_PASSWORD: 'Vx7#kP2m!Qz9wL4t', STORE: 'dynamodb' }), envFile: false });
    expect(c.profile).toBe('production');
    expect(c.server.host).toBe('0.0.0.0');
    expect(c.log.pretty).toBe(false);
    expect(c.store).toMatchObject({ kind: 'dynamodb', createTables: false });
  });

  it('refuses a missing, short or placeholder signing secret', () => {
    const missing = issuesOf({ APP_ENV: 'production' });
    expect(missing).toEqual([{ variable: 'AUTH_JWT_SECRET', message: 'required in production' }]);
    expect(variables(prod({ AUTH_JWT_SECRET: 'too-short' }))).toEqual(['AUTH_JWT_SECRET']);
    expect(issuesOf(prod({ AUTH_JWT_SECRET: 'please-change-me-0123456789abcdefghij' }))[0]!.message).toMatch(/placeholder/);
  });

  it('refuses CORS "*", a weak or default bootstrap password, DEBUG and pretty logs', () => {
    expect(variables(prod({ CORS_ORIGINS: '*' }))).toEqual(['CORS_ORIGINS']);
    expect(loadConfig({ env: { CORS_ORIGINS: '*' }, envFile: false }).server.corsOrigins).toEqual(['*']);
    for (const weak of ['admin', 'password123', 'changeme', 'aaaaaaaaaaaaaaaa', 'short1!']) {
      expect(variables(prod({ BOOTSTRAP_ADMIN_EMAIL: 'admin@bank.example', BOOTSTRAP_ADMIN_PASSWORD: weak }))).toEqual(['BOOTSTRAP_ADMIN_PASSWORD']);
    }
    expect(variables(prod({ BOOTSTRAP_ADMIN_EMAIL: 'admin@bank.example' }))).toEqual(['BOOTSTRAP_ADMIN_PASSWORD']);
    expect(variables(prod({ DEBUG: 'true' }))).toEqual(['DEBUG']);
    expect(variables(prod({ LOG_PRETTY: 'true' }))).toEqual(['LOG_PRETTY']);
    expect(variables(prod({ S3_BUCKET: 'loan-docs', S3_SSE: 'none' }))).toEqual(['S3_SSE']);
    expect(variables(prod({ OIDC_JWKS_URL: 'http://idp/jwks', OIDC_ISSUER: 'i', OIDC_AUDIENCE: 'a' }))).toEqual(['OIDC_JWKS_URL']);
  });

  it('reports all production problems together', () => {
    const found = variables({ APP_ENV: 'production', CORS_ORIGINS: '*', DEBUG: 'true', LOG_PRETTY: 'true', BOOTSTRAP_ADMIN_EMAIL: 'a@b.example', BOOTSTRAP_ADMIN_PASSWORD: 'admin' });
    expect(found.sort()).toEqual(['AUTH_JWT_SECRET', 'BOOTSTRAP_ADMIN_PASSWORD', 'CORS_ORIGINS', 'DEBUG', 'LOG_PRETTY']);
  });

  it('isWeakPassword flags short, known and repeated passwords', () => {
    expect(isWeakPassword('Password')).toBe(true);
    expect(isWeakPassword('zzzzzzzzzzzzzzz')).toBe(true);
    expect(isWeakPassword('Vx7#kP2m!Qz9wL4t')).toBe(false);
  });
});

describe('loadConfig: sources', () => {
  it('reads NAME_FILE secrets (Docker/Kubernetes) without the trailing newline', () => {
    const file = path.join(tmp, 'jwt-secret');
    writeFileSync(file, `${GOOD_SECRET}\n`);
    const c = loadConfig({ env: { AUTH_JWT_SECRET_FILE: file }, envFile: false });
    expect(c.auth.jwt).toMatchObject({ secret: GOOD_SECRET });
  });

  it('refuses a NAME_FILE that cannot be read, or set together with NAME', () => {
    const file = path.join(tmp, 'db-url');
    writeFileSync(file, 'postgres://u@db/x');
    expect(issuesOf({ AUTH_JWT_SECRET_FILE: path.join(tmp, 'missing') })).toEqual([
      { variable: 'AUTH_JWT_SECRET_FILE', message: 'file cannot be read' },
    ]);
    expect(issuesOf({ DATABASE_URL: 'postgres://u@db/y', DATABASE_URL_FILE: file })[0]).toEqual({
      variable: 'DATABASE_URL_FILE',
      message: 'both DATABASE_URL and DATABASE_URL_FILE are set; set only one',
    });
  });

  it('parses a .env file; real environment variables win over it', () => {
    const envFile = path.join(tmp, '.env');
    writeFileSync(
      envFile,
      [
        '# comment line',
        '',
        'PORT=9100',
        'export LOG_LEVEL="debug"',
        "AUTH_AUDIENCE='loans-api'",
        'CORS_ORIGINS = https://a.example.com',
        'NOT_A_PAIR',
        '=no-key',
        'RATE_LIMIT_PER_MINUTE=50\r',
      ].join('\n'),
    );
    const c = loadConfig({ env: { RATE_LIMIT_PER_MINUTE: '70' }, envFile });
    expect(c.server.port).toBe(9100);
    expect(c.log.level).toBe('debug');
    expect(c.auth.audience).toBe('loans-api');
    expect(c.server.corsOrigins).toEqual(['https://a.example.com']);
    expect(c.rateLimit.perMinute).toBe(70);
    // A missing .env file is not an error.
    expect(loadConfig({ env: {}, envFile: path.join(tmp, 'absent.env') }).server.port).toBe(8000);
  });

  it('parseDotEnv keeps "=" inside values and unquotes', () => {
    expect(parseDotEnv('A=b=c\nB="x y"\nC=\'z\'\n  # c\nD=')).toEqual({ A: 'b=c', B: 'x y', C: 'z', D: '' });
  });

  it('ranks environment over Secrets Manager values over the .env file', () => {
    const envFile = path.join(tmp, 'rank.env');
    writeFileSync(envFile, 'PORT=1111\nAUTH_AUDIENCE=from-file\nAUTH_ISSUER=from-file\n');
    const { raw, issues } = collectRawEnv({ env: { PORT: '3333' }, envFile, extra: { PORT: '2222', AUTH_AUDIENCE: 'from-secret' } });
    const c = buildConfig(raw, issues);
    expect(c.server.port).toBe(3333);
    expect(c.auth.audience).toBe('from-secret');
    expect(c.auth.issuer).toBe('from-file');
  });

  it('carries earlier issues into the ConfigError', () => {
    expect(() => buildConfig({}, [{ variable: 'X', message: 'bad' }])).toThrow(/X: bad/);
  });
});
