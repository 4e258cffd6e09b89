// Turns an OpenAI-style chat or completion request into a generation plan shared by the vLLM and
// llama-server fakes: prompt key, output shape, continuation prefix, limits, tool call.

import type { JsonSchema } from './schema-value.js';
import {
  chatPrompt,
  contentText,
  plan,
  promptTokenCount,
  rawContinuation,
  type GenerationKey,
  type OutputShape,
  type Planned,
} from './tokens.js';
import { chooseTool, toolArguments, toolSpecs, type ToolSpec } from './tools.js';

export interface OpenAIPlan extends Planned {
  key: GenerationKey;
  stream: boolean;
  includeUsage: boolean;
  promptTokens: number;
  tool: { spec: ToolSpec; arguments: string } | null;
}

export class RequestInvalid extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;

function isRecord(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The JSON schema requested by response_format / structured_outputs / llama's json_schema, if any. */
function outputShape(body: Body): OutputShape {
  const rf = isRecord(body.response_format) ? body.response_format : null;
  if (rf?.type === 'json_schema') {
    const js = isRecord(rf.json_schema) ? rf.json_schema : null;
    const schema = (js && 'schema' in js ? js.schema : rf.schema) as JsonSchema | undefined;
    return { kind: 'json', schema: schema ?? {} };
  }
  if (rf?.type === 'json_object') return { kind: 'json', schema: rf.schema as JsonSchema | undefined };
  const so = isRecord(body.structured_outputs) ? body.structured_outputs : null;
  if (so && so.json !== undefined) {
    return { kind: 'json', schema: (typeof so.json === 'string' ? JSON.parse(so.json) : so.json) as JsonSchema };
  }
  if (isRecord(body.json_schema)) return { kind: 'json', schema: body.json_schema };
  return { kind: 'text' };
}

function common(
  body: Body,
  allowStreamOptionsAlone: boolean,
): { stream: boolean; includeUsage: boolean; maxTokens: number | null; seed: number | undefined } {
  const stream = body.stream === true;
  if (!allowStreamOptionsAlone && body.stream_options !== undefined && body.stream_options !== null && !stream) {
    throw new RequestInvalid('Stream options can only be defined when `stream=True`.', 'stream_options');
  }
  const so = isRecord(body.stream_options) ? body.stream_options : {};
  const maxTokens =
    numberOrNull(body.max_completion_tokens) ?? numberOrNull(body.max_tokens) ?? numberOrNull(body.n_predict);
  const seed = numberOrNull(body.seed) ?? undefined;
  return { stream, includeUsage: stream && so.include_usage === true, maxTokens, seed };
}

export interface ChatPlanOptions {
  model: string;
  fixedCount: number | null;
  /** vLLM continues only with continue_final_message; llama-server prefills any trailing assistant turn. */
  continuation: 'explicit' | 'implicit';
  allowStreamOptionsAlone: boolean;
}

export function planChat(body: Body, opts: ChatPlanOptions): OpenAIPlan {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new RequestInvalid(
      Array.isArray(messages) ? "[] is too short - 'messages'" : "'messages' is required",
      'messages',
    );
  }
  const msgs = messages
    .filter(isRecord)
    .map((m) => ({ role: typeof m.role === 'string' ? m.role : 'user', content: m.content }));
  const c = common(body, opts.allowStreamOptionsAlone);
  const last = msgs[msgs.length - 1];
  let prefix: string | undefined;
  let promptMessages = msgs;
  if (opts.continuation === 'explicit' && body.continue_final_message === true) {
    if (body.add_generation_prompt === true) {
      throw new RequestInvalid('Cannot set both `continue_final_message` and `add_generation_prompt` to True.');
    }
    if (last?.role !== 'assistant')
      throw new RequestInvalid('continue_final_message requires the last message to be from the assistant');
  }
  const continuing =
    last?.role === 'assistant' && (opts.continuation === 'implicit' || body.continue_final_message === true);
  if (continuing && last) {
    prefix = contentText(last.content);
    promptMessages = msgs.slice(0, -1);
  }
  const prompt = chatPrompt(promptMessages);
  const key: GenerationKey = { model: opts.model, prompt, seed: c.seed };
  const tools = toolSpecs(body.tools);
  const tail = promptMessages[promptMessages.length - 1];
  const spec = continuing ? null : chooseTool(tools, body.tool_choice, tail?.role ?? '', contentText(tail?.content));
  const shape = outputShape(body);
  const planned = spec
    ? { pieces: [] as string[], finishReason: 'stop' as const }
    : plan(key, shape, { prefix, maxTokens: c.maxTokens, fixedCount: opts.fixedCount });
  return {
    ...planned,
    key,
    stream: c.stream,
    includeUsage: c.includeUsage,
    promptTokens: promptTokenCount(prompt, prefix),
    tool: spec ? { spec, arguments: JSON.stringify(toolArguments(spec, key)) } : null,
  };
}

export function planCompletion(body: Body, opts: Omit<ChatPlanOptions, 'continuation'>): OpenAIPlan {
  const raw = body.prompt;
  const prompt = Array.isArray(raw) ? raw.map(String).join('') : typeof raw === 'string' ? raw : '';
  if (prompt === '')
    throw new RequestInvalid('Either prompt or prompt_embeds must be provided and non-empty.', 'prompt');
  const c = common(body, opts.allowStreamOptionsAlone);
  const keyOf = (text: string): GenerationKey => ({ model: opts.model, prompt: text, seed: c.seed });
  const shape = outputShape(body);
  const continued = shape.kind === 'text' ? rawContinuation(prompt, keyOf, opts.fixedCount) : null;
  const key = continued?.key ?? keyOf(prompt);
  const planned = plan(key, shape, {
    maxTokens: c.maxTokens ?? 16,
    fixedCount: opts.fixedCount,
    ...(continued ? { prefix: continued.prefix } : {}),
  });
  return {
    ...planned,
    key,
    stream: c.stream,
    includeUsage: c.includeUsage,
    promptTokens: promptTokenCount(prompt),
    tool: null,
  };
}
