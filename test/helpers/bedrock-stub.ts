/**
 * A local HTTP server that speaks the REST-JSON wire protocols of Bedrock Runtime, Bedrock Agent and
 * Bedrock Agent Runtime closely enough for the real AWS SDK clients to talk to it through
 * `endpoint`. Paths, methods, status codes and JSON shapes follow the SDK's own operation schemas
 * (the dist-cjs/index.js of each @aws-sdk/client-bedrock-... package); errors use the `x-amzn-ErrorType`
 * header (or a `__type` body) the SDK's error parser reads.
 *
 * Every request is recorded. Each operation can be scripted with a queue of replies or a handler,
 * and falls back to a default behaviour that validates the request like the real service does
 * (the shapes we rely on) and answers from in-memory state: knowledge bases and data sources, a
 * corpus of passages filtered by the metadata filter actually sent, ingestion jobs that move
 * STARTING -> IN_PROGRESS -> COMPLETE or FAILED over successive polls, and idempotent client tokens.
 * Signatures are not checked: tests sign with static fake keys.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- wire bodies are arbitrary JSON, checked field by field like the service does */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StubOperation =
  | 'Converse'
  | 'Retrieve'
  | 'StartIngestionJob'
  | 'GetIngestionJob'
  | 'IngestKnowledgeBaseDocuments'
  | 'GetKnowledgeBase'
  | 'GetDataSource';

export interface RecordedRequest {
  operation: StubOperation | 'Unknown';
  method: string;
  /** Raw request path, still percent-encoded. */
  path: string;
  /** Decoded path parameters: modelId, knowledgeBaseId, dataSourceId, ingestionJobId. */
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; undefined for an empty body. */
  body: any;
  rawBody: string;
  /** performance.now() when the body had arrived. */
  at: number;
}

export type StubReply =
  | { kind: 'json'; status?: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'raw'; status?: number; body: string; contentType?: string }
  | { kind: 'error'; status: number; type: string; message?: string; via?: 'header' | 'body' }
  /** Destroys the socket without a response; `afterDefault` first runs the default (its side effects happen). */
  | { kind: 'reset'; afterDefault?: boolean }
  | { kind: 'delay'; ms: number; then?: StubReply }
  | { kind: 'default' };

export type StubHandler = (request: RecordedRequest, stub: BedrockStub) => StubReply | Promise<StubReply>;

export type StubMetadata = Record<string, string | number | boolean | string[]>;

export interface StubPassage {
  text: string;
  metadata: StubMetadata;
  s3Uri?: string;
}

export interface IngestionPlan {
  outcome: 'COMPLETE' | 'FAILED';
  /** Polls answered IN_PROGRESS before the outcome shows. */
  inProgressPolls?: number;
  statistics?: Record<string, number>;
  failureReasons?: string[];
}

export interface StubIngestionJob {
  knowledgeBaseId: string;
  dataSourceId: string;
  ingestionJobId: string;
  clientToken: string | undefined;
  description: string | undefined;
  status: 'STARTING' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';
  plan: IngestionPlan;
  polls: number;
  startedAt: string;
  updatedAt: string;
}

export interface StubDataSource {
  id: string;
  type: 'S3' | 'CUSTOM';
  status?: string;
}

export interface StubKnowledgeBase {
  id: string;
  status?: string;
  dataSources: StubDataSource[];
}

export interface IngestedDocument {
  knowledgeBaseId: string;
  dataSourceId: string;
  clientToken: string | undefined;
  document: any;
}

class StubValidationError extends Error {}
class StubNotFoundError extends Error {}

const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.bedrock/';

/** Ready-made replies for `enqueue` and handlers. */
export const reply = {
  json: (body: unknown, status = 200): StubReply => ({ kind: 'json', status, body }),
  error: (
    status: number,
    type: string,
    message = `${type} from stub`,
    via: 'header' | 'body' = 'header',
  ): StubReply => ({
    kind: 'error',
    status,
    type,
    message,
    via,
  }),
  throttling: (message = 'Too many requests, please wait before trying again.'): StubReply =>
    reply.error(429, 'ThrottlingException', message),
  validation: (message: string): StubReply => reply.error(400, 'ValidationException', message),
  internal: (message = 'Internal server error'): StubReply =>
    reply.error(500, 'InternalServerException', message),
  serviceUnavailable: (message = 'Service unavailable'): StubReply =>
    reply.error(503, 'ServiceUnavailableException', message),
  notFound: (message = 'Resource not found'): StubReply =>
    reply.error(404, 'ResourceNotFoundException', message),
  reset: (afterDefault = false): StubReply => ({ kind: 'reset', afterDefault }),
  delay: (ms: number, then?: StubReply): StubReply => ({ kind: 'delay', ms, ...(then ? { then } : {}) }),
  /** A 200 whose body is not JSON at all. */
  garbage: (body = 'this is <not> json'): StubReply => ({
    kind: 'raw',
    status: 200,
    body,
    contentType: 'text/plain',
  }),
  /** Converse answer through the tool. */
  toolUse: (name: string, input: unknown, usage = { inputTokens: 120, outputTokens: 40 }): StubReply =>
    reply.json(
      converseBody([{ toolUse: { toolUseId: `tooluse_${randomUUID()}`, name, input } }], 'tool_use', usage),
    ),
  /** Converse answer in prose, ignoring the forced tool. */
  text: (text: string, usage = { inputTokens: 120, outputTokens: 15 }): StubReply =>
    reply.json(converseBody([{ text }], 'end_turn', usage)),
  /** Converse tool input that arrives as a string of broken JSON. */
  malformedToolInput: (name: string, raw: string): StubReply =>
    reply.json(
      converseBody([{ toolUse: { toolUseId: `tooluse_${randomUUID()}`, name, input: raw } }], 'tool_use', {
        inputTokens: 120,
        outputTokens: 40,
      }),
    ),
};

function converseBody(
  content: unknown[],
  stopReason: string,
  usage: { inputTokens: number; outputTokens: number },
) {
  return {
    output: { message: { role: 'assistant', content } },
    stopReason,
    usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
    metrics: { latencyMs: 42 },
  };
}

interface Route {
  operation: StubOperation;
  params: Record<string, string>;
}

function route(method: string, rawPath: string): Route | undefined {
  const path = rawPath.split('?')[0] ?? '';
  const trailingSlash = path.endsWith('/');
  const segments = path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s));
  const [a, b, c, d, e, f, g] = segments;
  if (method === 'POST' && a === 'model' && segments.length === 3 && c === 'converse' && b) {
    return { operation: 'Converse', params: { modelId: b } };
  }
  if (a !== 'knowledgebases' || !b) return undefined;
  const kb = { knowledgeBaseId: b };
  if (segments.length === 2 && method === 'GET') return { operation: 'GetKnowledgeBase', params: kb };
  if (segments.length === 3 && c === 'retrieve' && method === 'POST')
    return { operation: 'Retrieve', params: kb };
  if (c !== 'datasources' || !d) return undefined;
  const ds = { ...kb, dataSourceId: d };
  if (segments.length === 4 && method === 'GET') return { operation: 'GetDataSource', params: ds };
  if (segments.length === 5 && e === 'ingestionjobs' && method === 'PUT' && trailingSlash) {
    return { operation: 'StartIngestionJob', params: ds };
  }
  if (segments.length === 6 && e === 'ingestionjobs' && f && method === 'GET') {
    return { operation: 'GetIngestionJob', params: { ...ds, ingestionJobId: f } };
  }
  if (segments.length === 5 && e === 'documents' && method === 'PUT' && g === undefined) {
    return { operation: 'IngestKnowledgeBaseDocuments', params: ds };
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireThat(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StubValidationError(message);
}

/** A union member must set exactly one of its members, as the service insists. */
function unionKey(value: unknown, what: string): string {
  requireThat(isObject(value), `${what} must be an object`);
  const keys = Object.keys(value);
  requireThat(keys.length === 1, `${what} must set exactly one member, got [${keys.join(', ')}]`);
  return keys[0]!;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** Evaluates a RetrievalFilter the way the vector store would, rejecting malformed filters. */
export function filterMatches(filter: unknown, metadata: StubMetadata): boolean {
  const op = unionKey(filter, 'filter');
  const arg = (filter as Record<string, any>)[op];
  if (op === 'andAll' || op === 'orAll') {
    requireThat(Array.isArray(arg) && arg.length >= 2 && arg.length <= 5, `${op} takes 2 to 5 filters`);
    return op === 'andAll'
      ? arg.every((f: unknown) => filterMatches(f, metadata))
      : arg.some((f: unknown) => filterMatches(f, metadata));
  }
  requireThat(isObject(arg) && typeof arg.key === 'string' && arg.key.length > 0, `${op} needs a key`);
  requireThat('value' in arg, `${op} needs a value`);
  const actual = metadata[arg.key];
  const expected: unknown = arg.value;
  switch (op) {
    case 'equals':
      return sameValue(actual, expected);
    case 'notEquals':
      return !sameValue(actual, expected);
    case 'greaterThan':
    case 'greaterThanOrEquals':
    case 'lessThan':
    case 'lessThanOrEquals': {
      requireThat(typeof expected === 'number', `${op} needs a number`);
      if (typeof actual !== 'number') return false;
      if (op === 'greaterThan') return actual > expected;
      if (op === 'greaterThanOrEquals') return actual >= expected;
      if (op === 'lessThan') return actual < expected;
      return actual <= expected;
    }
    case 'in':
    case 'notIn': {
      requireThat(Array.isArray(expected), `${op} needs a list`);
      const found = expected.some((v) => sameValue(actual, v));
      return op === 'in' ? found : !found;
    }
    case 'startsWith':
      return typeof actual === 'string' && typeof expected === 'string' && actual.startsWith(expected);
    case 'stringContains':
      return (
        typeof expected === 'string' &&
        (typeof actual === 'string'
          ? actual.includes(expected)
          : Array.isArray(actual) && actual.some((v) => v.includes(expected)))
      );
    case 'listContains':
      return Array.isArray(actual) && actual.includes(expected as string);
    default:
      throw new StubValidationError(`Unknown filter operator ${op}`);
  }
}

function tokens(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? []);
}

function relevance(query: string, text: string): number {
  const q = tokens(query);
  if (q.size === 0) return 0;
  const t = tokens(text);
  let hits = 0;
  for (const token of q) if (t.has(token)) hits += 1;
  return Math.round((hits / q.size) * 1000) / 1000;
}

export class BedrockStub {
  readonly requests: RecordedRequest[] = [];
  readonly ingestedDocuments: IngestedDocument[] = [];
  readonly jobs = new Map<string, StubIngestionJob>();
  /** Input of the default Converse tool answer. */
  defaultToolInput: unknown = {};
  private readonly queues = new Map<StubOperation, StubReply[]>();
  private readonly handlers = new Map<StubOperation, StubHandler>();
  private readonly knowledgeBases = new Map<string, StubKnowledgeBase>();
  private readonly corpus = new Map<string, StubPassage[]>();
  private readonly ingestionPlans: IngestionPlan[] = [];
  private readonly jobsByToken = new Map<string, string>();
  private readonly ingestResponsesByToken = new Map<string, unknown>();

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<BedrockStub> {
    const server = createServer();
    // Longer than any test: an idle keep-alive socket closed by the server while the client reuses
    // it would turn into a spurious ECONNRESET and an extra, uncounted-for retry.
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const stub = new BedrockStub(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => {
      stub.onRequest(req, res).catch((error: unknown) => {
        if (!res.headersSent) stub.write(res, reply.internal(`stub failure: ${String(error)}`));
      });
    });
    return stub;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  /** Forgets requests, scripts and state (knowledge bases included) between tests. */
  resetState(): void {
    this.requests.length = 0;
    this.ingestedDocuments.length = 0;
    this.ingestionPlans.length = 0;
    this.jobs.clear();
    this.queues.clear();
    this.handlers.clear();
    this.knowledgeBases.clear();
    this.corpus.clear();
    this.jobsByToken.clear();
    this.ingestResponsesByToken.clear();
    this.defaultToolInput = {};
  }

  // --- scripting -----------------------------------------------------------------------------

  enqueue(operation: StubOperation, ...replies: StubReply[]): this {
    const queue = this.queues.get(operation) ?? [];
    queue.push(...replies);
    this.queues.set(operation, queue);
    return this;
  }

  /** Handles every request of an operation once its queue is empty; undefined removes it. */
  handle(operation: StubOperation, handler: StubHandler | undefined): this {
    if (handler) this.handlers.set(operation, handler);
    else this.handlers.delete(operation);
    return this;
  }

  throttle(operation: StubOperation, times: number): this {
    for (let i = 0; i < times; i += 1) this.enqueue(operation, reply.throttling());
    return this;
  }

  addKnowledgeBase(kb: StubKnowledgeBase): this {
    this.knowledgeBases.set(kb.id, kb);
    return this;
  }

  setKnowledgeBaseStatus(kbId: string, status: string): this {
    const kb = this.knowledgeBases.get(kbId);
    if (kb) kb.status = status;
    return this;
  }

  addPassages(kbId: string, passages: StubPassage[]): this {
    this.corpus.set(kbId, [...(this.corpus.get(kbId) ?? []), ...passages]);
    return this;
  }

  passages(kbId: string): StubPassage[] {
    return this.corpus.get(kbId) ?? [];
  }

  /** Outcome of the next started ingestion job (default: COMPLETE after one IN_PROGRESS poll). */
  planIngestion(plan: IngestionPlan): this {
    this.ingestionPlans.push(plan);
    return this;
  }

  requestsFor(operation: StubOperation): RecordedRequest[] {
    return this.requests.filter((r) => r.operation === operation);
  }

  count(operation: StubOperation): number {
    return this.requestsFor(operation).length;
  }

  // --- HTTP ----------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const matched = route(method, path);
    let body: unknown;
    let bodyError = false;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        bodyError = true;
      }
    }
    const recorded: RecordedRequest = {
      operation: matched?.operation ?? 'Unknown',
      method,
      path,
      params: matched?.params ?? {},
      headers: req.headers,
      body,
      rawBody,
      at: performance.now(),
    };
    this.requests.push(recorded);
    if (!matched) {
      this.write(res, reply.error(404, 'UnknownOperationException', `No operation for ${method} ${path}`));
      return;
    }
    if (bodyError) {
      this.write(res, reply.error(400, 'SerializationException', 'Request body is not valid JSON'));
      return;
    }
    const scripted = this.queues.get(matched.operation)?.shift();
    const handler = this.handlers.get(matched.operation);
    const chosen = scripted ?? (handler ? await handler(recorded, this) : { kind: 'default' as const });
    await this.perform(chosen, recorded, req, res);
  }

  private async perform(
    chosen: StubReply,
    request: RecordedRequest,
    req: IncomingMessage,
    res: ServerResponse,
  ) {
    switch (chosen.kind) {
      case 'default':
        this.write(res, this.defaultReply(request));
        return;
      case 'reset':
        if (chosen.afterDefault) this.defaultReply(request);
        req.socket.destroy();
        return;
      case 'delay': {
        const completed = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), chosen.ms);
          res.once('close', () => {
            clearTimeout(timer);
            resolve(false);
          });
        });
        if (completed && !res.destroyed)
          await this.perform(chosen.then ?? { kind: 'default' }, request, req, res);
        return;
      }
      default:
        this.write(res, chosen);
    }
  }

  private write(res: ServerResponse, out: StubReply): void {
    const requestId = randomUUID();
    if (out.kind === 'json') {
      res.writeHead(out.status ?? 200, {
        'content-type': 'application/json',
        'x-amzn-requestid': requestId,
        ...out.headers,
      });
      res.end(JSON.stringify(out.body));
    } else if (out.kind === 'raw') {
      res.writeHead(out.status ?? 200, {
        'content-type': out.contentType ?? 'text/plain',
        'x-amzn-requestid': requestId,
      });
      res.end(out.body);
    } else if (out.kind === 'error') {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-amzn-requestid': requestId,
      };
      const body: Record<string, string> = { message: out.message ?? out.type };
      if ((out.via ?? 'header') === 'header') headers['x-amzn-errortype'] = `${out.type}:${ERROR_NAMESPACE}`;
      else body.__type = `com.amazon.bedrock#${out.type}`;
      res.writeHead(out.status, headers);
      res.end(JSON.stringify(body));
    } else {
      throw new Error(`cannot write a ${out.kind} reply`);
    }
  }

  // --- default behaviour -----------------------------------------------------------------------

  private defaultReply(request: RecordedRequest): StubReply {
    try {
      switch (request.operation) {
        case 'Converse':
          return this.converse(request);
        case 'Retrieve':
          return this.retrieve(request);
        case 'StartIngestionJob':
          return this.startIngestionJob(request);
        case 'GetIngestionJob':
          return this.getIngestionJob(request);
        case 'IngestKnowledgeBaseDocuments':
          return this.ingestDocuments(request);
        case 'GetKnowledgeBase':
          return this.getKnowledgeBase(request);
        case 'GetDataSource':
          return this.getDataSource(request);
        default:
          return reply.error(404, 'UnknownOperationException', 'Unknown operation');
      }
    } catch (error) {
      if (error instanceof StubValidationError) return reply.validation(error.message);
      if (error instanceof StubNotFoundError) return reply.notFound(error.message);
      throw error;
    }
  }

  private knowledgeBase(kbId: string | undefined): StubKnowledgeBase {
    const kb = kbId ? this.knowledgeBases.get(kbId) : undefined;
    if (!kb) throw new StubNotFoundError(`Knowledge base ${kbId} does not exist`);
    return kb;
  }

  private dataSource(kbId: string | undefined, dsId: string | undefined): StubDataSource {
    const ds = this.knowledgeBase(kbId).dataSources.find((d) => d.id === dsId);
    if (!ds) throw new StubNotFoundError(`Data source ${dsId} does not exist`);
    return ds;
  }

  private converse(request: RecordedRequest): StubReply {
    const body = request.body;
    requireThat(isObject(body), 'Converse needs a JSON body');
    requireThat(Array.isArray(body.messages) && body.messages.length > 0, 'messages must not be empty');
    requireThat(body.messages[0]?.role === 'user', 'A conversation must start with a user message');
    const temperature = body.inferenceConfig?.temperature;
    requireThat(
      temperature === undefined || (temperature >= 0 && temperature <= 1),
      'temperature must be in [0, 1]',
    );
    const tools: any[] = body.toolConfig?.tools ?? [];
    const names = tools.map((t) => t?.toolSpec?.name as unknown);
    for (const tool of tools) {
      const spec = tool?.toolSpec;
      requireThat(
        typeof spec?.name === 'string' && /^[a-zA-Z0-9_-]{1,64}$/.test(spec.name),
        'Invalid tool name',
      );
      requireThat(
        isObject(spec.inputSchema) && isObject(spec.inputSchema.json),
        'toolSpec.inputSchema.json is required',
      );
    }
    const choice = body.toolConfig?.toolChoice;
    let forced: string | undefined;
    if (choice !== undefined) {
      const kind = unionKey(choice, 'toolChoice');
      if (kind === 'tool') {
        forced = choice.tool?.name;
        requireThat(names.includes(forced), `toolChoice names a tool that is not defined: ${String(forced)}`);
      }
    }
    const inputTokens = Math.ceil(request.rawBody.length / 4);
    if (forced) return reply.toolUse(forced, this.defaultToolInput, { inputTokens, outputTokens: 30 });
    return reply.text('ok', { inputTokens, outputTokens: 1 });
  }

  private retrieve(request: RecordedRequest): StubReply {
    this.knowledgeBase(request.params.knowledgeBaseId);
    const body = request.body;
    requireThat(isObject(body), 'Retrieve needs a JSON body');
    const query = body.retrievalQuery?.text;
    requireThat(typeof query === 'string' && query.length > 0, 'retrievalQuery.text is required');
    const vector = body.retrievalConfiguration?.vectorSearchConfiguration ?? {};
    const numberOfResults: unknown = vector.numberOfResults ?? 5;
    requireThat(
      typeof numberOfResults === 'number' &&
        Number.isInteger(numberOfResults) &&
        numberOfResults >= 1 &&
        numberOfResults <= 100,
      'numberOfResults must be an integer from 1 to 100',
    );
    const filter: unknown = vector.filter;
    const kbId = request.params.knowledgeBaseId!;
    const results = this.passages(kbId)
      .filter((p) => filter === undefined || filterMatches(filter, p.metadata))
      .map((p, index) => ({ p, index, score: relevance(query, p.text) }))
      .sort((x, y) => y.score - x.score || x.index - y.index)
      .slice(0, numberOfResults)
      .map(({ p, index, score }) => ({
        content: { type: 'TEXT', text: p.text },
        ...(p.s3Uri ? { location: { type: 'S3', s3Location: { uri: p.s3Uri } } } : {}),
        score,
        metadata: {
          ...p.metadata,
          ...(p.s3Uri ? { 'x-amz-bedrock-kb-source-uri': p.s3Uri } : {}),
          'x-amz-bedrock-kb-chunk-id': `chunk-${index}`,
        },
      }));
    return reply.json({ retrievalResults: results });
  }

  private jobView(job: StubIngestionJob) {
    const done = job.status === 'COMPLETE' || job.status === 'FAILED';
    return {
      knowledgeBaseId: job.knowledgeBaseId,
      dataSourceId: job.dataSourceId,
      ingestionJobId: job.ingestionJobId,
      ...(job.description ? { description: job.description } : {}),
      status: job.status,
      ...(done && job.plan.statistics ? { statistics: job.plan.statistics } : {}),
      ...(job.status === 'FAILED' ? { failureReasons: job.plan.failureReasons ?? ['Ingestion failed'] } : {}),
      startedAt: job.startedAt,
      updatedAt: job.updatedAt,
    };
  }

  private startIngestionJob(request: RecordedRequest): StubReply {
    const { knowledgeBaseId, dataSourceId } = request.params;
    this.dataSource(knowledgeBaseId, dataSourceId);
    const body = isObject(request.body) ? request.body : {};
    const clientToken = body.clientToken as string | undefined;
    if (clientToken !== undefined) {
      requireThat(
        typeof clientToken === 'string' && clientToken.length >= 33 && clientToken.length <= 256,
        'clientToken must be 33 to 256 characters',
      );
      const existing = this.jobsByToken.get(`${knowledgeBaseId}/${dataSourceId}/${clientToken}`);
      if (existing) return reply.json({ ingestionJob: this.jobView(this.jobs.get(existing)!) }, 202);
    }
    const now = new Date().toISOString();
    const job: StubIngestionJob = {
      knowledgeBaseId: knowledgeBaseId!,
      dataSourceId: dataSourceId!,
      ingestionJobId: randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase(),
      clientToken,
      description: typeof body.description === 'string' ? body.description : undefined,
      status: 'STARTING',
      plan: this.ingestionPlans.shift() ?? {
        outcome: 'COMPLETE',
        inProgressPolls: 1,
        statistics: {
          numberOfDocumentsScanned: 1,
          numberOfNewDocumentsIndexed: 1,
          numberOfDocumentsFailed: 0,
        },
      },
      polls: 0,
      startedAt: now,
      updatedAt: now,
    };
    this.jobs.set(job.ingestionJobId, job);
    if (clientToken)
      this.jobsByToken.set(`${knowledgeBaseId}/${dataSourceId}/${clientToken}`, job.ingestionJobId);
    return reply.json({ ingestionJob: this.jobView(job) }, 202);
  }

  private getIngestionJob(request: RecordedRequest): StubReply {
    const { knowledgeBaseId, dataSourceId, ingestionJobId } = request.params;
    this.dataSource(knowledgeBaseId, dataSourceId);
    const job = ingestionJobId ? this.jobs.get(ingestionJobId) : undefined;
    if (!job || job.knowledgeBaseId !== knowledgeBaseId || job.dataSourceId !== dataSourceId) {
      throw new StubNotFoundError(`Ingestion job ${ingestionJobId} does not exist`);
    }
    if (job.status === 'STARTING' || job.status === 'IN_PROGRESS') {
      job.polls += 1;
      job.status = job.polls > (job.plan.inProgressPolls ?? 1) ? job.plan.outcome : 'IN_PROGRESS';
      job.updatedAt = new Date().toISOString();
    }
    return reply.json({ ingestionJob: this.jobView(job) });
  }

  private ingestDocuments(request: RecordedRequest): StubReply {
    const { knowledgeBaseId, dataSourceId } = request.params;
    const ds = this.dataSource(knowledgeBaseId, dataSourceId);
    const body = request.body;
    requireThat(isObject(body), 'IngestKnowledgeBaseDocuments needs a JSON body');
    const clientToken = body.clientToken as string | undefined;
    const tokenKey = clientToken ? `${knowledgeBaseId}/${dataSourceId}/${clientToken}` : undefined;
    if (tokenKey && this.ingestResponsesByToken.has(tokenKey)) {
      return reply.json(this.ingestResponsesByToken.get(tokenKey), 202);
    }
    const documents: unknown = body.documents;
    requireThat(
      Array.isArray(documents) && documents.length >= 1 && documents.length <= 25,
      'documents takes 1 to 25 items',
    );
    const details = documents.map((doc: any, i: number) => {
      const where = `documents[${i}]`;
      requireThat(isObject(doc) && isObject(doc.content), `${where}.content is required`);
      const content = doc.content;
      requireThat(
        content.dataSourceType === ds.type,
        `${where}.content.dataSourceType ${String(content.dataSourceType)} does not match the data source type ${ds.type}`,
      );
      let contentMethod: 'IN_LINE' | 'S3_LOCATION';
      let identifier: Record<string, unknown>;
      if (ds.type === 'S3') {
        const uri = content.s3?.s3Location?.uri;
        requireThat(
          typeof uri === 'string' && uri.startsWith('s3://'),
          `${where}.content.s3.s3Location.uri must be an s3:// URI`,
        );
        contentMethod = 'S3_LOCATION';
        identifier = { dataSourceType: 'S3', s3: { uri } };
      } else {
        const custom = content.custom;
        requireThat(isObject(custom), `${where}.content.custom is required`);
        const id = custom.customDocumentIdentifier?.id;
        requireThat(
          typeof id === 'string' && id.length > 0,
          `${where}.content.custom.customDocumentIdentifier.id is required`,
        );
        requireThat(
          custom.sourceType === 'IN_LINE' || custom.sourceType === 'S3_LOCATION',
          `${where} has an invalid sourceType`,
        );
        contentMethod = custom.sourceType;
        if (custom.sourceType === 'IN_LINE') {
          const inline = custom.inlineContent;
          requireThat(
            inline?.type === 'TEXT' ? typeof inline.textContent?.data === 'string' : inline?.type === 'BYTE',
            `${where}.content.custom.inlineContent is invalid`,
          );
        } else {
          requireThat(
            typeof custom.s3Location?.uri === 'string',
            `${where}.content.custom.s3Location.uri is required`,
          );
        }
        identifier = { dataSourceType: 'CUSTOM', custom: { id } };
      }
      const metadata = doc.metadata;
      const attributes: StubMetadata = {};
      if (metadata !== undefined) {
        requireThat(isObject(metadata), `${where}.metadata must be an object`);
        if (metadata.type === 'IN_LINE_ATTRIBUTE') {
          requireThat(
            contentMethod === 'IN_LINE',
            `${where}: content and metadata must be defined the same way`,
          );
          const list: unknown = metadata.inlineAttributes;
          requireThat(
            Array.isArray(list) && list.length >= 1 && list.length <= 50,
            `${where}.metadata.inlineAttributes takes 1 to 50 items`,
          );
          for (const attr of list) {
            requireThat(
              typeof attr?.key === 'string' && attr.key.length > 0,
              `${where}: attribute key is required`,
            );
            const v = attr.value;
            const typed =
              v?.type === 'STRING'
                ? v.stringValue
                : v?.type === 'NUMBER'
                  ? v.numberValue
                  : v?.type === 'BOOLEAN'
                    ? v.booleanValue
                    : v?.type === 'STRING_LIST'
                      ? v.stringListValue
                      : undefined;
            requireThat(
              typed !== undefined,
              `${where}: attribute ${String(attr.key)} has no value of its type`,
            );
            attributes[attr.key] = typed;
          }
        } else {
          requireThat(metadata.type === 'S3_LOCATION', `${where}.metadata.type is invalid`);
          requireThat(
            contentMethod === 'S3_LOCATION',
            `${where}: content and metadata must be defined the same way`,
          );
          const metadataUri: unknown = metadata.s3Location?.uri;
          requireThat(
            typeof metadataUri === 'string' && metadataUri.startsWith('s3://'),
            `${where}.metadata.s3Location.uri must be an s3:// URI`,
          );
        }
      }
      this.ingestedDocuments.push({
        knowledgeBaseId: knowledgeBaseId!,
        dataSourceId: dataSourceId!,
        clientToken,
        document: doc,
      });
      const text = content.custom?.inlineContent?.textContent?.data;
      if (typeof text === 'string') {
        this.addPassages(knowledgeBaseId!, [{ text, metadata: attributes }]);
      }
      return {
        knowledgeBaseId,
        dataSourceId,
        status: 'STARTING',
        identifier,
        updatedAt: new Date().toISOString(),
      };
    });
    const out = { documentDetails: details };
    if (tokenKey) this.ingestResponsesByToken.set(tokenKey, out);
    return reply.json(out, 202);
  }

  private getKnowledgeBase(request: RecordedRequest): StubReply {
    const kb = this.knowledgeBase(request.params.knowledgeBaseId);
    const now = new Date().toISOString();
    return reply.json({
      knowledgeBase: {
        knowledgeBaseId: kb.id,
        name: `kb-${kb.id}`,
        knowledgeBaseArn: `arn:aws:bedrock:us-east-1:000000000000:knowledge-base/${kb.id}`,
        roleArn: 'arn:aws:iam::000000000000:role/stub-kb-role',
        knowledgeBaseConfiguration: {
          type: 'VECTOR',
          vectorKnowledgeBaseConfiguration: {
            embeddingModelArn: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0',
          },
        },
        status: kb.status ?? 'ACTIVE',
        createdAt: now,
        updatedAt: now,
      },
    });
  }

  private getDataSource(request: RecordedRequest): StubReply {
    const { knowledgeBaseId, dataSourceId } = request.params;
    const ds = this.dataSource(knowledgeBaseId, dataSourceId);
    const now = new Date().toISOString();
    return reply.json({
      dataSource: {
        knowledgeBaseId,
        dataSourceId: ds.id,
        name: `ds-${ds.id}`,
        status: ds.status ?? 'AVAILABLE',
        dataSourceConfiguration:
          ds.type === 'S3'
            ? { type: 'S3', s3Configuration: { bucketArn: 'arn:aws:s3:::stub-bucket' } }
            : { type: 'CUSTOM' },
        createdAt: now,
        updatedAt: now,
      },
    });
  }
}

export function startBedrockStub(): Promise<BedrockStub> {
  return BedrockStub.start();
}

/** Static keys: the SDK signs every request (SigV4) and the stub does not check signatures. */
export const FAKE_CREDENTIALS = {
  accessKeyId: 'AKIDSTUBSTUBSTUBSTUB',
  secretAccessKey: 'stub-secret-access-key',
};
