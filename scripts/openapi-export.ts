import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { buildApp } from '../src/app.js';
import { createDatabase } from '../src/db/database.js';

/**
 * Writes the OpenAPI document the service serves at /openapi.json to a file, without listening and
 * without any external service: the app is built on an in-memory PGlite with a throwaway data folder.
 *   npx tsx scripts/openapi-export.ts [output path, default openapi.json]
 * `npm run lint:openapi` runs Spectral on what this writes.
 */
async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? 'openapi.json');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cls-openapi-'));
  const config = loadConfig({
    env: {
      APP_ENV: 'test',
      DATA_DIR: dataDir,
      // A fixed secret only so the config loads; no token is ever signed with it.
      AUTH_JWT_SECRET: 'openapi-export-only-0123456789-abcdefghij',
      LOG_LEVEL: 'silent',
      DOCS_ENABLED: 'true',
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    },
    envFile: false,
  });
  const database = await createDatabase({ kind: 'pglite', dataDir: undefined, migrate: true });
  try {
    const app = await buildApp(config, { database });
    try {
      const doc = app.swagger();
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
      const paths = Object.keys((doc as { paths?: Record<string, unknown> }).paths ?? {}).length;
      process.stdout.write(`OpenAPI document (${paths} paths) written to ${out}\n`);
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error('could not export the OpenAPI document:', err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
