import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigWithSecrets } from '../../../src/config/index.js';
import { fetchSecretsManagerValues } from '../../../src/config/secrets.js';

/**
 * A Secrets Manager stand-in speaking the service's wire protocol (AWS JSON 1.1:
 * POST / with X-Amz-Target: secretsmanager.GetSecretValue), so the real SDK client is exercised,
 * request signing included.
 */
const SECRETS: Record<string, { SecretString?: string; SecretBinary?: string }> = {
  'cls/prod': { SecretString: JSON.stringify({ AUTH_JWT_SECRET: 'Qm7vT2xK9pL4wR8zN1cY6bH3jD0fS5gA', RATE_LIMIT_PER_MINUTE: 42, DOCS_ENABLED: false, IGNORED: { nested: true } }) },
  'cls/short-secret': { SecretString: JSON.stringify({ AUTH_JWT_SECRET: 'short' }) },
  'cls/array': { SecretString: '["a"]' },
  'cls/not-json': { SecretString: 'KEY=value' },
  'cls/binary': { SecretBinary: Buffer.from('bytes').toString('base64') },
};

interface SeenRequest {
  target: string | undefined;
  contentType: string | undefined;
  authorization: string | undefined;
  body: { SecretId?: string };
}

let server: Server;
let endpoint: string;
const seen: SeenRequest[] = [];

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  // The SDK's default credential chain reads these; any value signs requests for the stub.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTSTUB';
  process.env.AWS_SECRET_ACCESS_KEY = 'stub-secret-access-key';
  server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const body = JSON.parse(text || '{}') as { SecretId?: string };
      seen.push({
        target: req.headers['x-amz-target'] as string | undefined,
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body,
      });
      const secret = body.SecretId ? SECRETS[body.SecretId] : undefined;
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' || !secret) {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }));
        return;
      }
      res.end(JSON.stringify({ ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${body.SecretId}`, Name: body.SecretId, VersionId: 'v1', ...secret }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('fetchSecretsManagerValues (real SDK client against a protocol stub)', () => {
  it('reads a JSON secret and keeps scalar values as strings', async () => {
    const values = await fetchSecretsManagerValues('cls/prod', { region: 'eu-west-1', endpoint });
    expect(values).toEqual({ AUTH_JWT_SECRET: 'Qm7vT2xK9pL4wR8zN1cY6bH3jD0fS5gA', RATE_LIMIT_PER_MINUTE: '42', DOCS_ENABLED: 'false' });
    const last = seen[seen.length - 1]!;
    expect(last.target).toBe('secretsmanager.GetSecretValue');
    expect(last.contentType).toBe('application/x-amz-json-1.1');
    expect(last.body.SecretId).toBe('cls/prod');
    // Signed with SigV4 for the configured region and service.
    expect(last.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTESTSTUB\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request/);
  });

  it('fails on a missing secret, a non-object, non-JSON or binary secret', async () => {
    await expect(fetchSecretsManagerValues('cls/absent', { region: 'eu-west-1', endpoint })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(fetchSecretsManagerValues('cls/array', { region: 'eu-west-1', endpoint })).rejects.toThrow('secret is not a JSON object');
    await expect(fetchSecretsManagerValues('cls/not-json', { region: 'eu-west-1', endpoint })).rejects.toThrow(SyntaxError);
    await expect(fetchSecretsManagerValues('cls/binary', { region: 'eu-west-1', endpoint })).rejects.toThrow('secret has no string value');
  });
});

describe('loadConfigWithSecrets', () => {
  const base = { APP_ENV: 'production', AWS_REGION: 'eu-west-1' };

  it('merges the secret into the configuration before validation', async () => {
    const config = await loadConfigWithSecrets({ env: { ...base, SECRETS_MANAGER_SECRET_ID: 'cls/prod', SECRETS_MANAGER_ENDPOINT: endpoint }, envFile: false });
    expect(config.auth.jwt).toMatchObject({ secret: 'Qm7vT2xK9pL4wR8zN1cY6bH3jD0fS5gA' });
    expect(config.rateLimit.perMinute).toBe(42);
    expect(config.server.docsEnabled).toBe(false);
  });

  it('lets the process environment win over the secret', async () => {
    const config = await loadConfigWithSecrets({
      env: { ...base, SECRETS_MANAGER_SECRET_ID: 'cls/prod', SECRETS_MANAGER_ENDPOINT: endpoint, RATE_LIMIT_PER_MINUTE: '7' },
      envFile: false,
    });
    expect(config.rateLimit.perMinute).toBe(7);
  });

  it('validates values that came from the secret like any other', async () => {
    const err = await loadConfigWithSecrets({ env: { ...base, SECRETS_MANAGER_SECRET_ID: 'cls/short-secret', SECRETS_MANAGER_ENDPOINT: endpoint }, envFile: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([{ variable: 'AUTH_JWT_SECRET', message: 'must be at least 32 bytes' }]);
  });

  it('refuses to start half-configured when the secret cannot be read, naming the variable not the content', async () => {
    const err = await loadConfigWithSecrets({ env: { ...base, SECRETS_MANAGER_SECRET_ID: 'cls/absent', SECRETS_MANAGER_ENDPOINT: endpoint }, envFile: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const variables = (err as ConfigError).issues.map((i) => i.variable);
    // Reported together with whatever else is wrong (here the secret the merge would have supplied).
    expect(variables).toEqual(['SECRETS_MANAGER_SECRET_ID', 'AUTH_JWT_SECRET']);
    expect((err as ConfigError).issues[0]!.message).toBe('secret could not be read');
  });

  it('does not call Secrets Manager when no secret id is configured', async () => {
    const before = seen.length;
    const config = await loadConfigWithSecrets({ env: { APP_ENV: 'test' }, envFile: false });
    expect(config.profile).toBe('test');
    expect(seen.length).toBe(before);
  });
});
