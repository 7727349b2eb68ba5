import closeWithGrace from 'close-with-grace';
import { loadConfigWithSecrets, ConfigError } from './config/index.js';
import { buildApp } from './app.js';
import { SERVICE_VERSION } from './version.js';

/** Process entry: configuration, app, listen, graceful shutdown. Nothing else lives here. */
async function main(): Promise<void> {
  let config;
  try {
    config = await loadConfigWithSecrets();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const app = await buildApp(config);
  closeWithGrace({ delay: config.server.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down: draining in-flight requests');
    await app.close();
  });
  await app.listen({ host: config.server.host, port: config.server.port });
  app.log.info({ version: SERVICE_VERSION, profile: config.profile, store: config.store.kind, blob: config.blob.kind }, 'service ready');
}

main().catch((err: unknown) => {
  console.error('fatal start-up error', err instanceof Error ? err.message : err);
  process.exit(1);
});
