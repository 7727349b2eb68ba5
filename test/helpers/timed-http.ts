import { createHash } from 'node:crypto';

/**
 * One HTTP exchange as the outage drills record it: what came back and how long it took. A request
 * that gets no answer within the client timeout (a hang) or no connection is status 0 with `error`.
 */
export interface Answer {
  status: number;
  ms: number;
  /** error_code of a problem+json answer. */
  errorCode?: string;
  retryAfter?: string;
  headers: Record<string, string>;
  json?: unknown;
  /** SHA-256 (hex) of the body bytes. */
  sha256: string;
  bytes: number;
  /** Why there is no answer (status 0). */
  error?: string;
}

export interface TimedRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs: number;
}

export async function timed(url: string, req: TimedRequest): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: req.method ?? 'GET',
      headers: req.headers ?? {},
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const buf = Buffer.from(await res.arrayBuffer());
    const ms = Math.round(performance.now() - started);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const answer: Answer = { status: res.status, ms, headers, sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.length };
    const retryAfter = res.headers.get('retry-after');
    if (retryAfter !== null) answer.retryAfter = retryAfter;
    if ((res.headers.get('content-type') ?? '').includes('json') && buf.length > 0) {
      try {
        answer.json = JSON.parse(buf.toString('utf8'));
        const code = (answer.json as { error_code?: unknown }).error_code;
        if (typeof code === 'string') answer.errorCode = code;
      } catch {
        // Not JSON after all: the status tells enough.
      }
    }
    return answer;
  } catch (err) {
    const ms = Math.round(performance.now() - started);
    const e = err as Error & { cause?: { code?: string } };
    const error = e.name === 'TimeoutError' ? `no answer within ${req.timeoutMs} ms` : `${e.name}: ${e.cause?.code ?? e.message}`;
    return { status: 0, ms, headers: {}, sha256: '', bytes: 0, error };
  }
}

/** Short form for a check's detail: "503 DEPENDENCY_UNAVAILABLE in 412 ms". */
export function summarize(a: Answer | undefined): string {
  if (!a) return 'not sent';
  if (a.status === 0) return `${a.error ?? 'no answer'} after ${a.ms} ms`;
  return `${a.status}${a.errorCode ? ` ${a.errorCode}` : ''} in ${a.ms} ms`;
}

/** Polls `fn` until it returns a value (not undefined) or the time is up (then undefined). */
export async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The value of one sample of a Prometheus text exposition, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{\s]+(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const have = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[2]);
  }
  return total;
}
