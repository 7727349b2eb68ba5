/**
 * The reference point of every HTTP benchmark: Fastify with one route answering a constant, no
 * plugins, no logging. Whatever the service adds (auth, rate limits, validation, the store) shows
 * as its ratio to this, measured on the same machine in the same run.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 * 1024 });
const body = { ok: true, service: 'bare' };
app.get('/bare', async () => body);
// The transport ceiling for uploads: reads a request body of any type to the end and discards it.
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', (_request, payload, done) => {
  let bytes = 0;
  payload.on('data', (chunk: Buffer) => (bytes += chunk.length));
  payload.on('end', () => done(null, bytes));
  payload.on('error', done);
});
app.post('/sink', async (request) => ({ bytes: request.body }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
