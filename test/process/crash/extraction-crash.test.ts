import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reply, startBedrockStub, type BedrockStub } from '../../helpers/bedrock-stub.js';
import {
  agreementAnswer,
  agreementText,
  api,
  bedrockEnv,
  createBooking,
  finishedRun,
  metric,
  metricsText,
  settledDocument,
  storageState,
  until,
  uploadFiles,
  type RunView,
} from '../../helpers/crash-drill.js';
import { adminToken, killAllServerProcesses, startServerProcess } from '../../helpers/server-process.js';

/**
 * kill -9 of the real process (embedded PGlite, disk blobs) while an extraction run is running. By
 * design the run row is the source of truth and its worker holds it under a lease
 * (EXTRACTION_RUN_TIMEOUT_SECONDS plus as much again, a minute at most): after a restart on the same
 * DATA_DIR, once the dead worker's lease has ended the maintenance sweep queues the run again and a
 * live worker takes it over. It ends succeeded exactly once, and the booking goes on as usual.
 * Before the sweep knew about runs, such a run stayed `running` until the queue's own 15 min expiry,
 * and for ever when the kill hit its last attempt.
 *
 * The run reads the agreement with the bedrock engine, whose model (the local stub) takes its time:
 * the kill lands while the worker waits on the model, at a moment the test can see. A rules run is
 * 60-300 ms of synchronous work during which the process answers nothing, so a kill cannot be aimed
 * at it; the lease, the sweep and the takeover are the same for every engine.
 */

const workDir = mkdtempSync(path.join(tmpdir(), 'cls-crash-run-'));
const dataDir = path.join(workDir, 'data');
let stub: BedrockStub;

beforeAll(async () => {
  stub = await startBedrockStub();
});
afterAll(async () => {
  killAllServerProcesses();
  await stub?.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** The run timeout of the life that dies: its worker's lease is twice that. */
const DEAD_RUN_TIMEOUT_S = 5;

describe('kill -9 mid-extraction-run (real process, PGlite, disk, bedrock engine on a local stub)', () => {
  it('the dead worker\'s run is taken over once its lease ends, ends succeeded exactly once, and the booking goes on', async () => {
    // The model never answers in the first life.
    stub.handle('Converse', () => reply.delay(120_000));
    const env = bedrockEnv(stub.endpoint, { WORKER_MODE: 'embedded', EXTRACTION_FALLBACK_TO_RULES: 'false' });
    const first = await startServerProcess({ dataDir, cwd: workDir, env: { ...env, EXTRACTION_RUN_TIMEOUT_SECONDS: String(DEAD_RUN_TIMEOUT_S) } });
    let token = await adminToken(first.url);
    const booking = await createBooking(first, token, 'Harborview Logistics, Inc.');
    const [doc] = await uploadFiles(first, token, booking, [{ name: 'credit-agreement.txt', type: 'text/plain', data: agreementText() }]);
    expect((await settledDocument(first, token, doc!.id, 60_000)).status).toBe('processed');

    const started = await api<RunView>(first, token, 'POST', `/api/v1/loan-bookings/${booking}/extractions`, { schema: 'credit_agreement', engine: 'bedrock' });
    expect(started.status, JSON.stringify(started.json)).toBe(202);
    const runId = started.json.id;
    await until('the run to call the model', async () => (stub.count('Converse') > 0 ? true : undefined), 60_000, 20);
    const during = await api<RunView>(first, token, 'GET', `/api/v1/loan-bookings/${booking}/extractions/${runId}`);
    expect(during.json).toMatchObject({ status: 'running', attempts: 1 });
    await first.kill9();

    // The second life: the model answers, the sweep runs often, and the run timeout is long.
    stub.handle('Converse', () => agreementAnswer(doc!.id));
    const second = await startServerProcess({
      dataDir,
      cwd: workDir,
      env: { ...env, MAINTENANCE_SWEEP_INTERVAL_MS: '300', ORPHAN_GRACE_MS: '1000', EXTRACTION_RUN_TIMEOUT_SECONDS: '300' },
    });
    try {
      token = await adminToken(second.url);
      const run = await finishedRun(second, token, booking, runId, 90_000);
      expect(run, JSON.stringify(run)).toMatchObject({ status: 'succeeded', engine_used: 'bedrock', attempts: 2, error: null });
      // One model call per claim: the dead worker's, and the one that finished the run.
      expect(stub.count('Converse')).toBe(2);
      const full = await api<RunView>(second, token, 'GET', `/api/v1/loan-bookings/${booking}/extractions/${runId}`);
      expect(full.json.fields?.governing_law).toMatchObject({ value: 'New York', engine: 'bedrock' });

      // Terminal exactly once: one completion in this life, none failed, and it does not change again.
      await new Promise((r) => setTimeout(r, 1500));
      const again = await api<RunView>(second, token, 'GET', `/api/v1/loan-bookings/${booking}/extractions/${runId}`);
      expect(again.json).toMatchObject({ status: 'succeeded', attempts: 2, finished_at: run.finished_at });
      const metrics = await metricsText(second);
      expect(metric(metrics, /^extraction_runs_total\{engine="bedrock",status="succeeded"\} (\d+)/m)).toBe(1);
      expect(metric(metrics, /^extraction_runs_total\{engine="bedrock",status="failed"\} (\d+)/m)).toBe(0);
      expect(stub.count('Converse')).toBe(2);
      const listed = await api<{ items: RunView[] }>(second, token, 'GET', `/api/v1/loan-bookings/${booking}/extractions`);
      expect(listed.json.items.map((r) => [r.id, r.status])).toEqual([[runId, 'succeeded']]);

      // The booking goes on: a booking sheet from the taken-over run, and a new run.
      const sheet = await api<{ source_run_id: string; fields: Record<string, { value: unknown }> }>(second, token, 'POST', `/api/v1/loan-bookings/${booking}/booking-sheet`, { run_id: runId });
      expect(sheet.status, JSON.stringify(sheet.json)).toBe(201);
      expect(sheet.json.source_run_id).toBe(runId);
      expect(sheet.json.fields.governing_law?.value).toBe('New York');
      const next = await api<RunView>(second, token, 'POST', `/api/v1/loan-bookings/${booking}/extractions`, { schema: 'credit_agreement', engine: 'rules' });
      expect(next.status).toBe(202);
      expect(await finishedRun(second, token, booking, next.json.id, 60_000)).toMatchObject({ status: 'succeeded', engine_used: 'rules', attempts: 1 });

      // Nothing of the document was lost or left over.
      const storage = await storageState(second, token, dataDir);
      expect(storage.documents.map((d) => [d.id, d.status])).toEqual([[doc!.id, 'processed']]);
      expect(storage.withoutBlob).toEqual([]);
      expect(storage.orphanBlobs).toEqual([]);

      await second.stop();
      expect((await second.exited).code).toBe(0);
    } finally {
      await second.kill9();
    }
  }, 300_000);
});
