// Shared state of the fake Ollama: the store, the pullable catalogue, and lazily loaded models with their
// keep-alive expiry (what /api/ps shows).

import { json, parseJson } from './lib/http-core.js';
import type { Reply } from './lib/reply.js';
import { delay, type Runtime } from './lib/runtime.js';
import type { OllamaStore, StoredModel } from './ollama-store.js';

export const OLLAMA_VERSION = '0.12.6';

export interface Loaded {
  model: StoredModel;
  expiresAt: Date;
  timer: NodeJS.Timeout | null;
}

export interface OllamaState {
  runtime: Runtime;
  store: OllamaStore;
  catalogue: Set<string>;
  loaded: Map<string, Loaded>;
  loading: Map<string, Promise<void>>;
  log(level: 'INFO' | 'WARN' | 'ERROR', source: string, msg: string): void;
}

export function ollamaError(reply: Reply, status: number, message: string): Promise<void> {
  return json(reply, status, { error: message }, 'application/json; charset=utf-8');
}

export type Body = Record<string, unknown>;

/** Parses the JSON body with Ollama's error texts; null when an error reply was sent. */
export async function readRequest(body: string, reply: Reply): Promise<Body | null> {
  if (body.trim() === '') {
    await ollamaError(reply, 400, 'missing request body');
    return null;
  }
  const parsed = parseJson(body);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    await ollamaError(
      reply,
      400,
      parsed.ok
        ? 'json: cannot unmarshal into Go value of type api.Request'
        : `invalid character in request body: ${parsed.error}`,
    );
    return null;
  }
  return parsed.value as Body;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/** keep_alive as Ollama reads it: number = seconds, string = Go duration; undefined = default 5m. */
export function parseKeepAlive(v: unknown): { ok: true; ms: number } | { ok: false; error: string } {
  if (v === undefined || v === null) return { ok: true, ms: 5 * 60_000 };
  if (typeof v === 'number') return { ok: true, ms: v < 0 ? -1 : v * 1000 };
  if (typeof v !== 'string')
    return { ok: false, error: `Unsupported type: '${Array.isArray(v) ? 'array' : typeof v}'` };
  if (v === '0') return { ok: true, ms: 0 };
  const m = /^(-?)((?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+)$/.exec(v);
  if (!m) return { ok: false, error: `time: missing unit in duration "${v}"` };
  let ms = 0;
  for (const part of (m[2] ?? '').matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g))
    ms += Number(part[1]) * (UNIT_MS[part[2] ?? 's'] ?? 0);
  return { ok: true, ms: m[1] === '-' ? -1 : ms };
}

/** Loads lazily (ACODE_FAKE_LOAD_DELAY_MS on first use); returns the load time in nanoseconds. */
export async function ensureLoaded(s: OllamaState, model: StoredModel): Promise<number> {
  if (s.loaded.has(model.name)) return 0;
  const started = process.hrtime.bigint();
  let pending = s.loading.get(model.name);
  if (!pending) {
    pending = delay(s.runtime.knobs.loadDelayMs).then(() => {
      s.loaded.set(model.name, { model, expiresAt: new Date(Date.now() + 5 * 60_000), timer: null });
      s.loading.delete(model.name);
      s.log(
        'INFO',
        'server.go:1289',
        `llama runner started in ${(s.runtime.knobs.loadDelayMs / 1000).toFixed(2)} seconds`,
      );
    });
    s.loading.set(model.name, pending);
  }
  await pending;
  return Number(process.hrtime.bigint() - started);
}

/** After a request: keep the model for keep_alive (0 unloads now, negative keeps it forever). */
export function touch(s: OllamaState, name: string, keepAliveMs: number): void {
  const entry = s.loaded.get(name);
  if (!entry) return;
  if (entry.timer) clearTimeout(entry.timer);
  entry.timer = null;
  if (keepAliveMs === 0) {
    s.loaded.delete(name);
    return;
  }
  entry.expiresAt = keepAliveMs < 0 ? new Date('2318-01-01T00:00:00Z') : new Date(Date.now() + keepAliveMs);
  if (keepAliveMs > 0) {
    entry.timer = setTimeout(() => s.loaded.delete(name), keepAliveMs);
    entry.timer.unref();
  }
}
