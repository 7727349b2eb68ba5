import type { BedrockRuntimeClient, ContentBlock } from '@aws-sdk/client-bedrock-runtime';
import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { DocumentType } from '@smithy/types';
import type { RetryPolicy } from './aws-call.js';
import { callAws } from './aws-call.js';
import type { CircuitBreaker } from './resilience.js';

export interface ConverseWithToolOptions {
  client: BedrockRuntimeClient;
  modelId: string;
  system: string;
  userText: string;
  toolName: string;
  toolDescription: string;
  /** JSON Schema of the tool input: the extraction schema. */
  inputSchema: Record<string, unknown>;
  maxTokens: number;
  /** 0 by default: extraction wants the most likely reading, the same on every run. */
  temperature?: number;
  signal?: AbortSignal;
  /** Per-attempt deadline; a long document can take the model a while. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Share one breaker across calls to the same model, or it can never open. */
  breaker?: CircuitBreaker;
}

export interface ConverseToolResult {
  /** The tool input as the model produced it; undefined when it answered with text or broken JSON. */
  toolInput: unknown;
  /** Text the model wrote, or the unparsable tool input, for the caller's partial validation. */
  text?: string;
  stopReason: string | undefined;
  usage: { inputTokens: number; outputTokens: number };
}

function parseToolInput(input: unknown): { value: unknown } | { raw: string } | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'string') return { value: input };
  // Some models hand the arguments back as a JSON string rather than an object.
  try {
    const value: unknown = JSON.parse(input);
    return typeof value === 'object' && value !== null ? { value } : { raw: input };
  } catch {
    return { raw: input };
  }
}

/**
 * One Converse call that forces the model to answer through a single tool whose input schema is
 * the extraction schema, so the answer arrives as structured JSON instead of prose to be parsed.
 * The result is not validated here: the caller validates field by field and keeps what is valid.
 */
export async function converseWithTool(options: ConverseWithToolOptions): Promise<ConverseToolResult> {
  const response = await callAws(
    {
      dependency: 'bedrock-runtime',
      timeoutMs: options.timeoutMs ?? 120_000,
      retry: options.retry,
      breaker: options.breaker,
    },
    (abortSignal) =>
      options.client.send(
        new ConverseCommand({
          modelId: options.modelId,
          system: [{ text: options.system }],
          messages: [{ role: 'user', content: [{ text: options.userText }] }],
          inferenceConfig: { maxTokens: options.maxTokens, temperature: options.temperature ?? 0 },
          toolConfig: {
            tools: [
              {
                toolSpec: {
                  name: options.toolName,
                  description: options.toolDescription,
                  inputSchema: { json: options.inputSchema as DocumentType },
                },
              },
            ],
            toolChoice: { tool: { name: options.toolName } },
          },
        }),
        { abortSignal },
      ),
    options.signal,
  );

  const blocks: ContentBlock[] = response.output?.message?.content ?? [];
  const texts: string[] = [];
  let toolInput: unknown;
  let rawToolInput: string | undefined;
  for (const block of blocks) {
    if (typeof block.text === 'string') texts.push(block.text);
    if (block.toolUse && block.toolUse.name === options.toolName && toolInput === undefined) {
      const parsed = parseToolInput(block.toolUse.input);
      if (parsed && 'value' in parsed) toolInput = parsed.value;
      else if (parsed) rawToolInput = parsed.raw;
    }
  }
  const text = toolInput === undefined && rawToolInput !== undefined ? rawToolInput : texts.join('\n');
  return {
    toolInput,
    ...(text ? { text } : {}),
    stopReason: response.stopReason,
    usage: { inputTokens: response.usage?.inputTokens ?? 0, outputTokens: response.usage?.outputTokens ?? 0 },
  };
}
