// Crash-safe requests: wraps the ModelProvider a service hands out so that a request broken because the
// server went away is retried once the service is healthy again, and a broken stream is resumed or
// restarted without showing the user duplicated or spliced text.
//
// Which path a broken stream takes, per provider kind (decided by the adapter's
// capabilities.continueFinalMessage, which the adapters set per kind):
//
// | kind      | path    | how                                                                              |
// |-----------|---------|----------------------------------------------------------------------------------|
// | vllm      | resume  | partial text sent back as a trailing assistant message, continue_final_message    |
// | ollama    | resume  | /api/chat with a trailing assistant message: Ollama prefills and continues it      |
// | llamacpp  | restart | re-request; the consumer gets { type: 'restarted' } first and discards what it had |
// | lmstudio  | restart | same as llamacpp (no documented continuation)                                    |
// | custom    | either  | whatever its adapter (wire type) declares                                         |
//
// A stream that had emitted tool-call deltas always restarts: a half-built call cannot be continued.
import { isServerGone } from '../adapters/index.js';
import type { ChatMessage, ChatRequest, ChatResponse, ModelProvider, StreamChunk, CallOptions } from '../adapters/index.js';
import type { ProviderKind } from '../config/index.js';

export const RESUME_PATH: Record<ProviderKind, 'resume' | 'restart' | 'adapter'> = {
  vllm: 'resume', ollama: 'resume', llamacpp: 'restart', lmstudio: 'restart', custom: 'adapter',
};

/** The two things the retry layer needs from a service: report a broken request, wait until usable. */
export interface RecoverableService {
  ensureHealthy(opts?: { signal?: AbortSignal }): Promise<ModelProvider>;
  requestFailed(error?: unknown): void;
}

export interface RetryInfo {
  provider: string;
  /** 1-based retry number. */
  attempt: number;
  code: string;
  reason: string;
  /** How the stream went on: resumed after the partial text, or restarted from scratch. */
  path: 'resume' | 'restart' | 'retry';
}

export interface ResilientOptions {
  /** Retries after the first attempt (the "at most 3 times"). */
  maxRetries?: number;
  onRetry?: (info: RetryInfo) => void;
}

export const DEFAULT_MAX_RETRIES = 3;

function reasonOf(error: unknown): { code: string; reason: string } {
  const e = error as { code?: unknown; message?: unknown };
  return { code: typeof e.code === 'string' ? e.code : 'INTERNAL', reason: typeof e.message === 'string' ? e.message : String(error) };
}

/** The request that continues `shown` where the server can continue a trailing assistant message. */
export function continuationRequest(req: ChatRequest, shown: string): ChatRequest {
  const last = req.messages.at(-1);
  const messages: ChatMessage[] = req.continueFinalMessage && last?.role === 'assistant'
    ? [...req.messages.slice(0, -1), { ...last, content: last.content + shown }]
    : [...req.messages, { role: 'assistant', content: shown }];
  return { ...req, messages, continueFinalMessage: true };
}

/**
 * The usage of a resumed answer as if it had not broken: the continuation request counted the partial
 * text as prompt, and only the rest as completion. One streamed text chunk is one token on the servers
 * that resume (vLLM, Ollama), so the chunk count moves back from prompt to completion.
 */
function asUninterrupted(chunk: Extract<StreamChunk, { type: 'final' }>, resumedChunks: number): StreamChunk {
  if (!chunk.usage) return chunk;
  const { promptTokens, completionTokens, totalTokens } = chunk.usage;
  return { ...chunk, usage: { promptTokens: Math.max(0, promptTokens - resumedChunks), completionTokens: completionTokens + resumedChunks, totalTokens } };
}

/** Wraps `initial` (the adapter `service` handed out) with retry, resume and restart. */
export function resilientProvider(service: RecoverableService, initial: ModelProvider, options: ResilientOptions = {}): ModelProvider {
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  let current = initial;

  // Reports the failure, waits for the service, and says whether another attempt is allowed.
  async function recover(error: unknown, attempt: number, path: RetryInfo['path'], signal?: AbortSignal): Promise<void> {
    if (!isServerGone(error) || attempt > maxRetries || signal?.aborted) throw error;
    service.requestFailed(error);
    options.onRetry?.({ provider: current.id, attempt, path, ...reasonOf(error) });
    current = await service.ensureHealthy({ signal });
  }

  async function complete(req: ChatRequest, opts: CallOptions = {}): Promise<ChatResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await current.complete(req, opts);
      } catch (error) {
        await recover(error, attempt, 'retry', opts.signal);
      }
    }
  }

  async function* stream(req: ChatRequest, opts: CallOptions = {}): AsyncIterable<StreamChunk> {
    let shown = '';
    let shownChunks = 0;
    let resumedChunks = 0;
    let sawToolCalls = false;
    let next: ChatRequest = req;
    for (let attempt = 1; ; attempt++) {
      try {
        for await (const chunk of current.stream(next, opts)) {
          if (chunk.type === 'text') { shown += chunk.text; shownChunks++; }
          if (chunk.type === 'tool_call_delta') sawToolCalls = true;
          yield chunk.type === 'final' && resumedChunks > 0 ? asUninterrupted(chunk, resumedChunks) : chunk;
        }
        return;
      } catch (error) {
        const nothingShown = shown === '' && !sawToolCalls;
        const resume = !nothingShown && !sawToolCalls && current.capabilities.continueFinalMessage;
        await recover(error, attempt, nothingShown ? 'retry' : resume ? 'resume' : 'restart', opts.signal);
        if (resume) {
          next = continuationRequest(req, shown);
          resumedChunks = shownChunks;
        } else {
          next = req;
          if (!nothingShown) {
            yield { type: 'restarted', reason: reasonOf(error).reason, attempt };
            shown = '';
            shownChunks = 0;
            sawToolCalls = false;
          }
        }
      }
    }
  }

  return {
    get id() { return current.id; },
    get capabilities() { return current.capabilities; },
    complete,
    stream,
    health: (opts) => current.health(opts),
    listModels: (opts) => current.listModels(opts),
    modelInfo: (id, opts) => current.modelInfo(id, opts),
    ...(initial.pull ? { pull: (model: string, opts?: CallOptions) => (current.pull ? current.pull(model, opts) : initial.pull!(model, opts)) } : {}),
    close: () => current.close(),
  };
}
