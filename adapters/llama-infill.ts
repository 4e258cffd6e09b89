// llama-server's native /infill stream (§3): SSE events `{"content": "...", "stop": false}`, the last one
// `stop: true` with `stop_type` (limit = the token budget ran out; eos, word = a natural stop) and the
// token counts; no `[DONE]` after it. Errors arrive as `{"error": ...}` events like on its OpenAI routes.
import { interrupted, legacyStreamError, midStreamError, protocolError, type WireContext } from './wire-errors.js';
import { SseSplitter, type SseSink } from './sse-events.js';
import type { ChunkDecoder } from './wire-module.js';
import type { StreamChunk } from './types.js';

interface InfillEvent {
  content?: string;
  stop?: boolean;
  stop_type?: string;
  tokens_predicted?: number;
  tokens_evaluated?: number;
  model?: string;
  error?: unknown;
}

export class LlamaInfillDecoder implements ChunkDecoder, SseSink {
  failure: Error | undefined;
  finished = false;
  private readonly events: SseSplitter;
  private out: StreamChunk[] = [];
  private produced = 0;

  constructor(
    private readonly ctx: WireContext,
    private readonly model: string,
  ) {
    this.events = new SseSplitter(ctx, this);
  }

  push(bytes: Uint8Array): StreamChunk[] {
    return this.guard(() => this.events.push(bytes));
  }

  end(): StreamChunk[] {
    return this.guard((out) => {
      this.events.end();
      if (!this.finished) throw interrupted(this.ctx, this.produced + out.length);
    });
  }

  private guard(work: (out: StreamChunk[]) => void): StreamChunk[] {
    const out: StreamChunk[] = [];
    if (this.failure || this.finished) return out;
    this.out = out;
    try {
      work(out);
      if (!this.finished && this.events.error) throw this.events.error;
    } catch (err) {
      this.failure = err as Error;
    }
    this.produced += out.length;
    return out;
  }

  legacyError(value: string): void {
    if (this.finished) return;
    throw legacyStreamError(this.ctx, value, this.produced + this.out.length);
  }

  event(_event: string | undefined, data: string): void {
    if (this.finished || data === '[DONE]') return;
    let value: InfillEvent;
    try {
      value = JSON.parse(data) as InfillEvent;
    } catch (err) {
      throw protocolError(this.ctx, 'an event that is not JSON', data, err);
    }
    if (value.error !== undefined) throw midStreamError(this.ctx, value, this.produced + this.out.length);
    if (value.content) this.out.push({ type: 'text', text: value.content });
    if (value.stop !== true) return;
    const prompt = value.tokens_evaluated ?? 0;
    const completion = value.tokens_predicted ?? 0;
    this.out.push({
      type: 'final',
      finishReason: value.stop_type === 'limit' ? 'length' : 'stop',
      toolCalls: [],
      model: value.model ?? this.model,
      usage: { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion },
    });
    this.finished = true;
  }
}
