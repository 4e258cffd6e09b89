// What the gateway asks of the engine: which models exist and in what state, which provider a model
// name routes to, and one answer as a stream of chunks, started on demand with progress meanwhile.
// The HTTP side (server.ts) only translates; every lifecycle decision stays in the registry's machines.
import { AcodeError, type AcodeConfig } from '../config/index.js';
import type { ChatRequest, ModelInfo, ModelProvider, StreamChunk, TextCompletionRequest } from '../adapters/index.js';
import {
  modelChoice,
  progressLine,
  streamAnswer,
  type ProviderStatus,
  type Registry,
  type RetryInfo,
  type FallbackReason,
} from '../machines/index.js';
import type { GatewayModel } from './openai-protocol.js';
import { Residency } from './residency.js';
import { machineMemory, type MemorySources } from './machine-memory.js';

export interface Route {
  provider: string;
  /** The model to ask for; undefined = the provider's configured one. */
  model?: string;
}

export interface AnswerEvents {
  /** One line of start/pull/load progress for the provider being made ready. */
  onProgress?: (line: string) => void;
  onRetry?: (info: RetryInfo) => void;
  onFallback?: (failed: FallbackReason, next: string) => void;
  /** The provider that answers, once it is healthy. */
  onProvider?: (id: string) => void;
}

/** The model's live state as the listing routes show it. */
function modelState(status: ProviderStatus | undefined): string {
  if (!status) return 'stopped';
  switch (status.state) {
    case 'healthy':
      return status.modelState === 'ready' || status.modelState === undefined
        ? 'ready'
        : status.modelState === 'missing'
          ? 'missing'
          : 'loading';
    case 'detecting':
    case 'starting':
    case 'restarting':
    case 'reloading':
      return 'loading';
    case 'crashed':
      return 'crashed';
    case 'failed':
      return status.error?.code === 'CRASH_LOOP' ? 'crash-looping' : 'failed';
    case 'unavailable':
      return 'unavailable';
    default:
      return 'stopped';
  }
}

const MODEL_LIST_TTL_MS = 5_000;

export interface EngineOptions {
  maxLoaded?: number;
  /** Swap servers by memory too: the environment the GPU probe runs in, and the meminfo to read. */
  memory?: MemorySources;
}

export function createEngine(registry: Registry, options: EngineOptions = {}) {
  const config = (): AcodeConfig => registry.config;
  const served = new Map<string, { at: number; models: ModelInfo[] }>();
  const memory = options.memory
    ? machineMemory(
        options.memory,
        (id) => config().providers[id],
        (id) => served.get(id)?.models ?? [],
      )
    : undefined;
  const residency = new Residency(registry, options.maxLoaded, memory);
  const started = Math.floor(Date.now() / 1000);

  // The models a healthy server lists, refreshed at most every few seconds; a server that is not up is
  // never started or woken for a listing.
  async function listed(id: string, status: ProviderStatus | undefined, signal?: AbortSignal): Promise<ModelInfo[]> {
    if (status?.state !== 'healthy') return served.get(id)?.models ?? [];
    const cached = served.get(id);
    if (cached && Date.now() - cached.at < MODEL_LIST_TTL_MS) return cached.models;
    try {
      const provider = await registry.service(id).ensureHealthy({ ...(signal ? { signal } : {}) });
      const models = await provider.listModels({ ...(signal ? { signal } : {}) });
      served.set(id, { at: Date.now(), models });
      return models;
    } catch {
      return cached?.models ?? [];
    }
  }

  /** Every configured model (and every model a healthy server lists), with provider, state and context. */
  async function models(signal?: AbortSignal): Promise<GatewayModel[]> {
    const statuses = new Map(registry.status().map((s) => [s.id, s]));
    const out: GatewayModel[] = [];
    for (const p of Object.values(config().providers)) {
      const status = statuses.get(p.id);
      const state = modelState(status);
      const seen = new Set<string>();
      const add = (name: string, info?: ModelInfo) => {
        if (seen.has(name)) return;
        seen.add(name);
        out.push({
          id: `${p.id}/${name}`,
          provider: p.id,
          model: name,
          state: name === p.model || info ? state : 'stopped',
          created: started,
          ...(info?.contextLength !== undefined ? { contextLength: info.contextLength } : {}),
          ...(info?.capabilities ? { capabilities: info.capabilities } : {}),
        });
      };
      const infos = await listed(p.id, status, signal);
      if (p.model !== undefined)
        add(
          p.model,
          infos.find((m) => m.id === p.model),
        );
      for (const info of infos) add(info.id, info);
    }
    return out;
  }

  /**
   * The provider a model name routes to: `provider/model`, a bare provider id (its configured model), or
   * a model one provider is configured with or lists. Unknown: MODEL_NOT_FOUND (404) listing the ids.
   */
  function route(name: string): Route {
    const cfg = config();
    const alias = cfg.serve?.aliases[name];
    if (alias !== undefined && alias !== name) return route(alias);
    const choice = modelChoice(cfg, name);
    if (choice.qualified) return { provider: choice.provider, model: choice.model };
    if (cfg.providers[name] !== undefined) return { provider: name };
    const order = [cfg.active, ...cfg.fallback, ...Object.keys(cfg.providers)];
    for (const id of order) if (cfg.providers[id]?.model === name) return { provider: id, model: name };
    for (const id of order) if (served.get(id)?.models.some((m) => m.id === name)) return { provider: id, model: name };
    const available = Object.values(cfg.providers).flatMap((p) =>
      p.model !== undefined ? [`${p.id}/${p.model}`] : [p.id],
    );
    throw new AcodeError(
      'MODEL_NOT_FOUND',
      `No configured provider serves the model "${name}".`,
      `Ask for one of: ${available.join(', ')} (or "<provider>/<model>").`,
      { details: { model: name, available, httpStatus: 404 } },
    );
  }

  /**
   * One answer as chunks: the routed provider is made healthy (started, pulled, loaded on demand, with
   * progress), then its crash-safe stream is passed through. A provider that cannot be had falls back
   * in the configured order before the first chunk; after it, the crash-safe layer retries the same one.
   */
  /**
   * One answer as chunks, through a request machine (machines/request.ts streamAnswer): the routed
   * provider is made healthy (started, pulled, loaded on demand, with progress), a provider that cannot
   * be had falls back in the configured order, and a broken stream is resumed or restarted.
   */
  async function* answer(
    target: Route,
    request: ChatRequest,
    events: AnswerEvents,
    signal: AbortSignal,
  ): AsyncGenerator<StreamChunk> {
    const unsubscribe = registry.onStatus((s) => {
      const line = progressLine(s);
      if (line !== undefined) events.onProgress?.(line);
    });
    // The provider in use is the one asked last (a fallback may differ from the routed one).
    let using = residency.begin(target.provider);
    try {
      await residency.makeRoom(target.provider, signal);
      yield* streamAnswer(
        registry,
        { ...request, ...(target.model !== undefined ? { model: target.model } : {}) },
        {
          preferred: target.provider,
          signal,
          requirements: request.tools ? { tools: true } : {},
          ...(events.onRetry ? { onRetry: events.onRetry } : {}),
          ...(events.onFallback ? { onFallback: events.onFallback } : {}),
          onProvider: (id) => {
            unsubscribe();
            if (id !== target.provider) {
              using();
              using = residency.begin(id);
            }
            events.onProvider?.(id);
          },
        },
      );
    } finally {
      unsubscribe();
      using();
    }
  }

  /**
   * The routed provider itself, made healthy (started, loaded on demand, with progress), for answers
   * that must come from exactly that model: no fallback, since another model's embeddings or infill
   * would be a different answer, not a substitute.
   */
  async function ready(target: Route, events: AnswerEvents, signal: AbortSignal): Promise<ModelProvider> {
    const unsubscribe = registry.onStatus((s) => {
      const line = s.id === target.provider ? progressLine(s) : undefined;
      if (line !== undefined) events.onProgress?.(line);
    });
    try {
      const provider = await registry.service(target.provider).ensureHealthy({ signal });
      events.onProvider?.(target.provider);
      return provider;
    } finally {
      unsubscribe();
    }
  }

  /** A raw completion (or fill in the middle) from the routed provider, as chunks. */
  async function* completeText(
    target: Route,
    request: TextCompletionRequest,
    events: AnswerEvents,
    signal: AbortSignal,
  ): AsyncGenerator<StreamChunk> {
    const provider = await ready(target, events, signal);
    if (!provider.completeText)
      throw new AcodeError(
        'BAD_REQUEST',
        `${target.provider} cannot answer raw completions.`,
        'Use /v1/chat/completions or /api/chat.',
      );
    yield* provider.completeText(
      { ...request, ...(target.model !== undefined ? { model: target.model } : {}) },
      { signal },
    );
  }

  return {
    models,
    route,
    answer,
    ready,
    completeText,
    status: () => registry.status(),
    close: () => residency.close(),
    get config() {
      return config();
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;
