import { loadConfigWithSecrets, ConfigError } from './config/index.js';
import { buildApp } from './app.js';
import { startServer } from './server.js';

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
  await startServer(config, await buildApp(config));
}

main().catch((err: unknown) => {
  console.error('fatal start-up error', err instanceof Error ? err.message : err);
  process.exit(1);
});
