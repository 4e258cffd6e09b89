// One question, one answer, through the registry: a request machine (machines/request.machine.ts) picks a
// provider (falling back in the configured order), streams or completes crash-safely, and this reports
// who answered, how long it took and what went wrong on the way. The CLI's `acode ask` and the gateway
// call this; they only render.
import type { ChatRequest, ModelProvider, StreamChunk, TextCompletionRequest, Usage } from '../adapters/index.js';
import type { FallbackReason, Registry } from './registry.js';
import { modelChoice, modelFor } from './model-choice.js';
import { runRequest, streamRequest, type AnswerSink, type CallJob, type ProviderSource } from './request-actors.js';
import type { RetryInfo } from './request.machine.js';
import type { Requirements } from './selector.js';
export interface AnswerOptions {
  /** An explicit provider id (else providers.active), then the fallback order. */
  preferred?: string;
  requirements?: Requirements;
  /** Stream (default) or one complete() call (used with a schema, so the answer is validated). */
  stream?: boolean;
  signal?: AbortSignal;
  onText?: (text: string) => void;
  /** The layer below had to start the answer over; what was shown so far is void. */
  onRestarted?: (chunk: Extract<StreamChunk, { type: 'restarted' }>, provider: string) => void;
  onRetry?: (info: RetryInfo) => void;
  onFallback?: (failed: FallbackReason, next: string) => void;
}

export interface Timings {
  /** From the call until a healthy provider was in hand (detect, start, pull included). */
  readyMs: number;
  /** From the call until the first text arrived (undefined without text). */
  firstTokenMs?: number;
  totalMs: number;
}

export interface Answer {
  text: string;
  provider: string;
  model: string;
  finishReason: string;
  usage?: Usage;
  /** The parsed value when a schema was given. */
  json?: unknown;
  timings: Timings;
  retries: RetryInfo[];
  /** Providers passed over, with the reason each could not answer. */
  fallbacks: FallbackReason[];
}

// The request as `id` gets it: the user's model only where it was meant to go (machines/model-choice.ts).
function requestFor(req: ChatRequest, id: string, choice: ReturnType<typeof modelChoice> | undefined): ChatRequest {
  const { model: _asked, ...rest } = req;
  const model = modelFor(choice, id);
  return model === undefined ? rest : { ...rest, model };
}

/**
 * Asks `req` and returns the complete answer; text arrives through onText as it streams. `req.model` is
 * for the selected provider only, or for the provider it names (`ollama/llama3.2`), which is then
 * asked first unless `preferred` says otherwise; every other provider answers with its own model.
 */
export async function answer(registry: Registry, req: ChatRequest, opts: AnswerOptions = {}): Promise<Answer> {
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  const choice = req.model === undefined ? undefined : modelChoice(registry.config, req.model, opts.preferred);
  const preferred = opts.preferred ?? (choice?.qualified ? choice.provider : undefined);
  const requirements: Requirements = { streaming: opts.stream !== false, ...opts.requirements };
  let readyMs = 0;
  let text = '';
  let firstTokenMs: number | undefined;
  let provider = '';
  let ended: Omit<Answer, 'text' | 'provider' | 'timings' | 'retries' | 'fallbacks'> | undefined;

  const source: ProviderSource = {
    select: (exclude) =>
      registry.candidates({ ...(preferred !== undefined ? { preferred } : {}), requirements, exclude }),
    async acquire(id, signal) {
      const adapter = await registry.healthyAdapter(id, signal, requirements);
      readyMs = since();
      provider = id;
      firstTokenMs = undefined;
      return adapter;
    },
    recover: (id, error, signal) => registry.recover(id, error, signal),
  };
  const sink: AnswerSink = {
    chunk(chunk: StreamChunk) {
      if (chunk.type === 'text') {
        firstTokenMs ??= since();
        text += chunk.text;
        opts.onText?.(chunk.text);
      } else if (chunk.type === 'restarted') {
        text = '';
        opts.onRestarted?.(chunk, provider);
      } else if (chunk.type === 'final') {
        ended = {
          model: chunk.model,
          finishReason: chunk.finishReason,
          ...(chunk.usage ? { usage: chunk.usage } : {}),
        };
      }
    },
    response(res) {
      text = res.text;
      opts.onText?.(res.text);
      ended = {
        model: res.model,
        finishReason: res.finishReason,
        ...(res.usage ? { usage: res.usage } : {}),
        ...(res.json !== undefined ? { json: res.json } : {}),
      };
    },
  };
  const out = await runRequest(
    source,
    {
      request: (id) => requestFor(req, id, choice),
      mode: opts.stream === false ? 'complete' : 'stream',
      requireFinal: true,
      sink,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
    {},
    registry.spawnRequest,
    {
      ...(opts.onRetry ? { retry: opts.onRetry } : {}),
      ...(opts.onFallback ? { fallback: opts.onFallback } : {}),
    },
  );
  const timings: Timings = {
    readyMs,
    ...(firstTokenMs !== undefined && opts.stream !== false ? { firstTokenMs } : {}),
    totalMs: since(),
  };
  return {
    text,
    provider: out.provider!,
    ...ended!,
    timings,
    // What this provider needed (the ones passed over are listed in fallbacks).
    retries: out.retries.filter((r) => r.provider === out.provider),
    fallbacks: out.fallbacks,
  };
}

export interface StreamAnswerOptions {
  /** The provider asked first (the request's model is for it), then the fallback order. */
  preferred: string;
  requirements?: Requirements;
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  onFallback?: (failed: FallbackReason, next: string) => void;
  /** A provider is healthy and about to be asked (the first, or one fallen back to). */
  onProvider?: (id: string) => void;
}

/**
 * One answer as chunks, through a request machine that falls back in the configured order and recovers
 * a broken stream (resume, or a `restarted` chunk before the answer starts over): what the gateway
 * streams to its clients. `req.model` goes to `preferred` only; a fallback answers with its own model.
 */
export function streamAnswer(
  registry: Registry,
  req: ChatRequest,
  opts: StreamAnswerOptions,
): AsyncIterable<StreamChunk> {
  const { model, ...rest } = req;
  const requirements: Requirements = { streaming: true, ...opts.requirements };
  return streamRequest(
    registrySource(registry, opts, requirements),
    {
      request: (id) => (id === opts.preferred && model !== undefined ? { ...rest, model } : rest),
      requireFinal: true,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
    {},
    registry.spawnRequest,
    listeners(opts),
  );
}

/** What the answers that must come from one model take: a provider may stand in only when `substitute` says so. */
export interface PinnedOptions extends Omit<StreamAnswerOptions, 'requirements'> {
  /** Whether provider `id` gives the same answer as `preferred` (default: none does, so no fallback). */
  substitute?: (id: string) => boolean;
}

// The registry's candidates for a request, best first: for a pinned request only `preferred` and the
// providers `substitute` lets stand in for it.
function registrySource(
  registry: Pick<Registry, 'candidates' | 'healthyAdapter' | 'recover'>,
  opts: Pick<PinnedOptions, 'preferred' | 'substitute' | 'onProvider'>,
  requirements: Requirements | undefined,
  pinned = false,
): ProviderSource {
  return {
    select(exclude) {
      const selection = registry.candidates({
        preferred: opts.preferred,
        exclude,
        ...(requirements ? { requirements } : {}),
      });
      if (!pinned) return selection;
      const allowed = (id: string) => id === opts.preferred || opts.substitute?.(id) === true;
      return { order: selection.order.filter(allowed), refused: selection.refused.filter((r) => allowed(r.id)) };
    },
    async acquire(id, signal) {
      const adapter = await registry.healthyAdapter(id, signal, requirements);
      opts.onProvider?.(id);
      return adapter;
    },
    recover: (id, error, signal) => registry.recover(id, error, signal),
  };
}

function listeners(opts: Pick<StreamAnswerOptions, 'onRetry' | 'onFallback'>) {
  return {
    ...(opts.onRetry ? { retry: opts.onRetry } : {}),
    ...(opts.onFallback ? { fallback: opts.onFallback } : {}),
  };
}

/**
 * A raw text completion (fill in the middle with a suffix) from `preferred` as chunks, through a
 * request machine: started on demand, and a broken stream resumed with the text shown appended to the
 * prompt. `req.model` goes to `preferred`; no other provider answers unless `substitute` allows it.
 */
export function streamText(
  registry: Registry,
  req: TextCompletionRequest,
  opts: PinnedOptions,
): AsyncIterable<StreamChunk> {
  const { model, ...rest } = req;
  return streamRequest(
    registrySource(registry, opts, undefined, true),
    {
      mode: 'text',
      request: (id) => (id === opts.preferred && model !== undefined ? { ...rest, model } : rest),
      requireFinal: true,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
    { fallback: opts.substitute !== undefined },
    registry.spawnRequest,
    listeners(opts),
  );
}

/**
 * One idempotent call (embeddings, a pull) through a request machine: a call broken because the server
 * went away is made again once it is healthy (within the retry budget), and a provider that cannot be
 * had or answer passes the call to the next one `substitute` allows. Resolves with the call's value.
 */
export async function callProvider<T>(
  registry: Registry,
  call: (adapter: ModelProvider, id: string, signal: AbortSignal | undefined) => Promise<T>,
  opts: PinnedOptions,
): Promise<T> {
  let value: T | undefined;
  const job: CallJob = {
    mode: 'call',
    call: async (adapter, id, signal) => {
      value = await call(adapter, id, signal);
    },
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  await runRequest(
    registrySource(registry, opts, undefined, true),
    job,
    { fallback: opts.substitute !== undefined },
    registry.spawnRequest,
    listeners(opts),
  );
  return value as T;
}
