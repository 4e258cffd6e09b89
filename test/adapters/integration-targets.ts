// The servers the integration suite runs against: the stand-ins from test/servers by default, or a real
// server when ACODE_TEST_OLLAMA_URL / ACODE_TEST_OPENAI_URL (+ ACODE_TEST_MODEL) are set, plus the real
// llama-server of ../shared/real-servers when it is there. With both set, ACODE_TEST_OLLAMA_MODEL /
// ACODE_TEST_OPENAI_MODEL name each one's model; a name the server does not list, or none, means the
// first one it lists. ACODE_TEST_OPENAI_KIND (vllm | llamacpp | lmstudio, default vllm) picks the quirks. Tests that need
// a stand-in knob (crash, hang, garbage ...) are skipped against a real server, visibly (`it.skip`).
import type { Socket } from 'node:net';
import { it } from 'vitest';
import { createProvider, type CreateProviderOptions, type ModelProvider } from '../../adapters/index.js';
import type { ProviderKind, WireType } from '../../config/index.js';
import { startTestServer, type Knobs, type TestServer } from '../servers/harness.js';
import { realLlama, startRealLlama } from '../real/llama-server.js';
import { providerConfig } from './fixture-server.js';

export type StandIn = 'ollama' | 'vllm' | 'llama-server';

export interface Target {
  name: string;
  kind: ProviderKind;
  type: WireType;
  /** undefined for a real server. */
  standIn?: StandIn;
  realUrl?: string;
  realModel?: string;
  /** The real llama-server binary, started per test. */
  realBinary?: boolean;
}

export interface Running {
  url: string;
  model: string;
  server?: TestServer;
  sockets: Socket[];
  provider: ModelProvider;
  /** Another provider on the same server (own pool), e.g. for probes while the first one is busy. */
  another(opts?: CreateProviderOptions): ModelProvider;
  stop(): Promise<void>;
}

export function targets(): Target[] {
  const env = process.env;
  const out: Target[] = [];
  if (env.ACODE_TEST_OLLAMA_URL) {
    out.push({
      name: `real ollama at ${env.ACODE_TEST_OLLAMA_URL}`,
      kind: 'ollama',
      type: 'ollama',
      realUrl: env.ACODE_TEST_OLLAMA_URL,
      realModel: env.ACODE_TEST_OLLAMA_MODEL ?? env.ACODE_TEST_MODEL,
    });
  } else {
    out.push({ name: 'stand-in ollama', kind: 'ollama', type: 'ollama', standIn: 'ollama' });
  }
  if (env.ACODE_TEST_OPENAI_URL) {
    const kind = (env.ACODE_TEST_OPENAI_KIND ?? 'vllm') as ProviderKind;
    out.push({
      name: `real ${kind} at ${env.ACODE_TEST_OPENAI_URL}`,
      kind,
      type: 'openai-compatible',
      realUrl: env.ACODE_TEST_OPENAI_URL,
      realModel: env.ACODE_TEST_OPENAI_MODEL ?? env.ACODE_TEST_MODEL,
    });
  } else {
    out.push({ name: 'stand-in vllm', kind: 'vllm', type: 'openai-compatible', standIn: 'vllm' });
    out.push({ name: 'stand-in llama-server', kind: 'llamacpp', type: 'openai-compatible', standIn: 'llama-server' });
  }
  if (realLlama)
    out.push({
      name: 'real llama-server (../shared/real-servers)',
      kind: 'llamacpp',
      type: 'openai-compatible',
      realBinary: true,
    });
  return out;
}

export interface StartOptions {
  knobs?: Partial<Knobs>;
  args?: string[];
  waitReady?: boolean;
  provider?: CreateProviderOptions;
}

export async function start(t: Target, opts: StartOptions = {}): Promise<Running> {
  const sockets: Socket[] = [];
  const make = (url: string, model: string, extra: CreateProviderOptions = {}): ModelProvider =>
    createProvider(providerConfig(t.kind, t.type, url, model), { ...opts.provider, ...extra });
  if (t.realBinary) {
    const server = await startRealLlama();
    const provider = make(server.url, server.model, { onSocket: (s) => sockets.push(s) });
    return {
      url: server.url,
      model: server.model,
      sockets,
      provider,
      another: (o) => make(server.url, server.model, o),
      stop: async () => {
        await provider.close();
        await server.stop();
      },
    };
  }
  if (!t.standIn) {
    const url = t.realUrl!.replace(/\/+$/, '');
    const served = (await make(url, '').listModels()).map((m) => m.id);
    const model = t.realModel && served.includes(t.realModel) ? t.realModel : (served[0] ?? '');
    const provider = make(url, model, { onSocket: (s) => sockets.push(s) });
    return { url, model, sockets, provider, another: (o) => make(url, model, o), stop: () => provider.close() };
  }
  const server = await startTestServer(t.standIn, {
    ...(t.standIn === 'ollama' ? { model: 'llama3.2:latest' } : {}),
    knobs: opts.knobs,
    args: opts.args,
    waitReady: opts.waitReady,
  });
  const provider = make(server.url, server.model, { onSocket: (s) => sockets.push(s) });
  const extra: ModelProvider[] = [];
  return {
    url: server.url,
    model: server.model,
    server,
    sockets,
    provider,
    another: (o) => {
      const p = make(server.url, server.model, o);
      extra.push(p);
      return p;
    },
    stop: async () => {
      await Promise.all([provider.close(), ...extra.map((p) => p.close())]);
      await server.stop();
    },
  };
}

/** `it` for tests that need a stand-in (knobs, deterministic output); a visible skip against a real server. */
export function standInIt(t: Target): typeof it {
  return t.standIn ? it : (it.skip as typeof it);
}
