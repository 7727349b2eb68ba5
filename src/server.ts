import closeWithGrace from 'close-with-grace';
import type { Config } from './config/config.js';
import type { App } from './app.js';
import { SERVICE_VERSION } from './version.js';

export interface RunningServer {
  /** The address the server listens on, e.g. http://127.0.0.1:8000. */
  address: string;
  /** Graceful stop, as on SIGTERM: in-flight requests finish, new ones get 503. */
  close(): Promise<void>;
}

/**
 * Listens and wires graceful shutdown: on SIGTERM/SIGINT (or a crash) the app stops accepting
 * work, lets in-flight requests finish and closes its resources, within SHUTDOWN_TIMEOUT_MS.
 * main.ts calls this; process tests reuse it with extra routes.
 */
export async function startServer(config: Config, app: App): Promise<RunningServer> {
  const grace = closeWithGrace({ delay: config.server.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down: draining in-flight requests');
    await app.close();
  });
  let address: string;
  try {
    address = await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    grace.uninstall();
    await app.close();
    throw err;
  }
  app.log.info(
    {
      version: SERVICE_VERSION,
      profile: config.profile,
      store: config.store.kind,
      blob: config.blob.kind,
      address,
    },
    'service ready',
  );
  return {
    address,
    async close() {
      grace.uninstall();
      await app.close();
    },
  };
}
