// The OpenAI-compatible chat API (vLLM, llama-server, LM Studio): POST /v1/chat/completions, SSE chunks
// ending in `data: [DONE]`; tool calls streamed as deltas keyed by index (§2.3, §3.2, §5).
import { midStreamError, interrupted, protocolError, type WireContext } from './wire-errors.js';
import { SseSplitter, type SseSink } from './sse-events.js';
import { ToolCallAssembler } from './tool-calls.js';
import { checkContinuation, type ChunkDecoder, type WireModule } from './wire-module.js';
import { listOpenAiModels, openAiModelInfo } from './openai-models.js';
import type { ChatMessage, ChatRequest, StreamChunk, Usage } from './types.js';
import { OpenAiJsonDecoder, finishReasonOf, usageOf, type OpenAiUsage } from './openai-json.js';
import type { ServerQuirks } from './server-quirks.js';

function toOpenAiMessage(m: ChatMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: m.role, content: m.content };
  if (m.toolCalls?.length) {
    out.tool_calls = m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
  }
  if (m.role === 'tool' && m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
  return out;
}

function chatBody(req: ChatRequest, model: string | undefined, quirks: ServerQuirks, ctx: WireContext): Record<string, unknown> {
  checkContinuation(req, quirks, ctx);
  const s = req.sampling ?? {};
  const body: Record<string, unknown> = {
    messages: req.messages.map(toOpenAiMessage),
    stream: true,
    stream_options: { include_usage: true },
  };
  // vLLM uses the first served model when `model` is absent; llama-server ignores it.
  if (model !== undefined) body.model = model;
  if (s.temperature !== undefined) body.temperature = s.temperature;
  if (s.topP !== undefined) body.top_p = s.topP;
  if (s.maxTokens !== undefined) body.max_tokens = s.maxTokens;
  if (s.stop !== undefined) body.stop = s.stop;
  if (s.seed !== undefined) body.seed = s.seed;
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
  }
  if (req.schema) body.response_format = { type: 'json_schema', json_schema: { name: 'response', schema: req.schema, strict: true } };
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
  choices?: { delta?: { content?: string | null; tool_calls?: OpenAiToolCallDelta[] }; finish_reason?: string | null }[];
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

  constructor(private readonly ctx: WireContext, private model: string) {
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
    let envelope: unknown = value;
    try { envelope = JSON.parse(value); } catch { /* keep the raw text as the message */ }
    throw midStreamError(this.ctx, typeof envelope === 'string' ? { error: envelope } : envelope, this.produced + this.out.length);
  }

  event(event: string | undefined, data: string): void {
    if (this.finished) return;
    const out = this.out;
    if (data === '[DONE]') return this.final(out);
    const chunk = parseData(data, this.ctx);
    if (event === 'error' || chunk.error !== undefined || chunk.object === 'error') throw midStreamError(this.ctx, chunk, this.produced + out.length);
    if (chunk.model) this.model = chunk.model;
    if (chunk.usage) this.usage = usageOf(chunk.usage);
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta;
    const text = delta?.content;
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

export const openAiWire: WireModule = {
  chatPath: '/v1/chat/completions',
  streamTypes: ['text/event-stream', 'application/json'],
  chatBody,
  chatDecoder: (ctx, model, type) => (type === 'application/json' ? new OpenAiJsonDecoder(ctx, model) : new OpenAiDecoder(ctx, model)),
  listModels: listOpenAiModels,
  modelInfo: openAiModelInfo,
};
