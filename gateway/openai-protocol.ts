// The OpenAI wire as the gateway speaks it to clients: requests read into the engine's ChatRequest, and
// answers written back as `chat.completion` objects or `chat.completion.chunk` SSE frames. Clients
// (opencode, Continue, Zed, the openai SDK) rely on: `stream_options.include_usage` ending the stream
// with a `choices: []` usage chunk, tool calls streamed by index, `data: [DONE]`, and an error as a
// `data: {"error":...}` frame once the 200 has gone out (docs/protocols.md, gateway section).
import { randomUUID } from 'node:crypto';
import type { AcodeError } from '../config/index.js';
import type {
  ChatMessage,
  ChatRequest,
  FinishReason,
  SamplingOptions,
  StreamChunk,
  ToolCall,
  ToolDefinition,
  Usage,
} from '../adapters/index.js';
import { badRequest, openAiErrorBody } from './errors.js';
import { isObject, messageObjects, numberField, requireModel, type Json } from './body-fields.js';

export interface OpenAiChat {
  model: string;
  request: ChatRequest;
  stream: boolean;
  includeUsage: boolean;
}

function contentText(content: unknown, where: string): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        if (isObject(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
        if (isObject(part) && (part.type === 'image_url' || part.type === 'input_audio')) {
          throw badRequest(
            `${where}: ${String(part.type)} content is not supported by the gateway yet.`,
            'Send text content only.',
          );
        }
        throw badRequest(
          `${where}: a content part is not {"type":"text","text":...}.`,
          'Send content as a string or text parts.',
        );
      })
      .join('');
  }
  throw badRequest(`${where}: "content" is neither a string nor a list of parts.`, 'Send content as a string.');
}

function toolCallsOf(value: unknown, where: string): ToolCall[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.map((call, i) => {
    const fn = isObject(call) && isObject(call.function) ? call.function : undefined;
    if (!fn || typeof fn.name !== 'string')
      throw badRequest(
        `${where}.tool_calls[${i}] has no function name.`,
        'Echo tool calls back as the gateway sent them.',
      );
    let args: unknown = fn.arguments ?? {};
    if (typeof args === 'string') {
      try {
        args = args.trim() === '' ? {} : JSON.parse(args);
      } catch {
        throw badRequest(
          `${where}.tool_calls[${i}].function.arguments is not JSON.`,
          'Send the arguments string the model produced.',
        );
      }
    }
    if (!isObject(args))
      throw badRequest(
        `${where}.tool_calls[${i}].function.arguments is not a JSON object.`,
        'Send the arguments object the model produced.',
      );
    return {
      id: isObject(call) && typeof call.id === 'string' ? call.id : `call_${i}`,
      name: fn.name,
      arguments: args,
    };
  });
}

function openAiMessages(value: unknown): ChatMessage[] {
  return messageObjects(value, 'chat/completions', (m, where): ChatMessage => {
    const role = m.role === 'developer' ? 'system' : m.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'tool') {
      throw badRequest(
        `${where}.role "${String(m.role)}" is not system, developer, user, assistant or tool.`,
        'Use one of those roles.',
      );
    }
    const message: ChatMessage = { role, content: contentText(m.content, where) };
    const calls = role === 'assistant' ? toolCallsOf(m.tool_calls, where) : undefined;
    if (calls) message.toolCalls = calls;
    if (role === 'tool' && typeof m.tool_call_id === 'string') message.toolCallId = m.tool_call_id;
    if (role === 'tool' && typeof m.name === 'string') message.toolName = m.name;
    return message;
  });
}

export function openAiTools(value: unknown): ToolDefinition[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value))
    throw badRequest('"tools" is not a list.', 'Send tools as [{"type":"function","function":{...}}].');
  return value.map((t, i) => {
    const fn = isObject(t) && isObject(t.function) ? t.function : undefined;
    if (!fn || typeof fn.name !== 'string')
      throw badRequest(
        `tools[${i}] has no function.name.`,
        'Send tools as [{"type":"function","function":{"name":...}}].',
      );
    return {
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      parameters: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
    };
  });
}

export function openAiSampling(body: Json): SamplingOptions | undefined {
  const sampling: SamplingOptions = {};
  const temperature = numberField(body, 'temperature');
  const topP = numberField(body, 'top_p');
  const maxTokens = numberField(body, 'max_completion_tokens') ?? numberField(body, 'max_tokens');
  const seed = numberField(body, 'seed');
  if (temperature !== undefined) sampling.temperature = temperature;
  if (topP !== undefined) sampling.topP = topP;
  if (maxTokens !== undefined) sampling.maxTokens = maxTokens;
  if (seed !== undefined) sampling.seed = seed;
  const stop = body.stop;
  if (typeof stop === 'string') sampling.stop = [stop];
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) sampling.stop = stop;
  else if (stop !== undefined && stop !== null)
    throw badRequest(
      '"stop" is neither a string nor a list of strings.',
      'Send "stop" as a string or a list of strings.',
    );
  return Object.keys(sampling).length > 0 ? sampling : undefined;
}

function schemaOf(format: unknown): Json | undefined {
  if (!isObject(format)) return undefined;
  if (format.type === 'json_schema' && isObject(format.json_schema) && isObject(format.json_schema.schema))
    return format.json_schema.schema;
  if (format.type === 'json_object') return { type: 'object' };
  return undefined;
}

/** Reads a POST /v1/chat/completions body. Throws BAD_REQUEST naming the field at fault. */
export function readOpenAiChat(body: unknown): OpenAiChat {
  if (!isObject(body))
    throw badRequest(
      'chat/completions: the body is not a JSON object.',
      'Send a JSON object with "model" and "messages".',
    );
  const model = requireModel(body, 'chat/completions');
  const tools = openAiTools(body.tools);
  const sampling = openAiSampling(body);
  const schema = schemaOf(body.response_format);
  const request: ChatRequest = {
    messages: openAiMessages(body.messages),
    ...(tools && tools.length > 0 && body.tool_choice !== 'none' ? { tools } : {}),
    ...(sampling ? { sampling } : {}),
    ...(schema ? { schema } : {}),
  };
  const stream = body.stream === true;
  const includeUsage = stream && isObject(body.stream_options) && body.stream_options.include_usage === true;
  return { model, request, stream, includeUsage };
}

export function openAiUsage(usage: Usage | undefined): Json | undefined {
  return usage
    ? { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.totalTokens }
    : undefined;
}

function finishReason(reason: FinishReason): string {
  return reason === 'error' || reason === 'unknown' ? 'stop' : reason;
}

function wireCalls(calls: ToolCall[]): Json[] {
  return calls.map((c, index) => ({
    index,
    id: c.id,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }));
}

/** A whole (non-streamed) answer as a `chat.completion` object. */
export function openAiCompletion(
  model: string,
  answer: { text: string; toolCalls: ToolCall[]; finishReason: FinishReason; usage?: Usage },
): Json {
  const usage = openAiUsage(answer.usage);
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.toolCalls.length > 0 && answer.text === '' ? null : answer.text,
          ...(answer.toolCalls.length > 0
            ? { tool_calls: wireCalls(answer.toolCalls).map(({ index: _i, ...c }) => c) }
            : {}),
        },
        finish_reason: finishReason(answer.finishReason),
      },
    ],
    ...(usage ? { usage } : {}),
  };
}

/**
 * Writes one streamed answer as SSE frames. Text goes out as it comes. Tool calls go out whole, from the
 * final chunk: a call the engine had to restart (a crash mid-call) must never reach the client half
 * built, and a call sent whole is what clients' delta readers accept too (so a server that returns
 * calls only whole streams like any other). Usage is sent when asked: the server's, or the gateway's
 * count (usage.ts) where the server sent none.
 */
export class OpenAiChatStream {
  private readonly id = `chatcmpl-${randomUUID()}`;
  private readonly created = Math.floor(Date.now() / 1000);
  private started = false;

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
  ) {}

  private frame(delta: Json, finish: string | null = null, extra: Json = {}): string {
    return `data: ${JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  }

  private role(delta: Json): Json {
    if (this.started) return delta;
    this.started = true;
    return { role: 'assistant', ...delta };
  }

  /** A comment line: keeps the connection and the client's read timeout alive while a server loads. */
  static comment(text: string): string {
    return `: ${text.replace(/\n/g, ' ')}\n\n`;
  }

  /** Load progress as `reasoning_content` (what llama-swap's sendLoadingState sends), shown by UIs. */
  progress(text: string): string {
    return this.frame(this.role({ reasoning_content: `${text}\n` }));
  }

  chunk(chunk: StreamChunk): string {
    switch (chunk.type) {
      case 'text':
        return chunk.text === '' ? '' : this.frame(this.role({ content: chunk.text }));
      case 'tool_call_delta':
      case 'restarted':
        return '';
      case 'final': {
        let out = '';
        if (chunk.toolCalls.length > 0) out += this.frame(this.role({ tool_calls: wireCalls(chunk.toolCalls) }));
        out += this.frame(this.started ? {} : this.role({ content: '' }), finishReason(chunk.finishReason));
        const usage = openAiUsage(chunk.usage);
        if (this.includeUsage) {
          out += `data: ${JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: usage ?? null })}\n\n`;
        }
        return `${out}data: [DONE]\n\n`;
      }
    }
  }

  /** The typed error frame that ends a stream the engine could not finish (never a silent end). */
  error(error: AcodeError): string {
    return `data: ${JSON.stringify(openAiErrorBody(error))}\n\ndata: [DONE]\n\n`;
  }
}

/** GET /v1/models: every configured model, with its provider, live state and context. */
export function openAiModelList(models: readonly GatewayModel[]): Json {
  return {
    object: 'list',
    data: models.map((m) => ({
      id: m.id,
      object: 'model',
      created: m.created,
      owned_by: m.provider,
      ...(m.contextLength !== undefined ? { context_length: m.contextLength, max_model_len: m.contextLength } : {}),
      acode: {
        provider: m.provider,
        model: m.model,
        state: m.state,
        ...(m.capabilities ? { capabilities: m.capabilities } : {}),
      },
    })),
  };
}

/** One routable model as the listing routes show it. */
export interface GatewayModel {
  /** What clients send as "model": `provider/model`. */
  id: string;
  provider: string;
  model: string;
  /** ready, loading, stopped, crash-looping, unavailable. */
  state: string;
  created: number;
  contextLength?: number;
  capabilities?: string[];
}
