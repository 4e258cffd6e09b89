// The OpenAI-compatible chat API (vLLM, llama-server, LM Studio): POST /v1/chat/completions, SSE chunks
// ending in `data: [DONE]`; tool calls streamed as deltas keyed by index (§2.3, §3.2, §5).
import { midStreamError, interrupted, protocolError, type WireContext } from './wire-errors.js';
import { sseItems } from './sse-events.js';
import { ToolCallAssembler } from './tool-calls.js';
import { checkContinuation, type WireModule } from './wire-module.js';
import { listOpenAiModels, openAiModelInfo } from './openai-models.js';
import type { ChatMessage, ChatRequest, FinishReason, StreamChunk, Usage } from './types.js';
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

interface OpenAiChunk {
  model?: string;
  choices?: { delta?: { content?: string | null; tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[] }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
  error?: unknown;
  object?: string;
}

function finishReasonOf(reason: string | undefined): FinishReason {
  return reason === 'stop' || reason === 'length' || reason === 'tool_calls' ? reason : reason === undefined ? 'unknown' : 'unknown';
}

function usageOf(u: NonNullable<OpenAiChunk['usage']>): Usage {
  const prompt = u.prompt_tokens ?? 0;
  const completion = u.completion_tokens ?? 0;
  return { promptTokens: prompt, completionTokens: completion, totalTokens: u.total_tokens ?? prompt + completion };
}

function parseData(data: string, ctx: WireContext): OpenAiChunk {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value === 'object' && value !== null) return value as OpenAiChunk;
  } catch (err) {
    throw protocolError(ctx, 'an event that is not JSON', data, err);
  }
  throw protocolError(ctx, 'an event that is not a JSON object', data);
}

async function* parseChat(body: AsyncIterable<Uint8Array>, ctx: WireContext, model: string): AsyncGenerator<StreamChunk> {
  const calls = new ToolCallAssembler();
  let delivered = 0;
  let finish: string | undefined;
  let usage: Usage | undefined;
  let answerModel = model;
  let done = false;
  for await (const item of sseItems(body, ctx)) {
    if (item.kind === 'legacy-error') {
      let envelope: unknown = item.value;
      try { envelope = JSON.parse(item.value); } catch { /* keep the raw text as the message */ }
      throw midStreamError(ctx, typeof envelope === 'string' ? { error: envelope } : envelope, delivered);
    }
    if (item.data === '[DONE]') { done = true; break; }
    const chunk = parseData(item.data, ctx);
    if (item.event === 'error' || chunk.error !== undefined || chunk.object === 'error') throw midStreamError(ctx, chunk, delivered);
    if (chunk.model) answerModel = chunk.model;
    if (chunk.usage) usage = usageOf(chunk.usage);
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    const text = choice.delta?.content;
    if (text) {
      delivered++;
      yield { type: 'text', text };
    }
    for (const tc of choice.delta?.tool_calls ?? []) {
      const index = tc.index ?? 0;
      calls.add(index, { id: tc.id, name: tc.function?.name, arguments: tc.function?.arguments });
      delivered++;
      const delta: StreamChunk = { type: 'tool_call_delta', index, argumentsDelta: tc.function?.arguments ?? '' };
      if (tc.id) delta.id = tc.id;
      if (tc.function?.name) delta.name = tc.function.name;
      yield delta;
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  // Without [DONE] a stream that already said why it finished is complete (older llama-server builds);
  // one that did not is cut.
  if (!done && finish === undefined) throw interrupted(ctx, delivered);
  const toolCalls = calls.finish(ctx);
  const reason = toolCalls.length > 0 && finish !== 'length' ? 'tool_calls' : finishReasonOf(finish);
  yield { type: 'final', finishReason: reason, usage, toolCalls, model: answerModel };
}

export const openAiWire: WireModule = {
  chatPath: '/v1/chat/completions',
  streamTypes: ['text/event-stream'],
  chatBody,
  parseChat,
  listModels: listOpenAiModels,
  modelInfo: openAiModelInfo,
};
