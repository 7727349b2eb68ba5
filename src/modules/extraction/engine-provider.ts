import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { RetryPolicy } from '../../lib/bedrock/aws-call.js';
import { createDependencyBreaker } from '../../lib/bedrock/aws-call.js';
import type { KnowledgeBase } from '../../lib/bedrock/knowledge-base.js';
import type { CircuitBreaker } from '../../lib/bedrock/resilience.js';
import { AppError, isAppError } from '../../lib/errors.js';
import type { ExtractionEngine, ExtractionInput, ExtractionOutput } from './engine.js';
import type { PageRanker, RankedPage } from './engines/bedrock/context.js';
import { BEDROCK_ENGINE_NAME, createBedrockEngine } from './engines/bedrock/bedrock-engine.js';
import { RULES_ENGINE_NAME, createRulesEngine } from './engines/rules/index.js';

export const ENGINE_NAMES = [RULES_ENGINE_NAME, BEDROCK_ENGINE_NAME] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** The booking a run reads: retrieval is always filtered to it. */
export interface RunScope {
  tenantId: string;
  bookingId: string;
  /** The documents the run is limited to, when it is. */
  documentIds?: readonly string[] | undefined;
}

export interface EngineRunResult {
  output: ExtractionOutput;
  /** The engine whose results these are: the fallback's when the requested one failed. */
  engineUsed: string;
}

export interface BedrockEngineConfig {
  client: BedrockRuntimeClient;
  modelId: string;
  timeoutMs: number;
  breaker: CircuitBreaker;
  retry?: Partial<RetryPolicy>;
  maxTokens?: number;
  contextBudgetChars?: number;
  /** When set, pages are ranked by the knowledge base's Retrieve (filtered by booking and tenant). */
  knowledgeBase?: Pick<KnowledgeBase, 'retrieve'>;
}

/** The booking's own search index: passages ranked for a query. */
export type BookingSearch = (
  tenantId: string,
  bookingId: string,
  query: string,
  limit: number,
) => Promise<{ documentId: string; page: number; score: number }[]>;

export interface EngineProviderOptions {
  defaultEngine: EngineName;
  /** When the bedrock engine fails (down, throttled past retries, broken answer), answer with rules. */
  fallbackToRules: boolean;
  bedrock?: BedrockEngineConfig | undefined;
  search?: BookingSearch | undefined;
  onUsage?: (usage: { input_tokens: number; output_tokens: number }) => void;
  /** Told when a fallback happens, with the error that caused it (for the log). */
  onFallback?: (from: string, error: unknown) => void;
}

export interface EngineProvider {
  readonly defaultEngine: EngineName;
  /** Engines this deployment can run. */
  available(): EngineName[];
  /** The engine to use for a request: the one named, or the default; 422 when it is not configured. */
  resolve(requested: string | undefined): EngineName;
  run(name: string, scope: RunScope, input: ExtractionInput): Promise<EngineRunResult>;
}

const RESULTS_PER_QUERY = 10;

/** Failures that say the model is unavailable or unusable right now, as opposed to a bug of ours. */
function isEngineOutage(error: unknown): boolean {
  return (
    isAppError(error) && ['DEPENDENCY_UNAVAILABLE', 'UPSTREAM_ERROR', 'UPSTREAM_TIMEOUT'].includes(error.code)
  );
}

function ranker(options: EngineProviderOptions, scope: RunScope): PageRanker | undefined {
  const allowed = scope.documentIds ? new Set(scope.documentIds) : undefined;
  const keep = (r: RankedPage) => allowed === undefined || allowed.has(r.documentId);
  const kb = options.bedrock?.knowledgeBase;
  if (kb) {
    return async (queries, signal) => {
      const out: RankedPage[] = [];
      for (const query of queries) {
        const result = await kb.retrieve({
          query,
          bookingId: scope.bookingId,
          tenantId: scope.tenantId,
          numberOfResults: RESULTS_PER_QUERY,
          ...(signal ? { signal } : {}),
        });
        for (const p of result.passages) {
          if (p.documentId !== undefined && p.page !== undefined)
            out.push({ documentId: p.documentId, page: p.page, score: p.score ?? 0 });
        }
      }
      return out.filter(keep);
    };
  }
  const search = options.search;
  if (!search) return undefined;
  return async (queries, signal) => {
    const out: RankedPage[] = [];
    for (const query of queries) {
      signal?.throwIfAborted();
      // Full-text search ANDs the words of a query; a page matching any of them is a candidate.
      const anyWord = query
        .split(/\s+/)
        .filter((w) => w.length > 2)
        .join(' or ');
      out.push(...(await search(scope.tenantId, scope.bookingId, anyWord, RESULTS_PER_QUERY)));
    }
    return out.filter(keep);
  };
}

/**
 * Chooses and runs extraction engines. `rules` is always there; `bedrock` exists when a model is
 * configured. A bedrock engine is built per run because its page ranking is bound to the run's
 * booking; the circuit breaker it uses is shared, so an outage seen by one run protects the next.
 */
export function createEngineProvider(options: EngineProviderOptions): EngineProvider {
  const rules = createRulesEngine();
  const names: EngineName[] = options.bedrock
    ? [RULES_ENGINE_NAME, BEDROCK_ENGINE_NAME]
    : [RULES_ENGINE_NAME];

  function resolve(requested: string | undefined): EngineName {
    const name = requested ?? options.defaultEngine;
    if (!(ENGINE_NAMES as readonly string[]).includes(name)) {
      throw new AppError('VALIDATION_FAILED', `Unknown extraction engine '${name}'`, {
        fieldErrors: { engine: [`must be one of: ${ENGINE_NAMES.join(', ')}`] },
      });
    }
    if (!names.includes(name as EngineName)) {
      throw new AppError(
        'EXTRACTION_ENGINE_UNAVAILABLE',
        `The '${name}' engine is not configured on this deployment; available: ${names.join(', ')}`,
        {
          details: { engine: name, available: names },
        },
      );
    }
    return name as EngineName;
  }

  function engineFor(name: EngineName, scope: RunScope): ExtractionEngine {
    if (name === RULES_ENGINE_NAME) return rules;
    const bedrock = options.bedrock;
    if (!bedrock)
      throw new AppError(
        'EXTRACTION_ENGINE_UNAVAILABLE',
        `The '${name}' engine is not configured on this deployment`,
      );
    const rankPages = ranker(options, scope);
    return createBedrockEngine({
      client: bedrock.client,
      modelId: bedrock.modelId,
      timeoutMs: bedrock.timeoutMs,
      breaker: bedrock.breaker,
      ...(bedrock.retry ? { retry: bedrock.retry } : {}),
      ...(bedrock.maxTokens ? { maxTokens: bedrock.maxTokens } : {}),
      ...(bedrock.contextBudgetChars ? { contextBudgetChars: bedrock.contextBudgetChars } : {}),
      ...(rankPages ? { rankPages } : {}),
      ...(options.onUsage ? { onUsage: options.onUsage } : {}),
    });
  }

  return {
    defaultEngine: options.defaultEngine,
    available: () => [...names],
    resolve,
    async run(name, scope, input) {
      const engineName = resolve(name);
      const engine = engineFor(engineName, scope);
      try {
        return { output: await engine.extract(input), engineUsed: engine.name };
      } catch (error) {
        const canFallBack =
          engineName !== RULES_ENGINE_NAME &&
          options.fallbackToRules &&
          isEngineOutage(error) &&
          !input.signal?.aborted;
        if (!canFallBack) throw error;
        options.onFallback?.(engineName, error);
        const output = await rules.extract(input);
        const code = isAppError(error) ? error.code : 'INTERNAL_ERROR';
        return {
          output: {
            ...output,
            warnings: [
              `the ${engineName} engine failed (${code}); these results come from the rules engine`,
              ...output.warnings,
            ],
          },
          engineUsed: rules.name,
        };
      }
    },
  };
}

export interface EnginesFromConfigOptions {
  defaultEngine: EngineName;
  fallbackToRules: boolean;
  /** Present when a model is configured (BEDROCK_MODEL_ID). */
  bedrock?: { client: BedrockRuntimeClient; modelId: string; timeoutMs: number; knowledgeBase?: Pick<KnowledgeBase, 'retrieve'> | undefined } | undefined;
  search?: BookingSearch | undefined;
  onUsage?: (usage: { input_tokens: number; output_tokens: number }) => void;
  onFallback?: (from: string, error: unknown) => void;
}

/** The provider of a deployment: one circuit breaker for the model, shared by every run of the process. */
export function createConfiguredEngines(options: EnginesFromConfigOptions): EngineProvider {
  const b = options.bedrock;
  return createEngineProvider({
    defaultEngine: options.defaultEngine,
    fallbackToRules: options.fallbackToRules,
    ...(b
      ? {
          bedrock: {
            client: b.client,
            modelId: b.modelId,
            timeoutMs: b.timeoutMs,
            breaker: createDependencyBreaker({ failureThreshold: 5, resetTimeoutMs: 30_000, name: 'bedrock-runtime' }),
            ...(b.knowledgeBase ? { knowledgeBase: b.knowledgeBase } : {}),
          },
        }
      : {}),
    ...(options.search ? { search: options.search } : {}),
    ...(options.onUsage ? { onUsage: options.onUsage } : {}),
    ...(options.onFallback ? { onFallback: options.onFallback } : {}),
  });
}
