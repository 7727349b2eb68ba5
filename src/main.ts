import { loadConfigWithSecrets, ConfigError } from './config/index.js';
import { buildApp } from './app.js';
import { startServer } from './server.js';
import { startWorkers } from './jobs.js';

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
  // The embedded default: this process also works the job queues (WORKER_MODE=off leaves them to `npm run worker`).
  if (config.worker.mode === 'embedded') await startWorkers(app.services);
  await startServer(config, app);
}

main().catch((err: unknown) => {
  console.error('fatal start-up error', err instanceof Error ? err.message : err);
  process.exit(1);
});
