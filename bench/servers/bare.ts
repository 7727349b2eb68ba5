/**
 * The reference point of every HTTP benchmark: Fastify with one route answering a constant, no
 * plugins, no logging. Whatever the service adds (auth, rate limits, validation, the store) shows
 * as its ratio to this, measured on the same machine in the same run.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const body = { ok: true, service: 'bare' };
app.get('/bare', async () => body);
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
