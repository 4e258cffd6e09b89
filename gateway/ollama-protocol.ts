// The Ollama wire as the gateway speaks it to clients: /api/chat and /api/generate read into the engine's
// ChatRequest, answers written back as NDJSON lines ending with `done: true` and the eval counts, the
// listing routes (/api/tags, /api/ps, /api/show) from the gateway's model table. Clients (Continue, Zed,
// Aider through LiteLLM, the ollama SDK) rely on: `stream` defaulting to true, `options.num_ctx`,
// `keep_alive`, `/api/show` `capabilities` and `model_info.<arch>.context_length`, and an error as an
// `{"error": ...}` line once the 200 has gone out (docs/protocols.md, gateway section).
import type { AcodeError } from '../config/index.js';
import type {
  ChatMessage,
  ChatRequest,
  FinishReason,
  SamplingOptions,
  ServerHints,
  StreamChunk,
  ToolCall,
  Usage,
} from '../adapters/index.js';
import { badRequest, ollamaErrorBody } from './errors.js';
import { openAiTools, type GatewayModel } from './openai-protocol.js';
import { isObject, messageObjects, numberField, requireModel, type Json } from './body-fields.js';

export interface OllamaCall {
  model: string;
  request: ChatRequest;
  stream: boolean;
  /** /api/generate with a suffix: fill in the middle. */
  suffix?: string;
  /** /api/generate with raw: true: the prompt goes to the model as is, no template (a text completion). */
  raw?: boolean;
}

// options.num_ctx and keep_alive ride on the request as ServerHints: an Ollama backend gets them as sent,
// the engine restarts or reports for the others (engine.ts, server-hints.ts).
function options(body: Json): { sampling?: SamplingOptions; hints: ServerHints } {
  const o = body.options;
  const keepAlive = keepAliveOf(body);
  const hints: ServerHints = keepAlive !== undefined ? { keepAlive } : {};
  if (o === undefined || o === null) return { hints };
  if (!isObject(o))
    throw badRequest('"options" is not an object.', 'Send options as {"temperature":0, "num_ctx":8192, ...}.');
  const num = (name: string): number | undefined => numberField(o, name, `options.${name}`);
  const sampling: SamplingOptions = {};
  const temperature = num('temperature');
  const topP = num('top_p');
  const maxTokens = num('num_predict');
  const seed = num('seed');
  if (temperature !== undefined) sampling.temperature = temperature;
  if (topP !== undefined) sampling.topP = topP;
  if (maxTokens !== undefined && maxTokens >= 0) sampling.maxTokens = maxTokens;
  if (seed !== undefined) sampling.seed = seed;
  if (Array.isArray(o.stop) && o.stop.every((s) => typeof s === 'string')) sampling.stop = o.stop;
  const numCtx = num('num_ctx');
  if (numCtx !== undefined && (!Number.isInteger(numCtx) || numCtx <= 0))
    throw badRequest('"options.num_ctx" is not a positive whole number.', 'Send num_ctx as tokens, e.g. 8192.');
  if (numCtx !== undefined) hints.contextSize = numCtx;
  return { ...(Object.keys(sampling).length > 0 ? { sampling } : {}), hints };
}

function schemaOf(format: unknown): Json | undefined {
  if (format === 'json') return { type: 'object' };
  if (isObject(format)) return format;
  return undefined;
}

/** A body's keep_alive: a number of seconds or a duration string; anything else is not one. */
export function keepAliveOf(body: Json): string | number | undefined {
  return typeof body.keep_alive === 'string' || typeof body.keep_alive === 'number' ? body.keep_alive : undefined;
}

function ollamaMessages(value: unknown): ChatMessage[] {
  return messageObjects(value, '/api/chat', (m, where, i): ChatMessage => {
    const role = m.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'tool') {
      throw badRequest(
        `${where}.role "${String(role)}" is not system, user, assistant or tool.`,
        'Use one of those roles.',
      );
    }
    if (Array.isArray(m.images) && m.images.length > 0)
      throw badRequest(`${where} has images; the gateway does not pass images yet.`, 'Send text only.');
    const message: ChatMessage = { role, content: typeof m.content === 'string' ? m.content : '' };
    if (role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      message.toolCalls = m.tool_calls.map((c, j): ToolCall => {
        const fn = isObject(c) && isObject(c.function) ? c.function : undefined;
        if (!fn || typeof fn.name !== 'string')
          throw badRequest(
            `${where}.tool_calls[${j}] has no function name.`,
            'Echo tool calls back as the gateway sent them.',
          );
        return { id: `call_${i}_${j}`, name: fn.name, arguments: isObject(fn.arguments) ? fn.arguments : {} };
      });
    }
    if (role === 'tool' && typeof m.tool_name === 'string') message.toolName = m.tool_name;
    return message;
  });
}

/** Reads a POST /api/chat body. */
export function readOllamaChat(body: unknown): OllamaCall {
  if (!isObject(body))
    throw badRequest('/api/chat: the body is not a JSON object.', 'Send a JSON object with "model" and "messages".');
  const model = requireModel(body, '/api/chat');
  const { sampling, hints } = options(body);
  const tools = openAiTools(body.tools);
  const schema = schemaOf(body.format);
  return {
    model,
    request: {
      messages: ollamaMessages(body.messages),
      ...(tools && tools.length > 0 ? { tools } : {}),
      ...(sampling ? { sampling } : {}),
      ...(schema ? { schema } : {}),
      ...hints,
    },
    stream: body.stream !== false,
  };
}

/**
 * Reads a POST /api/generate body: the prompt (and system) become a chat; a suffix asks for infill; raw
 * asks for the prompt as is (a text completion), refused with system, template or context as Ollama does.
 */
export function readOllamaGenerate(body: unknown): OllamaCall {
  if (!isObject(body))
    throw badRequest('/api/generate: the body is not a JSON object.', 'Send a JSON object with "model" and "prompt".');
  const model = requireModel(body, '/api/generate');
  if (typeof body.prompt !== 'string')
    throw badRequest('/api/generate: "prompt" is missing.', 'Send "prompt" as a string.');
  const { sampling, hints } = options(body);
  const schema = schemaOf(body.format);
  const raw = body.raw === true;
  const given = (v: unknown) => (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0);
  if (raw && (given(body.system) || given(body.template) || given(body.context)))
    throw badRequest(
      '/api/generate: raw mode does not support template, system, or context.',
      'Send the whole prompt, already templated, without "system", "template" and "context"; or leave "raw" out.',
    );
  if (raw && schema)
    throw badRequest(
      '/api/generate: raw mode with "format" is not supported by the gateway.',
      'Leave "format" out, or use /api/chat with "format" for structured output.',
    );
  const messages: ChatMessage[] = [];
  if (typeof body.system === 'string' && body.system !== '') messages.push({ role: 'system', content: body.system });
  messages.push({ role: 'user', content: body.prompt });
  return {
    model,
    request: { messages, ...(sampling ? { sampling } : {}), ...(schema ? { schema } : {}), ...hints },
    stream: body.stream !== false,
    ...(typeof body.suffix === 'string' && body.suffix !== '' ? { suffix: body.suffix } : {}),
    ...(raw ? { raw } : {}),
  };
}

function doneReason(reason: FinishReason): string {
  return reason === 'length' ? 'length' : 'stop';
}

function counts(usage: Usage | undefined, totalNs: number): Json {
  return {
    total_duration: totalNs,
    load_duration: 0,
    prompt_eval_count: usage?.promptTokens ?? 0,
    prompt_eval_duration: 0,
    eval_count: usage?.completionTokens ?? 0,
    eval_duration: totalNs,
  };
}

function ollamaCalls(calls: ToolCall[]): Json[] {
  return calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } }));
}

/**
 * Writes one answer as Ollama NDJSON lines, for /api/chat (`message`) or /api/generate (`response`).
 * Ollama sends tool calls whole, so deltas are held until the final chunk carries the parsed calls.
 */
export class OllamaStream {
  private readonly t0 = process.hrtime.bigint();

  constructor(
    private readonly model: string,
    private readonly route: 'chat' | 'generate',
  ) {}

  private line(fields: Json): string {
    return `${JSON.stringify({ model: this.model, created_at: new Date().toISOString(), ...fields })}\n`;
  }

  private body(text: string, calls?: ToolCall[]): Json {
    if (this.route === 'generate') return { response: text };
    return {
      message: {
        role: 'assistant',
        content: text,
        ...(calls && calls.length > 0 ? { tool_calls: ollamaCalls(calls) } : {}),
      },
    };
  }

  /** Load progress: an empty line of the answer's shape, so a client's read timeout restarts. */
  progress(): string {
    return this.line({ ...this.body(''), done: false });
  }

  chunk(chunk: StreamChunk): string {
    if (chunk.type === 'text') return chunk.text === '' ? '' : this.line({ ...this.body(chunk.text), done: false });
    if (chunk.type !== 'final') return '';
    const ns = Number(process.hrtime.bigint() - this.t0);
    let out = chunk.toolCalls.length > 0 ? this.line({ ...this.body('', chunk.toolCalls), done: false }) : '';
    out += this.line({
      ...this.body(''),
      done: true,
      done_reason: doneReason(chunk.finishReason),
      ...counts(chunk.usage, ns),
    });
    return out;
  }

  /** A whole answer (stream: false) as one object. */
  whole(answer: { text: string; toolCalls: ToolCall[]; finishReason: FinishReason; usage?: Usage }): Json {
    const ns = Number(process.hrtime.bigint() - this.t0);
    return {
      model: this.model,
      created_at: new Date().toISOString(),
      ...this.body(answer.text, answer.toolCalls),
      done: true,
      done_reason: doneReason(answer.finishReason),
      ...counts(answer.usage, ns),
    };
  }

  error(error: AcodeError): string {
    return `${JSON.stringify(ollamaErrorBody(error))}\n`;
  }
}

function details(m: GatewayModel): Json {
  return { format: 'gguf', family: m.provider, families: [m.provider], parameter_size: '', quantization_level: '' };
}

/** GET /api/tags. */
export function ollamaTags(models: readonly GatewayModel[]): Json {
  return {
    models: models.map((m) => ({
      name: m.id,
      model: m.id,
      modified_at: new Date(m.created * 1000).toISOString(),
      size: 0,
      digest: '',
      details: details(m),
      ...(m.contextLength !== undefined ? { context_length: m.contextLength } : {}),
      acode: { provider: m.provider, model: m.model, state: m.state },
    })),
  };
}

/** GET /api/ps: the models whose server is up and serving. */
export function ollamaPs(models: readonly GatewayModel[]): Json {
  return {
    models: models
      .filter((m) => m.state === 'ready')
      .map((m) => ({
        name: m.id,
        model: m.id,
        size: 0,
        digest: '',
        details: details(m),
        expires_at: '0001-01-01T00:00:00Z',
        size_vram: 0,
        ...(m.contextLength !== undefined ? { context_length: m.contextLength } : {}),
      })),
  };
}

/** POST /api/show: what Continue and Zed read (capabilities, context length, parameters, template). */
export function ollamaShow(m: GatewayModel): Json {
  const arch = m.provider;
  return {
    modelfile: `# served by acode through ${m.provider}\nFROM ${m.model}\n`,
    parameters: m.contextLength !== undefined ? `num_ctx ${m.contextLength}` : '',
    template: '{{ .Prompt }}',
    details: details(m),
    model_info: {
      'general.architecture': arch,
      ...(m.contextLength !== undefined ? { [`${arch}.context_length`]: m.contextLength } : {}),
    },
    capabilities: m.capabilities ?? ['completion'],
    modified_at: new Date(m.created * 1000).toISOString(),
  };
}
