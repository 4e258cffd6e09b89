// A whole (non-streamed) chat completion, for a server that answers `stream: true` with one JSON
// object anyway; also the small helpers both OpenAI-compatible decoders share.
import { midStreamError, protocolError, type WireContext } from './wire-errors.js';
import { ToolCallAssembler } from './tool-calls.js';
import type { ChunkDecoder } from './wire-module.js';
import type { FinishReason, StreamChunk, Usage } from './types.js';

/** A whole answer larger than this is not a chat completion. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

export interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

export function finishReasonOf(reason: string | null | undefined): FinishReason {
  return reason === 'stop' || reason === 'length' || reason === 'tool_calls' ? reason : 'unknown';
}

export function usageOf(u: OpenAiUsage): Usage {
  const prompt = u.prompt_tokens ?? 0;
  const completion = u.completion_tokens ?? 0;
  return { promptTokens: prompt, completionTokens: completion, totalTokens: u.total_tokens ?? prompt + completion };
}

interface Completion {
  model?: string;
  choices?: {
    message?: {
      content?: string | null;
      tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: OpenAiUsage | null;
  error?: unknown;
  object?: string;
}

export class OpenAiJsonDecoder implements ChunkDecoder {
  failure: Error | undefined;
  finished = false;
  private readonly parts: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly ctx: WireContext,
    private readonly model: string,
  ) {}

  push(bytes: Uint8Array): StreamChunk[] {
    this.parts.push(Buffer.from(bytes));
    this.size += bytes.length;
    if (this.size > MAX_JSON_BYTES)
      this.failure ??= protocolError(this.ctx, 'a JSON answer larger than 16 MiB', this.parts[0]!);
    return [];
  }

  end(): StreamChunk[] {
    if (this.failure) return [];
    const text = Buffer.concat(this.parts).toString('utf8');
    try {
      let value: Completion;
      try {
        value = JSON.parse(text) as Completion;
      } catch (err) {
        throw protocolError(this.ctx, 'an invalid (or truncated) JSON answer', text, err);
      }
      if (value.error !== undefined || value.object === 'error') throw midStreamError(this.ctx, value, 0);
      const choice = value.choices?.[0];
      if (!choice?.message) throw protocolError(this.ctx, 'a completion without a message', text);
      const out: StreamChunk[] = [];
      if (choice.message.content) out.push({ type: 'text', text: choice.message.content });
      const calls = new ToolCallAssembler();
      choice.message.tool_calls?.forEach((tc, index) => {
        calls.add(index, { id: tc.id, name: tc.function?.name, arguments: tc.function?.arguments });
        out.push({
          type: 'tool_call_delta',
          index,
          id: tc.id,
          name: tc.function?.name,
          argumentsDelta: tc.function?.arguments ?? '',
        });
      });
      const toolCalls = calls.finish(this.ctx);
      const reason =
        toolCalls.length > 0 && choice.finish_reason !== 'length' ? 'tool_calls' : finishReasonOf(choice.finish_reason);
      out.push({
        type: 'final',
        finishReason: reason,
        usage: value.usage ? usageOf(value.usage) : undefined,
        toolCalls,
        model: value.model ?? this.model,
      });
      this.finished = true;
      return out;
    } catch (err) {
      this.failure = err as Error;
      return [];
    }
  }
}
