// The measured side of the benchmarks: services built the way the product builds them. Kept apart from
// lib.ts (undici's full index for the raw baseline, the stand-ins' harness) so that a measured process,
// such as footprint-watcher, loads what acode loads and nothing of the measuring.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_LIFECYCLE,
  DEFAULT_REQUEST_TIMEOUTS,
  type LifecycleConfig,
  type ProviderConfig,
} from '../config/index.js';
import { createService, type CreateServiceOptions, type Service } from '../machines/index.js';
import { createActorImplementations, type ActorDeps } from '../actors/index.js';

// dist/bench/services.js -> <repo>/test/servers/bin (the shims run the built stand-ins).
const serversBinDir = fileURLToPath(new URL('../../test/servers/bin', import.meta.url));
// A model file for a managed llama-server: acode checks that it exists before spawning (the stand-in only needs that).
export const LLAMA_MODEL = fileURLToPath(
  new URL('../../test/servers/models/qwen2.5-0.5b-instruct-q4_k_m.gguf', import.meta.url),
);

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `acode-bench-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** PATH with the stand-in servers first, so a managed service spawns them instead of real binaries. */
export function standInEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ACODE_FAKE_')));
  return { ...inherited, PATH: `${serversBinDir}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

export function llamaProvider(id: string, port: number, lifecycle: Partial<LifecycleConfig> = {}): ProviderConfig {
  return {
    id,
    kind: 'llamacpp',
    type: 'openai-compatible',
    model: LLAMA_MODEL,
    host: '127.0.0.1',
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    args: [],
    lifecycle: { ...DEFAULT_LIFECYCLE, ...lifecycle },
    timeouts: DEFAULT_REQUEST_TIMEOUTS,
    gpu: {},
  };
}

export interface ServiceOptions {
  stateDir: string;
  actorDeps?: Partial<ActorDeps>;
  tuning?: CreateServiceOptions['tuning'];
}

export function serviceFor(provider: ProviderConfig, { stateDir, actorDeps, tuning }: ServiceOptions): Service {
  return createService({
    ref: { provider, mode: 'local-only', stateDir },
    actors: createActorImplementations({ env: standInEnv(), ...actorDeps }),
    ...(tuning ? { tuning } : {}),
  });
}
