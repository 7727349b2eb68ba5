/** HTTP load with autocannon, latencies recorded per response so any percentile can be reported. */
import autocannon from 'autocannon';
import { quantile, Samples } from './stats.js';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationSec: number;
  /** Fixed total request rate (autocannon's overallRate); unlimited when absent. */
  overallRate?: number;
  /** Statuses that count as success; anything else is an error. */
  ok: number[];
}

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Transport errors, timeouts and responses with a status outside `ok`. */
  errors: number;
  statuses: Record<string, number>;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const latencies = new Samples();
  const statuses: Record<string, number> = {};
  let bad = 0;
  const instance = autocannon({
    url: opts.url,
    method: opts.method ?? 'GET',
    headers: { ...(opts.body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    ...(opts.body ? { body: opts.body } : {}),
    connections: opts.connections,
    duration: opts.durationSec,
    pipelining: 1,
    timeout: 10,
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    if (!opts.ok.includes(statusCode)) bad++;
  });
  const result = await instance;
  const values = latencies.values();
  return {
    requests: values.length,
    durationS: result.duration,
    rps: values.length / result.duration,
    p50: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    p99: quantile(values, 0.99),
    max: quantile(values, 1),
    errors: bad + result.errors,
    statuses,
  };
}
