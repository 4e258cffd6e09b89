// One question, one answer, through the registry: pick a provider (falling back in the configured order),
// stream or complete crash-safely, and report who answered, how long it took and what went wrong on the
// way. The CLI's `acode ask` and the gateway call this; they only render.
import { AcodeError, isAcodeError } from '../config/index.js';
import type { ChatRequest, StreamChunk, Usage } from '../adapters/index.js';
import { allowsFallback, reasonOf, type FallbackReason, type Registry } from './registry.js';
import { allFailed } from './registry-fallback.js';
import { modelChoice, modelFor } from './model-choice.js';
import type { RetryInfo } from './resilient-provider.js';
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
  const fallbacks: FallbackReason[] = [];
  const choice = req.model === undefined ? undefined : modelChoice(registry.config, req.model, opts.preferred);
  const preferred = opts.preferred ?? (choice?.qualified ? choice.provider : undefined);
  for (;;) {
    const retries: RetryInfo[] = [];
    const got = await registry.acquire({
      ...(preferred !== undefined ? { preferred } : {}),
      requirements: { streaming: opts.stream !== false, ...opts.requirements },
      tried: fallbacks,
      signal: opts.signal,
      onRetry: (info) => { retries.push(info); opts.onRetry?.(info); },
      onFallback: opts.onFallback,
    });
    fallbacks.push(...got.fallbacks);
    const readyMs = since();
    let shown = false;
    try {
      if (opts.stream === false) {
        const res = await got.provider.complete(requestFor(req, got.id, choice), { signal: opts.signal });
        opts.onText?.(res.text);
        return {
          text: res.text, provider: got.id, model: res.model, finishReason: res.finishReason,
          ...(res.usage ? { usage: res.usage } : {}), ...(res.json !== undefined ? { json: res.json } : {}),
          timings: { readyMs, totalMs: since() }, retries, fallbacks,
        };
      }
      let text = '';
      let firstTokenMs: number | undefined;
      for await (const chunk of got.provider.stream(requestFor(req, got.id, choice), { signal: opts.signal })) {
        if (chunk.type === 'text') {
          firstTokenMs ??= since();
          shown = true;
          text += chunk.text;
          opts.onText?.(chunk.text);
        } else if (chunk.type === 'restarted') {
          text = '';
          opts.onRestarted?.(chunk, got.id);
        } else if (chunk.type === 'final') {
          return {
            text, provider: got.id, model: chunk.model, finishReason: chunk.finishReason,
            ...(chunk.usage ? { usage: chunk.usage } : {}),
            timings: { readyMs, ...(firstTokenMs !== undefined ? { firstTokenMs } : {}), totalMs: since() }, retries, fallbacks,
          };
        }
      }
      throw new AcodeError('PROTOCOL_ERROR', `${got.id}: the answer ended without a final chunk.`, 'Check the server log; this server may be incompatible.');
    } catch (error) {
      // Once text reached the user another provider's answer would splice two answers: stop here.
      if (shown || !allowsFallback(error) || opts.signal?.aborted || !isAcodeError(error)) throw error;
      const reason = reasonOf(got.id, error);
      const next = registry.acquireOrder({ ...(preferred !== undefined ? { preferred } : {}), exclude: [...fallbacks.map((f) => f.id), got.id] })[0];
      if (next === undefined) throw allFailed([...fallbacks, reason], error);
      fallbacks.push(reason);
      opts.onFallback?.(reason, next);
    }
  }
}
