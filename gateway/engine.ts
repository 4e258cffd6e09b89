// What the gateway asks of the engine: which models exist and in what state, which provider a model
// name routes to, and one answer as a stream of chunks, started on demand with progress meanwhile.
// The HTTP side (server.ts) only translates; every lifecycle decision stays in the registry's machines.
import { AcodeError, type AcodeConfig } from '../config/index.js';
import type {
  ChatRequest,
  ModelInfo,
  ModelProvider,
  ServerHints,
  StreamChunk,
  TextCompletionRequest,
} from '../adapters/index.js';
import {
  callProvider,
  modelChoice,
  progressLine,
  streamAnswer,
  streamText,
  type ProviderStatus,
  type Registry,
  type RetryInfo,
  type FallbackReason,
} from '../machines/index.js';
import type { GatewayModel } from './openai-protocol.js';
import { Residency } from './residency.js';
import { applyHints } from './server-hints.js';
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
  /** What was done with a request's server hints (num_ctx, keep_alive), as a response header. */
  onHeader?: (name: string, value: string) => void;
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

// The request as the routed provider gets it: with the model the route names, if it names one.
function withModel<R extends { model?: string }>(request: R, target: Route): R {
  return target.model !== undefined ? { ...request, model: target.model } : request;
}

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
      // Ollama's list has no context length (only /api/show does), and llama-server lists the file name
      // of its configured path: the configured model's own info route says both.
      const configured = config().providers[id]?.model;
      if (configured !== undefined && models.find((m) => m.id === configured)?.contextLength === undefined) {
        const info = await provider.modelInfo(configured, { ...(signal ? { signal } : {}) }).catch(() => undefined);
        if (info) models.unshift({ ...info, id: configured });
      }
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
      // llama-server lists the file name of the model path it was started with: the same model.
      const file = p.model?.includes('/') ? p.model.slice(p.model.lastIndexOf('/') + 1) : undefined;
      for (const info of infos) if (info.id !== file) add(info.id, info);
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
   * A request to `target` has begun: it counts as in use, and load progress goes to the client until a
   * provider is healthy (a provider fallen back to counts instead). `end` when the request is over.
   */
  function inUse(target: Route, events: AnswerEvents) {
    const unsubscribe = registry.onStatus((s) => {
      const line = progressLine(s);
      if (line !== undefined) events.onProgress?.(line);
    });
    // The provider in use is the one asked last (a fallback may differ from the routed one).
    let using = residency.begin(target.provider);
    return {
      onProvider(id: string) {
        unsubscribe();
        if (id !== target.provider) {
          using();
          using = residency.begin(id);
        }
        events.onProvider?.(id);
      },
      end() {
        unsubscribe();
        using();
      },
    };
  }

  /**
   * What every route does before its request machine runs: the provider counts as in use (and the
   * client gets load progress) until `end`, room is made for it, and the client's hints are applied.
   * `options` are what each request machine takes from it.
   */
  async function begin<H extends ServerHints>(target: Route, hints: H, events: AnswerEvents, signal: AbortSignal) {
    const use = inUse(target, events);
    try {
      await residency.makeRoom(target.provider, signal);
      const sent = await applyHints(
        { registry, residency },
        target.provider,
        hints,
        events.onHeader ?? (() => {}),
        signal,
      );
      const options = {
        preferred: target.provider,
        signal,
        ...(events.onRetry ? { onRetry: events.onRetry } : {}),
        ...(events.onFallback ? { onFallback: events.onFallback } : {}),
        onProvider: use.onProvider,
      };
      return { sent, options, end: use.end };
    } catch (error) {
      use.end();
      throw error;
    }
  }

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
    const { sent, options, end } = await begin(target, request, events, signal);
    try {
      yield* streamAnswer(registry, withModel(sent, target), {
        ...options,
        requirements: request.tools ? { tools: true } : {},
      });
    } finally {
      end();
    }
  }

  /**
   * A raw completion (or fill in the middle) from the routed provider as chunks, through a request
   * machine (machines/request.ts streamText): started on demand, a broken stream resumed after the text
   * shown. No fallback: another model's completion or infill would be a different answer.
   */
  async function* completeText(
    target: Route,
    request: TextCompletionRequest,
    events: AnswerEvents,
    signal: AbortSignal,
  ): AsyncGenerator<StreamChunk> {
    const { sent, options, end } = await begin(target, request, events, signal);
    try {
      yield* streamText(registry, withModel(sent, target), options);
    } finally {
      end();
    }
  }

  /**
   * One idempotent call (embeddings, a pull) on the routed provider, through a request machine
   * (machines/request.ts callProvider): started on demand, made again once a server that went away is
   * back, and passed to another provider only where `substitute` says its answer is the same. `hints`
   * (keep_alive) are applied as an answer's are; `work` gets the ones its backend's wire carries.
   */
  async function call<T>(
    target: Route,
    work: (provider: ModelProvider, id: string, signal: AbortSignal, hints: ServerHints) => Promise<T>,
    events: AnswerEvents & { substitute?: (id: string) => boolean; hints?: ServerHints },
    signal: AbortSignal,
  ): Promise<T> {
    const { sent: hints, options, end } = await begin(target, events.hints ?? {}, events, signal);
    try {
      return await callProvider(registry, (provider, id) => work(provider, id, signal, hints), {
        ...options,
        ...(events.substitute ? { substitute: events.substitute } : {}),
      });
    } finally {
      end();
    }
  }

  return {
    models,
    route,
    answer,
    completeText,
    call,
    status: () => registry.status(),
    onStatus: (listener: (status: ProviderStatus) => void) => registry.onStatus(listener),
    close: () => residency.close(),
    get config() {
      return config();
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;
