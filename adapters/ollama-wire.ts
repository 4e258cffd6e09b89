// Ollama's native chat API: POST /api/chat, NDJSON chunks, final object with `done: true` (docs/protocols.md §1.5, §1.9).
import { midStreamError, interrupted, type WireContext } from './wire-errors.js';
import { NdjsonSplitter } from './ndjson-lines.js';
import { generatedCallId, parseArguments } from './tool-calls.js';
import { checkContinuation, type ChunkDecoder, type StreamCall, type WireModule } from './wire-module.js';
import { listOllamaModels, ollamaModelInfo, ollamaPull } from './ollama-models.js';
import { ollamaEmbed } from './embeddings.js';
import type {
  ChatMessage,
  ChatRequest,
  FinishReason,
  SamplingOptions,
  ServerHints,
  StreamChunk,
  TextCompletionRequest,
  ToolCall,
  Usage,
} from './types.js';
import type { ServerQuirks } from './server-quirks.js';

function toOllamaMessage(m: ChatMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: m.role, content: m.content };
  if (m.toolCalls?.length) {
    out.tool_calls = m.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } }));
  }
  if (m.toolName !== undefined) out.tool_name = m.toolName;
  if (m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
  return out;
}

function optionsOf(s: SamplingOptions, hints: ServerHints): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (hints.contextSize !== undefined) options.num_ctx = hints.contextSize;
  if (s.temperature !== undefined) options.temperature = s.temperature;
  if (s.topP !== undefined) options.top_p = s.topP;
  if (s.maxTokens !== undefined) options.num_predict = s.maxTokens;
  if (s.stop !== undefined) options.stop = s.stop;
  if (s.seed !== undefined) options.seed = s.seed;
  return options;
}

function chatBody(
  req: ChatRequest,
  model: string | undefined,
  quirks: ServerQuirks,
  ctx: WireContext,
): Record<string, unknown> {
  // Ollama continues a trailing assistant message as sent: nothing to add but the check.
  checkContinuation(req, quirks, ctx);
  const options = optionsOf(req.sampling ?? {}, req);
  const body: Record<string, unknown> = { model, messages: req.messages.map(toOllamaMessage), stream: true };
  if (Object.keys(options).length > 0) body.options = options;
  if (req.keepAlive !== undefined) body.keep_alive = req.keepAlive;
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
  }
  if (req.schema) body.format = req.schema;
  return body;
}

interface OllamaChunk {
  model?: string;
  /** /api/generate's text. */
  response?: string;
  message?: {
    content?: string;
    tool_calls?: { id?: string; function?: { index?: number; name?: string; arguments?: unknown } }[];
  };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: unknown;
}

function finishReasonOf(doneReason: string | undefined, toolCalls: number): FinishReason {
  if (toolCalls > 0) return 'tool_calls';
  if (doneReason === 'stop') return 'stop';
  if (doneReason === 'length') return 'length';
  return 'unknown';
}

/** One streamed /api/chat (or /api/generate) answer: NDJSON lines in, chunks out; `done: true` ends it (§1.5). */
class OllamaDecoder implements ChunkDecoder {
  failure: Error | undefined;
  finished = false;
  private readonly lines: NdjsonSplitter;
  private readonly toolCalls: ToolCall[] = [];
  private produced = 0;

  constructor(
    private readonly ctx: WireContext,
    private readonly model: string,
  ) {
    this.lines = new NdjsonSplitter(ctx);
  }

  push(bytes: Uint8Array): StreamChunk[] {
    return this.guard((out) => {
      for (const v of this.lines.push(bytes)) this.line(v, out);
    });
  }

  end(): StreamChunk[] {
    return this.guard((out) => {
      for (const v of this.lines.end()) this.line(v, out);
      if (!this.finished) throw interrupted(this.ctx, this.produced + out.length);
    });
  }

  private guard(work: (out: StreamChunk[]) => void): StreamChunk[] {
    const out: StreamChunk[] = [];
    if (this.failure || this.finished) return out;
    try {
      work(out);
    } catch (err) {
      this.failure = err as Error;
    }
    this.produced += out.length;
    return out;
  }

  private line(value: unknown, out: StreamChunk[]): void {
    if (this.finished) return;
    const chunk = value as OllamaChunk;
    if (typeof chunk !== 'object' || chunk === null) return;
    if (chunk.error !== undefined) throw midStreamError(this.ctx, chunk, this.produced + out.length);
    const content = chunk.message?.content ?? chunk.response;
    if (content) out.push({ type: 'text', text: content });
    for (const call of chunk.message?.tool_calls ?? []) {
      const name = call.function?.name ?? '';
      const args = call.function?.arguments;
      // Ollama sends arguments as an object; a string (some builds) is parsed like OpenAI's.
      const parsed =
        typeof args === 'string' ? parseArguments(args, name, this.ctx) : ((args ?? {}) as Record<string, unknown>);
      const index = call.function?.index ?? this.toolCalls.length;
      const tc: ToolCall = { id: call.id ?? generatedCallId(), name, arguments: parsed };
      this.toolCalls.push(tc);
      out.push({ type: 'tool_call_delta', index, id: tc.id, name, argumentsDelta: JSON.stringify(parsed) });
    }
    if (chunk.done === true) {
      const usage: Usage | undefined =
        chunk.eval_count !== undefined || chunk.prompt_eval_count !== undefined
          ? {
              promptTokens: chunk.prompt_eval_count ?? 0,
              completionTokens: chunk.eval_count ?? 0,
              totalTokens: (chunk.prompt_eval_count ?? 0) + (chunk.eval_count ?? 0),
            }
          : undefined;
      out.push({
        type: 'final',
        finishReason: finishReasonOf(chunk.done_reason, this.toolCalls.length),
        usage,
        toolCalls: this.toolCalls,
        model: chunk.model ?? this.model,
      });
      this.finished = true;
    }
  }
}

// POST /api/generate: raw (the prompt as is, no template) for a plain completion; with a suffix the
// model's template builds the fill-in-the-middle prompt, and Ollama refuses a model that has none.
function textCompletion(req: TextCompletionRequest, model: string | undefined): StreamCall {
  const options = optionsOf(req.sampling ?? {}, req);
  const body: Record<string, unknown> = { model, prompt: req.prompt, stream: true };
  if (req.suffix !== undefined) body.suffix = req.suffix;
  else body.raw = true;
  if (Object.keys(options).length > 0) body.options = options;
  if (req.keepAlive !== undefined) body.keep_alive = req.keepAlive;
  return {
    path: '/api/generate',
    body,
    streamTypes: ollamaWire.streamTypes,
    decoder: (ctx, m) => new OllamaDecoder(ctx, m),
  };
}

export const ollamaWire: WireModule = {
  chatPath: '/api/chat',
  streamTypes: ['application/x-ndjson', 'application/json'],
  chatBody,
  chatDecoder: (ctx, model) => new OllamaDecoder(ctx, model),
  listModels: listOllamaModels,
  modelInfo: ollamaModelInfo,
  pull: ollamaPull,
  embed: ollamaEmbed,
  textCompletion,
};
