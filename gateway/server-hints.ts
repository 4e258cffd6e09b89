// An Ollama client's `options.num_ctx` and `keep_alive`, honoured where the backend can and reported
// where it cannot. An Ollama backend gets both as sent. A llama-server or vLLM that acode started
// (lifecycle managed, its process ours) and runs with a smaller context is restarted with the asked one
// (`-c N`, `--max-model-len N`), through the same stop-then-start a config edit of its launch takes, and
// never while it serves another request; a smaller num_ctx never restarts it. keep_alive becomes that
// provider's idle stop (residency.ts). Anything else answers on, with an `x-acode-num-ctx` or
// `x-acode-keep-alive` header saying `ignored; <why>` and a log line.
import type { AcodeConfig, ProviderConfig } from '../config/index.js';
import type { ServerHints } from '../adapters/index.js';
import { lifecycleMayStop, mayStart, type Registry } from '../machines/index.js';
import { processLogger } from '../log/logger.js';
import type { Residency } from './residency.js';

const NUM_CTX_HEADER = 'x-acode-num-ctx';
const KEEP_ALIVE_HEADER = 'x-acode-keep-alive';

/** Says what the gateway did with a hint, as a response header (none: passed on, or nothing to do). */
export type Note = (header: string, value: string) => void;

/** The flag that sets the context size, per server kind acode starts. */
const CONTEXT_FLAG: Partial<Record<ProviderConfig['kind'], string>> = { llamacpp: '-c', vllm: '--max-model-len' };

/** The config with `id` launched with `tokens` of context: its flag after the configured args, so it wins. */
export function withContext(config: AcodeConfig, id: string, tokens: number): AcodeConfig {
  const provider = config.providers[id];
  const flag = provider && CONTEXT_FLAG[provider.kind];
  if (!provider || !flag) return config;
  const args: string[] = [];
  for (let i = 0; i < provider.args.length; i++) {
    const arg = provider.args[i]!;
    if (arg === flag || (flag === '-c' && arg === '--ctx-size')) i++;
    else if (!arg.startsWith(`${flag}=`) && !arg.startsWith('--ctx-size=')) args.push(arg);
  }
  args.push(flag, String(tokens));
  return { ...config, providers: { ...config.providers, [id]: { ...provider, args } } };
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/**
 * keep_alive as Ollama reads it: a number of seconds, or a Go duration ("5m", "1h30m", "0"); negative
 * is forever (null). Undefined for anything else.
 */
export function keepAliveSeconds(value: string | number): number | null | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? (value < 0 ? null : value) : undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return keepAliveSeconds(Number(text));
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(body)) return undefined;
  let seconds = 0;
  for (const [, n, unit] of body.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) seconds += Number(n) * UNIT_SECONDS[unit!]!;
  return negative && seconds > 0 ? null : seconds;
}

export interface HintDeps {
  registry: Pick<Registry, 'config' | 'healthyAdapter' | 'status' | 'reconfigure' | 'service'>;
  residency: Pick<Residency, 'requestsTo' | 'keepAlive'>;
}

function ignored(note: Note, header: string, provider: string, reason: string): void {
  note(header, `ignored; ${reason}`);
  processLogger().warn({ provider, header, reason }, `${header.replace('x-acode-', '')} ignored`);
}

/**
 * Applies the hints of a request routed to `id` (whose own request is already counted in flight):
 * returns the request as the backend should get it, the hints only where its wire carries them. May
 * start `id` (the request would have) and restart it with a larger context.
 */
export async function applyHints<R extends ServerHints>(
  deps: HintDeps,
  id: string,
  request: R,
  note: Note,
  signal: AbortSignal,
): Promise<R> {
  // Most requests carry neither: they pass as they are, without a copy.
  if (request.contextSize === undefined && request.keepAlive === undefined) return request;
  const { contextSize, keepAlive, ...rest } = request;
  const provider = deps.registry.config.providers[id];
  // Ollama's own API carries both; its OpenAI routes carry neither (they cannot set the context).
  if (!provider || provider.type === 'ollama') return request;
  if (keepAlive !== undefined) applyKeepAlive(deps, provider, keepAlive, note);
  if (contextSize !== undefined) await applyContext(deps, provider, contextSize, note, signal);
  return rest as R;
}

function applyKeepAlive(deps: HintDeps, provider: ProviderConfig, value: string | number, note: Note): void {
  const seconds = keepAliveSeconds(value);
  if (seconds === undefined)
    return ignored(note, KEEP_ALIVE_HEADER, provider.id, `"${String(value)}" is not a duration`);
  if (!lifecycleMayStop(provider.lifecycle.mode))
    return ignored(
      note,
      KEEP_ALIVE_HEADER,
      provider.id,
      `${provider.id} is ${provider.lifecycle.mode}: acode never stops its server`,
    );
  deps.residency.keepAlive(provider.id, seconds);
}

async function applyContext(
  deps: HintDeps,
  provider: ProviderConfig,
  tokens: number,
  note: Note,
  signal: AbortSignal,
): Promise<void> {
  const { registry } = deps;
  const id = provider.id;
  if (provider.kind === 'ollama')
    return ignored(note, NUM_CTX_HEADER, id, `${id} is reached through Ollama's OpenAI routes, which cannot set it`);
  if (CONTEXT_FLAG[provider.kind] === undefined)
    return ignored(note, NUM_CTX_HEADER, id, `${id} (${provider.kind}) cannot be asked for a context per request`);
  if (!lifecycleMayStop(provider.lifecycle.mode) || !mayStart(provider.lifecycle.mode, registry.config.mode))
    return ignored(
      note,
      NUM_CTX_HEADER,
      id,
      `${id} is ${provider.lifecycle.mode} in ${registry.config.mode} mode: acode may not restart it`,
    );
  // A server that cannot be had is the answer's own business: its start error, or the next provider.
  const adapter = await registry.healthyAdapter(id, signal).catch((error: unknown) => {
    if (signal.aborted) throw error;
    return undefined;
  });
  if (!adapter) return;
  const running = adapter.capabilities.maxContext;
  if (running === undefined) return ignored(note, NUM_CTX_HEADER, id, `${id}'s server does not say its context size`);
  if (tokens <= running) return;
  if (registry.status().find((s) => s.id === id)?.owned !== true)
    return ignored(note, NUM_CTX_HEADER, id, `${id} runs with ${running} and acode did not start its server`);
  if (deps.residency.requestsTo(id) > 1)
    return ignored(note, NUM_CTX_HEADER, id, `${id} runs with ${running} and is answering other requests`);
  // Said before the restart: a streamed answer's headers go out with its first progress frame.
  note(NUM_CTX_HEADER, `restarted; ${tokens} (was ${running})`);
  processLogger().info({ provider: id, from: running, to: tokens }, 'restarting with a larger context');
  const before = registry.config;
  await registry.reconfigure(withContext(before, id, tokens), { signal });
  try {
    await registry.healthyAdapter(id, signal);
  } catch (error) {
    // The asked context does not start (too large for the model or the memory): back to the launch
    // that worked, so one client's num_ctx never leaves the provider down for the others.
    if (signal.aborted) throw error;
    ignored(note, NUM_CTX_HEADER, id, `${id} did not start with ${tokens}; back to ${running}`);
    const back = { ...registry.config, providers: { ...registry.config.providers, [id]: provider } };
    await registry.reconfigure(back, { signal });
    // A failed start waits for an explicit one (policy.ensureRetries); this one is ours to make.
    registry.service(id).start();
  }
}
