import closeWithGrace from 'close-with-grace';
import { loadConfigWithSecrets, ConfigError } from './config/index.js';
import { createServices } from './services.js';
import { startWorkers } from './jobs.js';

/** Worker-only process: consumes the job queues, serves no HTTP. Scale it apart from the API. */
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
  const services = await createServices(config);
  const workers = await startWorkers(services);
  closeWithGrace({ delay: config.server.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) services.log.error({ err }, 'worker stopping after an error');
    else services.log.info({ signal }, 'worker stopping: finishing running jobs');
    await workers.stop();
    await services.close();
  });
  services.log.info({ store: config.store.kind, blob: config.blob.kind }, 'worker ready');
}

main().catch((err: unknown) => {
  console.error('fatal worker start-up error', err instanceof Error ? err.message : err);
  process.exit(1);
});
