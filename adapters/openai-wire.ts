// The OpenAI-compatible chat API (vLLM, llama-server, LM Studio): POST /v1/chat/completions, SSE chunks
// ending in `data: [DONE]`; tool calls streamed as deltas keyed by index (docs/protocols.md §2.3, §3.2, §5).
import { legacyStreamError, midStreamError, interrupted, protocolError, type WireContext } from './wire-errors.js';
import { SseSplitter, type SseSink } from './sse-events.js';
import { ToolCallAssembler } from './tool-calls.js';
import { checkContinuation, type ChunkDecoder, type StreamCall, type WireModule } from './wire-module.js';
import { AcodeError } from '../config/index.js';
import { listOpenAiModels, openAiModelInfo } from './openai-models.js';
import { openAiEmbed } from './embeddings.js';
import { LlamaInfillDecoder } from './llama-infill.js';
import type { ChatMessage, ChatRequest, SamplingOptions, StreamChunk, TextCompletionRequest, Usage } from './types.js';
import { OpenAiJsonDecoder, finishReasonOf, usageOf, type OpenAiUsage } from './openai-json.js';
import type { ServerQuirks } from './server-quirks.js';

function toOpenAiMessage(m: ChatMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: m.role, content: m.content };
  if (m.toolCalls?.length) {
    out.tool_calls = m.toolCalls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: JSON.stringify(c.arguments) },
    }));
  }
  if (m.role === 'tool' && m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
  return out;
}

function samplingFields(s: SamplingOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (s.temperature !== undefined) body.temperature = s.temperature;
  if (s.topP !== undefined) body.top_p = s.topP;
  if (s.maxTokens !== undefined) body.max_tokens = s.maxTokens;
  if (s.stop !== undefined) body.stop = s.stop;
  if (s.seed !== undefined) body.seed = s.seed;
  return body;
}

function chatBody(
  req: ChatRequest,
  model: string | undefined,
  quirks: ServerQuirks,
  ctx: WireContext,
): Record<string, unknown> {
  checkContinuation(req, quirks, ctx);
  const body: Record<string, unknown> = {
    messages: req.messages.map(toOpenAiMessage),
    stream: true,
    stream_options: { include_usage: true },
  };
  // vLLM uses the first served model when `model` is absent; llama-server ignores it.
  if (model !== undefined) body.model = model;
  Object.assign(body, samplingFields(req.sampling ?? {}));
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
  }
  if (req.schema)
    body.response_format = { type: 'json_schema', json_schema: { name: 'response', schema: req.schema, strict: true } };
  if (req.continueFinalMessage && quirks.continueStyle === 'continue-flag') {
    body.continue_final_message = true;
    body.add_generation_prompt = false;
  }
  return body;
}

interface OpenAiToolCallDelta {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface OpenAiChunk {
  model?: string;
  /** `text` on a text_completion chunk (/v1/completions). */
  choices?: {
    delta?: { content?: string | null; tool_calls?: OpenAiToolCallDelta[] };
    text?: string;
    finish_reason?: string | null;
  }[];
  usage?: OpenAiUsage | null;
  error?: unknown;
  object?: string;
}

function parseData(data: string, ctx: WireContext): OpenAiChunk {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value === 'object' && value !== null) return value;
  } catch (err) {
    throw protocolError(ctx, 'an event that is not JSON', data, err);
  }
  throw protocolError(ctx, 'an event that is not a JSON object', data);
}

/** One streamed chat completion: SSE events in, chunks out; `[DONE]` (or a finish reason and EOF) ends it. */
class OpenAiDecoder implements ChunkDecoder, SseSink {
  failure: Error | undefined;
  finished = false;
  private readonly events: SseSplitter;
  private readonly calls = new ToolCallAssembler();
  private produced = 0;
  private finish: string | undefined;
  private usage: Usage | undefined;
  /** The chunks of the push (or end) in progress; the SSE events land here as they complete. */
  private out: StreamChunk[] = [];

  constructor(
    private readonly ctx: WireContext,
    private model: string,
  ) {
    this.events = new SseSplitter(ctx, this);
  }

  push(bytes: Uint8Array): StreamChunk[] {
    return this.guard(() => {
      this.events.push(bytes);
      this.checkEvents();
    });
  }

  end(): StreamChunk[] {
    return this.guard((out) => {
      this.events.end();
      this.checkEvents();
      if (this.finished) return;
      // Without [DONE] a stream that already said why it finished is complete (older llama-server
      // builds); one that did not was cut.
      if (this.finish === undefined) throw interrupted(this.ctx, this.produced + out.length);
      this.final(out);
    });
  }

  private guard(work: (out: StreamChunk[]) => void): StreamChunk[] {
    const out: StreamChunk[] = [];
    if (this.failure || this.finished) return out;
    this.out = out;
    try {
      work(out);
    } catch (err) {
      this.failure = err as Error;
    }
    this.produced += out.length;
    return out;
  }

  // Garbage counts only before the answer is complete; it is thrown after the chunks before it.
  private checkEvents(): void {
    if (!this.finished && this.events.error) throw this.events.error;
  }

  legacyError(value: string): void {
    if (this.finished) return;
    throw legacyStreamError(this.ctx, value, this.produced + this.out.length);
  }

  event(event: string | undefined, data: string): void {
    if (this.finished) return;
    const out = this.out;
    if (data === '[DONE]') return this.final(out);
    const chunk = parseData(data, this.ctx);
    if (event === 'error' || chunk.error !== undefined || chunk.object === 'error')
      throw midStreamError(this.ctx, chunk, this.produced + out.length);
    if (chunk.model) this.model = chunk.model;
    if (chunk.usage) this.usage = usageOf(chunk.usage);
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta;
    const text = delta?.content ?? choice.text;
    if (text) out.push({ type: 'text', text });
    // No `?? []` here: that would allocate an empty array for every text token.
    if (delta?.tool_calls) this.toolCallDeltas(delta.tool_calls, out);
    if (choice.finish_reason) this.finish = choice.finish_reason;
  }

  private toolCallDeltas(calls: OpenAiToolCallDelta[], out: StreamChunk[]): void {
    for (const tc of calls) {
      const index = tc.index ?? 0;
      this.calls.add(index, { id: tc.id, name: tc.function?.name, arguments: tc.function?.arguments });
      const delta: StreamChunk = { type: 'tool_call_delta', index, argumentsDelta: tc.function?.arguments ?? '' };
      if (tc.id) delta.id = tc.id;
      if (tc.function?.name) delta.name = tc.function.name;
      out.push(delta);
    }
  }

  private final(out: StreamChunk[]): void {
    const toolCalls = this.calls.finish(this.ctx);
    const reason = toolCalls.length > 0 && this.finish !== 'length' ? 'tool_calls' : finishReasonOf(this.finish);
    out.push({ type: 'final', finishReason: reason, usage: this.usage, toolCalls, model: this.model });
    this.finished = true;
  }
}

/**
 * A raw completion: POST /v1/completions. With a suffix, the server's own infill route where it has one
 * (llama-server /infill); elsewhere BAD_REQUEST, since vLLM refuses `suffix` and llama-server's
 * /v1/completions would silently ignore it and answer a plain continuation.
 */
function textCompletion(
  req: TextCompletionRequest,
  model: string | undefined,
  quirks: ServerQuirks,
  ctx: WireContext,
): StreamCall {
  const sampling = samplingFields(req.sampling ?? {});
  if (req.suffix === undefined) {
    const body = {
      ...(model !== undefined ? { model } : {}),
      prompt: req.prompt,
      stream: true,
      stream_options: { include_usage: true },
      ...sampling,
    };
    return { path: '/v1/completions', body, streamTypes: openAiWire.streamTypes, decoder: openAiWire.chatDecoder };
  }
  if (quirks.infillPath === undefined) {
    throw new AcodeError(
      'BAD_REQUEST',
      `${ctx.provider} cannot fill in the middle: its server has no infill route ("suffix" is not supported).`,
      'Send the request without "suffix", or route it to an Ollama provider with a code model (e.g. qwen2.5-coder) or to a llama-server provider (/infill).',
      { details: { provider: ctx.provider, httpStatus: 400 } },
    );
  }
  const { max_tokens: maxTokens, ...rest } = sampling;
  const body = {
    input_prefix: req.prompt,
    input_suffix: req.suffix,
    stream: true,
    ...rest,
    ...(maxTokens !== undefined ? { n_predict: maxTokens } : {}),
  };
  return {
    path: quirks.infillPath,
    body,
    streamTypes: ['text/event-stream'],
    decoder: (c, m) => new LlamaInfillDecoder(c, m),
  };
}

export const openAiWire: WireModule = {
  chatPath: '/v1/chat/completions',
  streamTypes: ['text/event-stream', 'application/json'],
  chatBody,
  chatDecoder: (ctx, model, type) =>
    type === 'application/json' ? new OpenAiJsonDecoder(ctx, model) : new OpenAiDecoder(ctx, model),
  listModels: listOpenAiModels,
  modelInfo: openAiModelInfo,
  embed: openAiEmbed,
  textCompletion,
};
