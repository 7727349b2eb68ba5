import { Counter, Histogram, type Registry } from 'prom-client';
import type { FieldResult } from './engine.js';

export interface ExtractionMetrics {
  /** Runs by engine and status: queued (by the engine asked for), succeeded and failed (by the engine used). */
  runs: Counter<'engine' | 'status'>;
  runDuration: Histogram<'engine' | 'status'>;
  fieldConfidence: Histogram<'engine'>;
  bedrockTokens: Counter<'direction'>;
  fallbacks: Counter<'from'>;
  observeFields(engine: string, fields: Record<string, FieldResult>): void;
}

const byRegistry = new WeakMap<Registry, ExtractionMetrics>();

/** One set per registry: the API (runs queued) and the worker (runs finished) share it in one process. */
export function extractionMetrics(registry: Registry): ExtractionMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const fieldConfidence = new Histogram({
    name: 'extraction_field_confidence',
    help: 'Confidence of extracted (non-null) field values, by engine.',
    labelNames: ['engine'] as const,
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
    registers: [registry],
  });
  const metrics: ExtractionMetrics = {
    runs: new Counter({
      name: 'extraction_runs_total',
      help: 'Extraction runs by engine and status (queued, succeeded, failed).',
      labelNames: ['engine', 'status'] as const,
      registers: [registry],
    }),
    runDuration: new Histogram({
      name: 'extraction_run_duration_seconds',
      help: 'Time from claim to result of an extraction run, by engine used and outcome.',
      labelNames: ['engine', 'status'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    fieldConfidence,
    bedrockTokens: new Counter({
      name: 'bedrock_tokens_total',
      help: 'Tokens used by Bedrock model calls, by direction (input, output).',
      labelNames: ['direction'] as const,
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'extraction_engine_fallbacks_total',
      help: 'Runs answered by the rules engine because the engine asked for failed.',
      labelNames: ['from'] as const,
      registers: [registry],
    }),
    observeFields(engine, fields) {
      for (const f of Object.values(fields)) if (f.value !== null) fieldConfidence.observe({ engine }, f.confidence);
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
