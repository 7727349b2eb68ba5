import { collectRawEnv, buildConfig, type LoadConfigOptions } from './load.js';
import { fetchSecretsManagerValues } from './secrets.js';
import type { Config } from './config.js';

export type { Config } from './config.js';
export { ConfigError, loadConfig } from './load.js';

/** Start-up configuration: like loadConfig, plus the optional AWS Secrets Manager secret. */
export async function loadConfigWithSecrets(options: LoadConfigOptions = {}): Promise<Config> {
  const first = collectRawEnv(options);
  const secretId = first.raw.SECRETS_MANAGER_SECRET_ID;
  if (!secretId) return buildConfig(first.raw, first.issues);
  let extra: Record<string, string>;
  try {
    extra = await fetchSecretsManagerValues(secretId, { region: first.raw.AWS_REGION ?? 'us-east-1', endpoint: first.raw.SECRETS_MANAGER_ENDPOINT });
  } catch {
    return buildConfig(first.raw, [...first.issues, { variable: 'SECRETS_MANAGER_SECRET_ID', message: 'secret could not be read' }]);
  }
  const second = collectRawEnv({ ...options, extra });
  return buildConfig(second.raw, second.issues);
}
