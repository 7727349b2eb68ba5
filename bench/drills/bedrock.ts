/**
 * Bedrock outage drills: the real service process with the bedrock extraction engine pointed at the
 * local Converse stub (test/helpers/bedrock-stub.ts, real AWS SDK client on the wire), which is then
 * made to misbehave: throttling, answers that never come, garbage, and failures until the circuit
 * breaker opens. Checks what the design promises (src/lib/bedrock/aws-call.ts: three attempts with
 * jittered backoff, a deadline per attempt, a breaker of 5 consecutive failures open for 30 s, and
 * the fallback to the rules engine when EXTRACTION_FALLBACK_TO_RULES is on); figures are the model
 * calls the stub saw, the time of each run and the fallbacks.
 */
import path from 'node:path';
import { TOOL_NAME } from '../../src/modules/extraction/engines/bedrock/bedrock-engine.js';
import { reply, startBedrockStub, type BedrockStub } from '../../test/helpers/bedrock-stub.js';
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
  uploadFiles,
  type RunView,
} from '../../test/helpers/crash-drill.js';
import { adminToken, startServerProcess, type ServerProcess } from '../../test/helpers/server-process.js';
import type { Drill, DrillCheck, DrillContext, DrillOutcome } from './types.js';

/** Deadline of one model call in these drills. */
const CALL_TIMEOUT_MS = 1000;
/** What the service's retry policy and breaker are (DEFAULT_RETRY_POLICY, createConfiguredEngines). */
const ATTEMPTS_PER_CALL = 3;
const BREAKER_THRESHOLD = 5;
const BREAKER_RESET_MS = 30_000;

class Checks {
  readonly list: DrillCheck[] = [];

  add(name: string, ok: boolean, detail?: string): boolean {
    this.list.push({ name, ok, ...(detail ? { detail } : {}) });
    return ok;
  }
}

interface Service {
  server: ServerProcess;
  token: string;
  booking: string;
  documentId: string;
}

async function startService(ctx: DrillContext, stub: BedrockStub, name: string, fallback: boolean): Promise<Service> {
  const server = await startServerProcess({
    dataDir: path.join(ctx.workDir, name),
    cwd: ctx.workDir,
    env: bedrockEnv(stub.endpoint, { WORKER_MODE: 'embedded', BEDROCK_TIMEOUT_MS: String(CALL_TIMEOUT_MS), EXTRACTION_FALLBACK_TO_RULES: String(fallback) }),
  });
  const token = await adminToken(server.url);
  const booking = await createBooking(server, token, 'Harborview Logistics, Inc.');
  const [doc] = await uploadFiles(server, token, booking, [{ name: 'credit-agreement.txt', type: 'text/plain', data: agreementText() }]);
  const done = await settledDocument(server, token, doc!.id, 60_000);
  if (done.status !== 'processed') throw new Error(`the agreement was not processed: ${done.status}`);
  return { server, token, booking, documentId: doc!.id };
}

interface Measured {
  run: RunView;
  /** Converse requests the stub saw during the run. */
  calls: number;
  /** From POST to the run's end as the client saw it (includes the queue's pick-up and polling). */
  ms: number;
  /** The worker's own claim-to-end time of the run (its timings.total_ms). */
  workerMs: number;
}

async function bedrockRun(s: Service, stub: BedrockStub, timeoutMs = 60_000): Promise<Measured> {
  const before = stub.count('Converse');
  const t0 = performance.now();
  const started = await api<RunView>(s.server, s.token, 'POST', `/api/v1/loan-bookings/${s.booking}/extractions`, { schema: 'credit_agreement', engine: 'bedrock' });
  if (started.status !== 202) throw new Error(`starting a run answered ${started.status}: ${JSON.stringify(started.json)}`);
  await finishedRun(s.server, s.token, s.booking, started.json.id, timeoutMs);
  const ms = Math.round(performance.now() - t0);
  const run = (await api<RunView>(s.server, s.token, 'GET', `/api/v1/loan-bookings/${s.booking}/extractions/${started.json.id}`)).json;
  return { run, calls: stub.count('Converse') - before, ms, workerMs: run.timings?.total_ms ?? Number.NaN };
}

/** The run ended on the rules engine, saying which bedrock failure made it fall back. */
function fellBack(m: Measured, code: string): boolean {
  return m.run.status === 'succeeded' && m.run.engine_used === 'rules' && m.run.warnings.some((w) => w.includes(`the bedrock engine failed (${code})`));
}

const describeRun = (m: Measured) => `${m.run.status}${m.run.error ? ` ${m.run.error.code}` : ''} on ${m.run.engine_used ?? '-'}, ${m.calls} model call(s), ${m.ms} ms${m.run.warnings[0] ? `; "${m.run.warnings[0].slice(0, 90)}"` : ''}`;

const run = async (ctx: DrillContext): Promise<DrillOutcome> => {
  const c = new Checks();
  const figures: Record<string, number> = {};
  const stub = await startBedrockStub();
  const services: ServerProcess[] = [];
  try {
    // --- with the fallback to rules (the default) ---------------------------------------------
    const s = await startService(ctx, stub, 'with-fallback', true);
    services.push(s.server);

    stub.throttle('Converse', 2).enqueue('Converse', agreementAnswer(s.documentId));
    const throttled = await bedrockRun(s, stub);
    c.add('throttling: retried with backoff, then bedrock answers (3 calls, one claim)', throttled.run.status === 'succeeded' && throttled.run.engine_used === 'bedrock' && throttled.calls === 3 && throttled.run.attempts === 1, describeRun(throttled));
    figures['throttled twice: model calls'] = throttled.calls;
    figures['throttled twice: ms a run (worker)'] = throttled.workerMs;

    stub.enqueue('Converse', reply.garbage());
    const notJson = await bedrockRun(s, stub);
    c.add('garbage body (not JSON): not retried, the run falls back to rules and says why', fellBack(notJson, 'UPSTREAM_ERROR') && notJson.calls === 1, describeRun(notJson));
    figures['garbage body: model calls'] = notJson.calls;

    stub.enqueue('Converse', reply.text('I am sorry, I cannot help with that request.'));
    const prose = await bedrockRun(s, stub);
    stub.enqueue('Converse', reply.malformedToolInput(TOOL_NAME, '{"total_commitment": {"value": '));
    const broken = await bedrockRun(s, stub);
    c.add('an answer without the structured extraction (prose, broken JSON): the run falls back to rules', [prose, broken].every((m) => fellBack(m, 'UPSTREAM_ERROR') && m.calls === 1), `${describeRun(prose)} | ${describeRun(broken)}`);

    stub.enqueue(
      'Converse',
      reply.toolUse(TOOL_NAME, {
        governing_law: { value: 'New York', confidence: 0.9, evidence: [{ document_id: s.documentId, page: 3, quote: 'THE LAW OF THE STATE OF NEW YORK' }] },
        maturity_date_final: { value: 'next spring', confidence: 0.9, evidence: [] },
        total_commitment: { value: { amount: '150,000,000', currency: 'dollars' }, confidence: 2, evidence: 'page 2' },
        agreement_execution_date: 20240315,
      }),
    );
    const malformed = await bedrockRun(s, stub);
    const f = malformed.run.fields ?? {};
    const flagged = (name: string, reason: string) => f[name]?.value === null && f[name]?.review_reasons.includes(reason) === true;
    c.add(
      'garbage fields: each invalid field is nulled and flagged, the valid one kept (bedrock still answers)',
      malformed.run.status === 'succeeded' && malformed.run.engine_used === 'bedrock' && f.governing_law?.value === 'New York' && f.governing_law.needs_review === false &&
        flagged('maturity_date_final', 'validation_failed') && flagged('total_commitment', 'validation_failed') && flagged('agreement_execution_date', 'validation_failed'),
      `${describeRun(malformed)}; ${['governing_law', 'maturity_date_final', 'total_commitment', 'agreement_execution_date'].map((n) => `${n}=${JSON.stringify(f[n]?.value)} [${f[n]?.review_reasons.join(',')}]`).join('; ')}`,
    );

    stub.handle('Converse', () => reply.delay(CALL_TIMEOUT_MS * 5));
    const slow = await bedrockRun(s, stub);
    stub.handle('Converse', undefined);
    // Waiting out each 5 s answer would take 15 s: the deadline cuts every attempt at 1 s.
    c.add(
      `timeouts: ${ATTEMPTS_PER_CALL} attempts each cut at ${CALL_TIMEOUT_MS} ms, then UPSTREAM_TIMEOUT and the fallback`,
      fellBack(slow, 'UPSTREAM_TIMEOUT') && slow.calls === ATTEMPTS_PER_CALL && slow.workerMs < 2 * ATTEMPTS_PER_CALL * CALL_TIMEOUT_MS,
      `${describeRun(slow)}, ${slow.workerMs} ms in the worker`,
    );
    figures['model never answers: model calls'] = slow.calls;
    figures['model never answers: ms a run (worker)'] = slow.workerMs;

    // A success closes the books on those failures: the breaker counts consecutive ones.
    stub.enqueue('Converse', agreementAnswer(s.documentId));
    const recovered = await bedrockRun(s, stub);
    c.add('after the timeouts the next call is answered by bedrock', recovered.run.engine_used === 'bedrock' && recovered.calls === 1, describeRun(recovered));

    stub.handle('Converse', () => reply.internal());
    const failing: Measured[] = [];
    for (let i = 0; i < 4; i++) failing.push(await bedrockRun(s, stub));
    const calls = failing.map((m) => m.calls);
    const opened = stub.requestsFor('Converse').at(-1)!.at;
    c.add(
      `circuit breaker: opens after ${BREAKER_THRESHOLD} consecutive failures (calls per run 3, 2, 0, 0), every run falls back`,
      failing.every((m) => m.run.status === 'succeeded' && m.run.engine_used === 'rules') && JSON.stringify(calls) === JSON.stringify([3, 2, 0, 0]),
      `calls per run ${JSON.stringify(calls)}; ${failing.map((m) => m.run.warnings[0]?.slice(0, 60)).join(' | ')}`,
    );
    c.add('while the circuit is open, runs fall back at once (DEPENDENCY_UNAVAILABLE, no model call)', failing.slice(2).every((m) => fellBack(m, 'DEPENDENCY_UNAVAILABLE') && m.calls === 0), failing.slice(2).map(describeRun).join(' | '));
    figures['failing model: calls of the first 4 runs'] = calls.reduce((a, b) => a + b, 0);
    figures['circuit open: ms a run (worker)'] = Math.max(...failing.slice(2).map((m) => m.workerMs));
    figures['model failing, circuit closed: ms a run (worker)'] = failing[0]!.workerMs;

    // The model recovers; nothing reaches it until the breaker lets one probe through.
    stub.handle('Converse', () => agreementAnswer(s.documentId));
    const early = await bedrockRun(s, stub);
    c.add('before the reset timeout the circuit stays open (no model call)', early.calls === 0 && early.run.engine_used === 'rules', describeRun(early));
    const wait = opened + BREAKER_RESET_MS + 500 - performance.now();
    ctx.log(`waiting ${Math.round(wait / 1000)} s for the circuit to half-open`);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const probe = await bedrockRun(s, stub);
    const after = await bedrockRun(s, stub);
    c.add(`after ${BREAKER_RESET_MS / 1000} s one probe reaches the model; it succeeds and closes the circuit`, probe.calls === 1 && probe.run.engine_used === 'bedrock' && after.calls === 1 && after.run.engine_used === 'bedrock', `${describeRun(probe)} | ${describeRun(after)}`);
    figures['ms from the circuit opening to the next model call'] = Math.round(stub.requestsFor('Converse').at(-2)!.at - opened);

    const m = await metricsText(s.server);
    const fallbacks = metric(m, /^extraction_engine_fallbacks_total\{from="bedrock"\} (\d+)/m);
    // Not JSON, prose, broken JSON, timeouts, the 4 failing runs and the early one.
    c.add('every fallback is counted (extraction_engine_fallbacks_total)', fallbacks === 9, `${fallbacks} counted, 9 expected`);
    figures['fallbacks to rules'] = fallbacks;
    await s.server.stop();

    // --- without the fallback: the run itself fails, for good and once ----------------------------
    stub.resetState();
    const strict = await startService(ctx, stub, 'without-fallback', false);
    services.push(strict.server);
    stub.handle('Converse', () => reply.delay(CALL_TIMEOUT_MS * 5));
    const doomed = await bedrockRun(strict, stub, 180_000);
    const code = doomed.run.error?.code;
    // Each delivery makes at most 3 calls; the breaker the timeouts open stops the later ones early.
    c.add(
      'without fallback, a model that never answers fails the run for good after bounded attempts (3 deliveries, at most 9 calls)',
      doomed.run.status === 'failed' && (code === 'UPSTREAM_TIMEOUT' || code === 'DEPENDENCY_UNAVAILABLE') && doomed.run.attempts === 3 && doomed.calls >= ATTEMPTS_PER_CALL && doomed.calls <= 3 * ATTEMPTS_PER_CALL,
      `${describeRun(doomed)}, ${doomed.run.attempts} deliveries`,
    );
    const sm = await metricsText(strict.server);
    const failedRuns = metric(sm, /^extraction_runs_total\{engine="bedrock",status="failed"\} (\d+)/m);
    c.add('the failed run ended terminal exactly once, with no fallback', failedRuns === 1 && metric(sm, /^extraction_engine_fallbacks_total\{from="bedrock"\} (\d+)/m) === 0, `failed ${failedRuns}`);
    figures['no fallback: model calls until the run failed'] = doomed.calls;
    figures['no fallback: ms until the run failed'] = doomed.ms;
    stub.handle('Converse', undefined);
    await strict.server.stop();
    return { checks: c.list, figures };
  } finally {
    await Promise.all(services.map((p) => p.kill9()));
    await stub.close();
  }
};

export const drill: Drill = {
  id: 'bedrock',
  title: `The service with the bedrock engine against a local Converse stub (real SDK client): throttling, garbage answers, calls that never answer (deadline ${CALL_TIMEOUT_MS} ms), failures until the circuit breaker opens and half-opens; with and without the fallback to rules.`,
  run,
};
