// Token counts for every answer, whether or not its server sent any. acode asks every OpenAI-compatible
// server for usage (`stream_options.include_usage`) and Ollama always sends prompt_eval_count and
// eval_count, so vLLM, llama-server and Ollama answers carry the server's own counts. A server that sends
// none (LM Studio builds, custom servers, one that answers a stream with a whole JSON object) gets
// counted usage instead: completion tokens are the streamed chunks (one token each on the servers that
// stream) but never fewer than a characters/4 estimate (a whole answer arrives as one chunk), prompt
// tokens the characters/4 estimate of what was sent. Clients read `usage` to budget context: a count
// close to the truth beats `null`, which opencode and Continue treat as zero.
import type { ChatRequest, StreamChunk, TextCompletionRequest, ToolCall, Usage } from '../adapters/index.js';

const CHARS_PER_TOKEN = 4;

function estimate(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

function promptChars(request: ChatRequest | TextCompletionRequest): number {
  if ('prompt' in request) return request.prompt.length + (request.suffix?.length ?? 0);
  let chars = 0;
  for (const m of request.messages) {
    chars += m.content.length;
    for (const c of m.toolCalls ?? []) chars += c.name.length + JSON.stringify(c.arguments).length;
  }
  if (request.tools) chars += JSON.stringify(request.tools).length;
  return chars;
}

/** Counts one answer's chunks as they pass, so its final chunk can be given usage when it has none. */
export class UsageCounter {
  private chunks = 0;
  private chars = 0;

  constructor(private readonly request: ChatRequest | TextCompletionRequest) {}

  /** Every chunk of the answer, in order; a restart starts the count over (the answer is new). */
  see(chunk: StreamChunk): void {
    if (chunk.type === 'text') {
      this.chunks += 1;
      this.chars += chunk.text.length;
    } else if (chunk.type === 'tool_call_delta') {
      this.chunks += 1;
    } else if (chunk.type === 'restarted') {
      this.chunks = 0;
      this.chars = 0;
    }
  }

  /** The usage of an answer that ended with these tool calls: counted where the server sent none. */
  counted(toolCalls: readonly ToolCall[]): Usage {
    let chars = this.chars;
    for (const c of toolCalls) chars += c.name.length + JSON.stringify(c.arguments).length;
    const completionTokens = Math.max(this.chunks, estimate(chars));
    const promptTokens = estimate(promptChars(this.request));
    return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
  }

  /** The final chunk as it goes to the client: the server's usage, or the counted one. */
  complete(chunk: StreamChunk & { type: 'final' }): StreamChunk & { type: 'final' } {
    return chunk.usage ? chunk : { ...chunk, usage: this.counted(chunk.toolCalls) };
  }
}
