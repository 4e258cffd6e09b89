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
//
// The usage of an answer that took several requests is what the servers processed for it, summed over
// the requests (each server reports only its own request, and a broken one reports nothing):
// - the request that finished counts as its server reports it: a resumed request's prompt includes the
//   partial text that was sent back to be continued;
// - a request that broke after delivering text counts that text as completion (one streamed chunk is one
//   token on these servers) and, as prompt, the finished request's prompt less what that one resent,
//   plus what the broken one itself resent (a restart resends nothing, so it counts the same prompt);
// - a request that broke before any text counts nothing: whether the server read its prompt is unknown
//   (a refused connection never reached it).
// totalTokens is always promptTokens + completionTokens.
import { isServerGone } from '../adapters/index.js';
import type { ChatMessage, ChatRequest, ChatResponse, ModelProvider, StreamChunk, CallOptions, Usage } from '../adapters/index.js';
import { AcodeError, isAcodeError, type ProviderKind } from '../config/index.js';

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

/**
 * The request that continues `shown` (`shownChunks` tokens) where the server can continue a trailing
 * assistant message. A max-tokens limit counts what the servers generate per request, so the
 * continuation may only have what is left of it (at least 1: servers refuse 0, so a break exactly at the
 * limit may cost one token over it).
 */
export function continuationRequest(req: ChatRequest, shown: string, shownChunks = 0): ChatRequest {
  const last = req.messages.at(-1);
  const messages: ChatMessage[] = req.continueFinalMessage && last?.role === 'assistant'
    ? [...req.messages.slice(0, -1), { ...last, content: last.content + shown }]
    : [...req.messages, { role: 'assistant', content: shown }];
  const maxTokens = req.sampling?.maxTokens;
  return {
    ...req, messages, continueFinalMessage: true,
    ...(maxTokens !== undefined ? { sampling: { ...req.sampling, maxTokens: Math.max(1, maxTokens - shownChunks) } } : {}),
  };
}

/** A request that broke after delivering text: how many chunks it had resent, and delivered. */
interface BrokenRequest {
  resent: number;
  delivered: number;
}

/** The finished request's usage plus the broken requests before it (see the header for what counts). */
export function answerUsage(final: Usage, resent: number, broken: readonly BrokenRequest[]): Usage {
  const basePrompt = Math.max(0, final.promptTokens - resent);
  let promptTokens = final.promptTokens;
  let completionTokens = final.completionTokens;
  for (const b of broken) {
    promptTokens += basePrompt + b.resent;
    completionTokens += b.delivered;
  }
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

/**
 * The error that ends the retries: the last one, with a hint that no longer promises a retry (the
 * adapter's STREAM_INTERRUPTED hint says acode retries, which was true until now).
 */
function gaveUp(error: unknown, provider: string, retries: number): unknown {
  if (!isAcodeError(error)) return error;
  return new AcodeError(error.code, `${error.message} acode gave up after ${retries} ${retries === 1 ? 'retry' : 'retries'}.`,
    `The server went away or could not be reached ${retries + 1} times during this request; see why with \`acode providers status ${provider}\` and its log, then ask again.`,
    { cause: error, details: { ...error.details, retries } });
}

/** Wraps `initial` (the adapter `service` handed out) with retry, resume and restart. */
export function resilientProvider(service: RecoverableService, initial: ModelProvider, options: ResilientOptions = {}): ModelProvider {
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  let current = initial;

  // Reports the failure, waits for the service, and says whether another attempt is allowed.
  async function recover(error: unknown, attempt: number, path: RetryInfo['path'], signal?: AbortSignal): Promise<void> {
    if (!isServerGone(error) || signal?.aborted) throw error;
    if (attempt > maxRetries) throw gaveUp(error, current.id, maxRetries);
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
    let sawToolCalls = false;
    let next: ChatRequest = req;
    /** Text chunks the current request resent (a resume), and delivered. */
    let resent = 0;
    let delivered = 0;
    const broken: BrokenRequest[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        for await (const chunk of current.stream(next, opts)) {
          if (chunk.type === 'text') { shown += chunk.text; shownChunks++; delivered++; }
          if (chunk.type === 'tool_call_delta') sawToolCalls = true;
          yield chunk.type === 'final' && chunk.usage && broken.length > 0
            ? { ...chunk, usage: answerUsage(chunk.usage, resent, broken) }
            : chunk;
        }
        return;
      } catch (error) {
        if (delivered > 0) broken.push({ resent, delivered });
        delivered = 0;
        const nothingShown = shown === '' && !sawToolCalls;
        const resume = !nothingShown && !sawToolCalls && current.capabilities.continueFinalMessage;
        await recover(error, attempt, nothingShown ? 'retry' : resume ? 'resume' : 'restart', opts.signal);
        if (resume) {
          next = continuationRequest(req, shown, shownChunks);
          resent = shownChunks;
        } else {
          next = req;
          resent = 0;
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
