import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';

/**
 * Fetches a JSON secret from AWS Secrets Manager and returns its string values, to be merged into the
 * configuration before validation. Fails start-up (rather than running half-configured) when it
 * cannot be read; the error names the variable, never the secret's content.
 */
export async function fetchSecretsManagerValues(
  secretId: string,
  opts: { region: string; endpoint?: string | undefined; client?: SecretsManagerClient },
): Promise<Record<string, string>> {
  const client =
    opts.client ?? new SecretsManagerClient({ region: opts.region, ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) });
  try {
    const res = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!res.SecretString) throw new Error('secret has no string value');
    const parsed: unknown = JSON.parse(res.SecretString);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('secret is not a JSON object');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    }
    return out;
  } finally {
    if (!opts.client) client.destroy();
  }
}
