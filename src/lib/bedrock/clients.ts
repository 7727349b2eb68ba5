import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { BedrockAgentClient } from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import type { BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface BedrockClientsOptions {
  region: string;
  /** Overrides the regional endpoint (a VPC endpoint, or the local stub in tests). */
  endpoint?: string;
  /** Omitted: the SDK's default provider chain (environment, profile, container or instance role). */
  credentials?: BedrockRuntimeClientConfig['credentials'];
  /** Hard limit on one HTTP request; our per-call deadline is normally shorter and fires first. */
  requestTimeoutMs: number;
  connectionTimeoutMs?: number;
  /**
   * SDK-level attempts. Defaults to 1: `withRetry` decides about retries with knowledge of the
   * circuit breaker and the caller's deadline, and two stacked retry loops multiply the attempts.
   */
  maxAttempts?: number;
  maxSockets?: number;
}

export interface BedrockClients {
  runtime: BedrockRuntimeClient;
  agent: BedrockAgentClient;
  agentRuntime: BedrockAgentRuntimeClient;
  /** Closes the keep-alive sockets of all three clients (on shutdown). */
  destroy: () => void;
}

function httpHandler(options: BedrockClientsOptions): NodeHttpHandler {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 50 };
  return new NodeHttpHandler({
    requestTimeout: options.requestTimeoutMs,
    // Without this the handler only logs a warning when requestTimeout passes and keeps waiting.
    throwOnRequestTimeout: true,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    httpAgent: new HttpAgent(agentOptions),
    httpsAgent: new HttpsAgent(agentOptions),
  });
}

/**
 * The three Bedrock clients, each with its own keep-alive HTTP/1.1 handler. Bedrock Runtime and
 * Bedrock Agent Runtime would otherwise default to an HTTP/2 handler, which only their
 * bidirectional streaming operations need; Converse and Retrieve work over HTTP/1.1, and so does
 * any plain HTTP endpoint override (the local stub in tests cannot speak h2c).
 */
export function createBedrockClients(options: BedrockClientsOptions): BedrockClients {
  const common = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 1,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials
      ? {
          credentials: options.credentials,
          // Explicit keys mean SigV4, whatever bearer-token settings the environment carries.
          authSchemePreference: ['sigv4'],
        }
      : {}),
  };
  const runtime = new BedrockRuntimeClient({ ...common, requestHandler: httpHandler(options) });
  const agent = new BedrockAgentClient({ ...common, requestHandler: httpHandler(options) });
  const agentRuntime = new BedrockAgentRuntimeClient({ ...common, requestHandler: httpHandler(options) });
  return {
    runtime,
    agent,
    agentRuntime,
    destroy: () => {
      runtime.destroy();
      agent.destroy();
      agentRuntime.destroy();
    },
  };
}
