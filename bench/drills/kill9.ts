/**
 * kill -9 drills on the real service process with the embedded default (PGlite under DATA_DIR, disk
 * blobs): the process dies at one moment of the work (mid-upload, mid-text-extraction, mid-extraction
 * run), a new process starts on the same DATA_DIR, and the drill checks what must hold after any
 * crash: no orphan blob once the sweep has run, no document row without its blob, no acknowledged
 * upload lost, every job finished exactly once (taken over from the dead worker).
 * test/process/crash/*.test.ts prove the same as tests; the helpers are shared with them.
 */
import path from 'node:path';
import { reply, startBedrockStub } from '../../test/helpers/bedrock-stub.js';
import { makeScannedPdf } from '../../test/helpers/fixtures.js';
import {
  api,
  diskBlobs,
  finishedRun,
  metric,
  metricsText,
  ready,
  settledDocument,
  startStalledUpload,
  storageState,
  until,
  uploadFiles,
  createBooking,
  agreementAnswer,
  agreementText,
  bedrockEnv,
  type DocView,
  type RunView,
} from '../../test/helpers/crash-drill.js';
import { adminToken, startServerProcess, type ServerProcess } from '../../test/helpers/server-process.js';
import type { Drill, DrillCheck, DrillContext, DrillOutcome } from './types.js';

/** Settings of every life after the crash: a fast sweep with a short grace period. */
const AFTER_CRASH = { WORKER_MODE: 'embedded', MAINTENANCE_SWEEP_INTERVAL_MS: '300', ORPHAN_GRACE_MS: '1000' };
/** How long the sweep gets to clean up after a restart before a leftover counts as an orphan. */
const SWEEP_BOUND_MS = 30_000;

class Checks {
  readonly list: DrillCheck[] = [];

  add(name: string, ok: boolean, detail?: string): boolean {
    this.list.push({ name, ok, ...(detail ? { detail } : {}) });
    return ok;
  }
}

/** The processes of one repetition, all killed at its end whatever happened. */
class Lives {
  private readonly all: ServerProcess[] = [];

  constructor(
    private readonly ctx: DrillContext,
    readonly dataDir: string,
  ) {}

  async start(env: Record<string, string>): Promise<ServerProcess> {
    const server = await startServerProcess({ dataDir: this.dataDir, cwd: this.ctx.workDir, env });
    this.all.push(server);
    return server;
  }

  /** Restarts on the same DATA_DIR and measures spawn to /health/ready answering 200. */
  async restart(env: Record<string, string>): Promise<{ server: ServerProcess; msToReady: number }> {
    const t0 = performance.now();
    const server = await this.start(env);
    await ready(server);
    return { server, msToReady: Math.round(performance.now() - t0) };
  }

  async killAll(): Promise<void> {
    await Promise.all(this.all.map((s) => s.kill9()));
  }
}

/** Polls until the blob store holds nothing the records do not own; the time that took, undefined past the bound. */
async function sweptAfter(server: ServerProcess, token: string, dataDir: string, since: number): Promise<number | undefined> {
  try {
    return await until('the sweep to remove what the dead process left', async () => {
      const s = await storageState(server, token, dataDir);
      return s.orphanBlobs.length === 0 && s.tempFiles.length === 0 ? Math.round(performance.now() - since) : undefined;
    }, SWEEP_BOUND_MS, 100);
  } catch {
    return undefined;
  }
}

/** The invariants every crash must leave intact, with the sweep given a bounded time. */
async function storageChecks(c: Checks, server: ServerProcess, token: string, dataDir: string, acked: DocView[]): Promise<void> {
  await sweptAfter(server, token, dataDir, performance.now());
  const state = await storageState(server, token, dataDir);
  c.add(`no orphan blob or temp file once the sweep ran (bounded: ${SWEEP_BOUND_MS / 1000} s)`, state.orphanBlobs.length === 0 && state.tempFiles.length === 0, [...state.orphanBlobs, ...state.tempFiles.map((f) => `.tmp/${f}`)].slice(0, 5).join(', '));
  c.add('no document row without its blob (every download is its bytes)', state.withoutBlob.length === 0, state.withoutBlob.slice(0, 5).join(', '));
  const lost = acked.filter((a) => !state.documents.some((d) => d.id === a.id && d.sha256 === a.sha256));
  c.add('no acknowledged upload lost', lost.length === 0, lost.map((d) => d.id).join(', '));
}

async function gracefulStop(c: Checks, server: ServerProcess): Promise<void> {
  await server.stop();
  const { code } = await server.exited;
  c.add('the restarted process stops gracefully (exit 0)', code === 0, `exit ${code}`);
}

/** kill -9 while a large upload streams in: one file already stored as a blob, the next in a temp file. */
async function midUpload(ctx: DrillContext): Promise<DrillOutcome> {
  const c = new Checks();
  const figures: Record<string, number> = {};
  const lives = new Lives(ctx, path.join(ctx.workDir, 'data'));
  const blobs = diskBlobs(lives.dataDir);
  try {
    // No workers in the first life: the acknowledged upload's processing job waits for the next one.
    const first = await lives.start({ WORKER_MODE: 'off' });
    let token = await adminToken(first.url);
    const booking = await createBooking(first, token);
    const acked = await uploadFiles(first, token, booking, [
      { name: 'term-sheet.txt', type: 'text/plain', data: Buffer.from('TERM SHEET\n\nSummary of indicative terms for the Crash Test Corp facility.') },
    ]);
    const upload = startStalledUpload(first, token, booking);
    await until('the first blob and a temp file over 4 MiB', async () => {
      if ((await blobs.bookingBlobs(booking)).length < 2) return undefined;
      const sizes = await blobs.tempSizes();
      return sizes.length > 0 && Math.max(...sizes) > 4 * 1024 * 1024 ? true : undefined;
    }, 60_000, 50);
    await first.kill9();
    await upload.abandon();
    const left = await blobs.bookingBlobs(booking);
    c.add('the kill landed mid-upload (a stored file without a row, a partial temp file)', left.length === 2 && (await blobs.tempFiles()).length > 0, `${left.length} blobs`);
    ctx.log(`killed mid-upload; ${left.length} blobs and ${(await blobs.tempFiles()).length} temp file(s) left`);

    const { server, msToReady } = await lives.restart(AFTER_CRASH);
    figures['ms to ready after restart'] = msToReady;
    const readyAt = performance.now();
    token = await adminToken(server.url);
    // Watched from the start: how soon the sweep removes the orphan blob and the temp file.
    const swept = sweptAfter(server, token, lives.dataDir, readyAt);
    const listed = await api<{ items: DocView[] }>(server, token, 'GET', `/api/v1/loan-bookings/${booking}/documents`);
    c.add('nothing half-written is visible (only the acknowledged document is listed)', JSON.stringify(listed.json.items.map((d) => d.id)) === JSON.stringify(acked.map((d) => d.id)), JSON.stringify(listed.json.items.map((d) => d.id)));
    const done = await settledDocument(server, token, acked[0]!.id, 60_000);
    figures['ms until the taken-over job finished'] = Math.round(performance.now() - readyAt);
    c.add('the acknowledged document is processed after the restart', done.status === 'processed' && done.page_count === 1, `${done.status}, ${done.page_count} page(s)`);
    const sweptMs = await swept;
    if (sweptMs !== undefined) figures['ms after ready until the sweep removed the orphan blob and temp file'] = sweptMs;
    await storageChecks(c, server, token, lives.dataDir, acked);
    await new Promise((r) => setTimeout(r, 1000));
    const m = await metricsText(server);
    const processed = metric(m, /^document_processing_duration_seconds_count\{outcome="processed"\} (\d+)/m);
    const superseded = metric(m, /^document_processing_duration_seconds_count\{outcome="superseded"\} (\d+)/m);
    c.add('every job finished exactly once (one processing, none superseded)', processed === 1 && superseded === 0, `processed ${processed}, superseded ${superseded}`);
    await gracefulStop(c, server);
    return { checks: c.list, figures };
  } finally {
    await lives.killAll();
  }
}

/** kill -9 while the worker OCRs a scanned document; the next life takes it over when the dead lease ends. */
async function midTextExtraction(ctx: DrillContext): Promise<DrillOutcome> {
  const c = new Checks();
  const figures: Record<string, number> = {};
  const lives = new Lives(ctx, path.join(ctx.workDir, 'data'));
  const DEAD_LEASE_S = 8;
  try {
    const first = await lives.start({ WORKER_MODE: 'embedded', DOCUMENT_PROCESSING_TIMEOUT_SECONDS: String(DEAD_LEASE_S) });
    let token = await adminToken(first.url);
    const booking = await createBooking(first, token);
    const [earlier] = await uploadFiles(first, token, booking, [
      { name: 'term-sheet.txt', type: 'text/plain', data: Buffer.from('TERM SHEET\n\nSummary of indicative terms for the Crash Test Corp facility.') },
    ]);
    const earlierDone = await settledDocument(first, token, earlier!.id, 60_000);
    const scanned = await makeScannedPdf(['SECURITY AGREEMENT page one', 'Grant of security interest page two', 'Collateral description page three']);
    const [doc] = await uploadFiles(first, token, booking, [{ name: 'scan.pdf', type: 'application/pdf', data: scanned }]);
    const seen = await until('the worker to start on the scan', async () => {
      const d = await api<DocView>(first, token, 'GET', `/api/v1/documents/${doc!.id}`);
      return d.json.status === 'uploaded' ? undefined : d.json.status;
    }, 60_000, 20);
    await first.kill9();
    const killedAt = performance.now();
    c.add('the kill landed mid-text-extraction (document in processing)', seen === 'processing', `status ${seen}`);
    ctx.log(`killed while the scan was ${seen}`);

    // This life's own lease is long: OCR on a busy machine must not be cut short by it.
    const { server, msToReady } = await lives.restart({ ...AFTER_CRASH, DOCUMENT_PROCESSING_TIMEOUT_SECONDS: '300' });
    figures['ms to ready after restart'] = msToReady;
    const readyAt = performance.now();
    token = await adminToken(server.url);
    const done = await settledDocument(server, token, doc!.id, 120_000);
    figures['ms until the taken-over job finished'] = Math.round(performance.now() - readyAt);
    figures['ms from the kill to the job finished'] = Math.round(performance.now() - killedAt);
    c.add('the dead worker\'s document is taken over and ends processed (3 OCR pages)', done.status === 'processed' && done.page_count === 3 && done.ocr_pages === 3, `${done.status}, ${done.page_count} pages, ${done.ocr_pages} OCR`);
    const pages = await api<{ items: { page: number; text: string; method: string }[] }>(server, token, 'GET', `/api/v1/documents/${doc!.id}/pages`);
    c.add('its pages are whole (one set, OCR text read back)', pages.json.items.map((p) => `${p.page}:${p.method}`).join(',') === '1:ocr,2:ocr,3:ocr' && pages.json.items[0]!.text.toUpperCase().includes('SECURITY AGREEMENT'), pages.json.items.map((p) => `${p.page}:${p.method}`).join(','));
    const after = await api<DocView>(server, token, 'GET', `/api/v1/documents/${earlier!.id}`);
    c.add('the document processed before the crash is untouched', after.json.status === 'processed' && after.json.processed_at === earlierDone.processed_at, `${after.json.status} at ${after.json.processed_at}`);
    await storageChecks(c, server, token, lives.dataDir, [earlier!, doc!]);
    await new Promise((r) => setTimeout(r, 1000));
    const m = await metricsText(server);
    const processed = metric(m, /^document_processing_duration_seconds_count\{outcome="processed"\} (\d+)/m);
    const other = ['superseded', 'failed'].map((o) => metric(m, new RegExp(`^document_processing_duration_seconds_count\\{outcome="${o}"\\} (\\d+)`, 'm')));
    c.add('every job finished exactly once (the taken-over one processed once, nothing superseded or failed)', processed === 1 && other.every((n) => n === 0), `processed ${processed}, superseded ${other[0]}, failed ${other[1]}`);
    await gracefulStop(c, server);
    return { checks: c.list, figures };
  } finally {
    await lives.killAll();
  }
}

/** The run timeout of the life that dies: its worker holds the run twice that (see runLeaseMs). */
const DEAD_RUN_TIMEOUT_S = 5;

/**
 * kill -9 while an extraction run waits on the model; the next life takes the run over when the dead
 * lease ends. The bedrock engine against the local stub makes "mid-run" a moment the drill can see
 * (the stub has the request and holds the answer): a rules run is 60-300 ms of synchronous work during
 * which the process answers nothing. The lease, the sweep and the takeover are the same for every engine.
 */
async function midExtractionRun(ctx: DrillContext): Promise<DrillOutcome> {
  const c = new Checks();
  const figures: Record<string, number> = {};
  const lives = new Lives(ctx, path.join(ctx.workDir, 'data'));
  const stub = await startBedrockStub();
  try {
    stub.handle('Converse', () => reply.delay(120_000));
    const env = bedrockEnv(stub.endpoint, { EXTRACTION_FALLBACK_TO_RULES: 'false' });
    const first = await lives.start({ ...env, WORKER_MODE: 'embedded', EXTRACTION_RUN_TIMEOUT_SECONDS: String(DEAD_RUN_TIMEOUT_S) });
    let token = await adminToken(first.url);
    const booking = await createBooking(first, token, 'Harborview Logistics, Inc.');
    const [doc] = await uploadFiles(first, token, booking, [{ name: 'credit-agreement.txt', type: 'text/plain', data: agreementText() }]);
    const processed = await settledDocument(first, token, doc!.id, 60_000);
    if (processed.status !== 'processed') throw new Error(`the agreement was not processed: ${processed.status}`);
    const started = await api<RunView>(first, token, 'POST', `/api/v1/loan-bookings/${booking}/extractions`, { schema: 'credit_agreement', engine: 'bedrock' });
    if (started.status !== 202) throw new Error(`starting the run answered ${started.status}: ${JSON.stringify(started.json)}`);
    const runId = started.json.id;
    await until('the run to call the model', async () => (stub.count('Converse') > 0 ? true : undefined), 60_000, 20);
    const seen = (await api<RunView>(first, token, 'GET', `/api/v1/loan-bookings/${booking}/extractions/${runId}`)).json.status;
    await first.kill9();
    const killedAt = performance.now();
    c.add('the kill landed mid-run (run in running, waiting on the model)', seen === 'running', `status ${seen}`);

    stub.handle('Converse', () => agreementAnswer(doc!.id));
    const { server, msToReady } = await lives.restart({ ...env, ...AFTER_CRASH, EXTRACTION_RUN_TIMEOUT_SECONDS: '300' });
    figures['ms to ready after restart'] = msToReady;
    const readyAt = performance.now();
    token = await adminToken(server.url);
    const run = await finishedRun(server, token, booking, runId, 120_000);
    figures['ms until the taken-over job finished'] = Math.round(performance.now() - readyAt);
    figures['ms from the kill to the job finished'] = Math.round(performance.now() - killedAt);
    c.add('the dead worker\'s run is taken over and ends succeeded (second claim, one more model call)', run.status === 'succeeded' && run.engine_used === 'bedrock' && run.attempts === 2 && stub.count('Converse') === 2, `${run.status}${run.error ? ` ${run.error.code}` : ''}, attempts ${run.attempts}, ${stub.count('Converse')} model calls`);
    await new Promise((r) => setTimeout(r, 1500));
    const again = await api<RunView>(server, token, 'GET', `/api/v1/loan-bookings/${booking}/extractions/${runId}`);
    const m = await metricsText(server);
    const succeeded = metric(m, /^extraction_runs_total\{engine="bedrock",status="succeeded"\} (\d+)/m);
    const failed = metric(m, /^extraction_runs_total\{engine="bedrock",status="failed"\} (\d+)/m);
    c.add('the run ended terminal exactly once (one completion, unchanged afterwards)', succeeded === 1 && failed === 0 && again.json.status === run.status && again.json.finished_at === run.finished_at && stub.count('Converse') === 2, `succeeded ${succeeded}, failed ${failed}, ${stub.count('Converse')} model calls`);
    const next = await api<RunView>(server, token, 'POST', `/api/v1/loan-bookings/${booking}/extractions`, { schema: 'credit_agreement', engine: 'bedrock' });
    const nextRun = next.status === 202 ? await finishedRun(server, token, booking, next.json.id, 60_000) : undefined;
    c.add('a new run can be started and succeeds', nextRun?.status === 'succeeded' && nextRun.attempts === 1, next.status === 202 ? `${nextRun?.status}, attempts ${nextRun?.attempts}` : `POST answered ${next.status}`);
    const sheet = await api<{ source_run_id?: string }>(server, token, 'POST', `/api/v1/loan-bookings/${booking}/booking-sheet`, { run_id: runId });
    c.add('a booking sheet can be built from the taken-over run', sheet.status === 201 && sheet.json.source_run_id === runId, `POST answered ${sheet.status}`);
    await storageChecks(c, server, token, lives.dataDir, [doc!]);
    await gracefulStop(c, server);
    return { checks: c.list, figures };
  } finally {
    await lives.killAll();
    await stub.close();
  }
}

export const drills: Drill[] = [
  {
    id: 'kill9-upload',
    title: 'kill -9 of the API process (PGlite, disk blobs) in the middle of a streamed multi-file upload, then a restart on the same DATA_DIR.',
    run: midUpload,
  },
  {
    id: 'kill9-text-extraction',
    title: 'kill -9 of the process while its worker OCRs a scanned PDF (PGlite, disk blobs), then a restart on the same DATA_DIR; the document is taken over when the dead worker\'s 8 s lease ends.',
    run: midTextExtraction,
  },
  {
    id: 'kill9-extraction-run',
    title: `kill -9 of the process while an extraction run waits on the model (bedrock engine on the local stub; PGlite, disk blobs), then a restart on the same DATA_DIR; the run is taken over when the dead worker's lease (run timeout ${DEAD_RUN_TIMEOUT_S} s, so a ${2 * DEAD_RUN_TIMEOUT_S} s lease) ends.`,
    run: midExtractionRun,
  },
];
