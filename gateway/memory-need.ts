// What a server acode would start needs in memory, and on which device, estimated before its start as
// Ollama's scheduler and llama-swap's groups decide whether models can share a machine: the weights on
// disk (the GGUF for llama-server, the Hugging Face cache's safetensors for vLLM, Ollama's model size)
// plus a margin for the KV cache and compute buffers; vLLM reserves gpu.memory_utilization of each GPU
// it uses however small the model. Unknown (LM Studio, a model not on disk yet): undefined, not checked.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedModel, hubEnv, type ModelInfo } from '../adapters/index.js';
import { DEFAULT_MEMORY_UTILIZATION, gpusInUse, type GpuInfo } from '../actors/index.js';
import type { ProviderConfig } from '../config/index.js';

export type MemoryDevice = 'gpu' | 'ram';

export interface MemoryNeed {
  device: MemoryDevice;
  bytes: number;
  /** How it was estimated, for the error that says it does not fit. */
  basis: string;
}

const MIB = 1024 * 1024;
/** The margin over the weights: 20 % and 256 MiB (KV cache at a default context, compute buffers). */
const withMargin = (bytes: number): number => Math.ceil((bytes * 1.2) / MIB) * MIB + 256 * MIB;
const WEIGHTS = /\.(safetensors|bin|pt|pth)$/;

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (s) => (s.isFile() ? s.size : undefined),
    () => undefined,
  );
}

/** The weights of a Hugging Face model in the cache (or a local model directory), in bytes. */
async function weightsBytes(dir: string): Promise<number | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const sizes = await Promise.all(names.filter((n) => WEIGHTS.test(n)).map((n) => sizeOf(join(dir, n))));
  const known = sizes.filter((s): s is number => s !== undefined);
  return known.length > 0 ? known.reduce((a, b) => a + b, 0) : undefined;
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * MIB ? `${(bytes / 1024 / MIB).toFixed(1)} GiB` : `${Math.ceil(bytes / MIB)} MiB`;
}

/**
 * The estimate for `provider` with these GPUs visible (none: its server runs on the CPU, in RAM).
 * `listed` is what the provider's server last listed (Ollama's /api/tags sizes).
 */
export async function memoryNeed(
  provider: ProviderConfig,
  gpus: readonly GpuInfo[],
  env: NodeJS.ProcessEnv,
  listed: readonly ModelInfo[],
): Promise<MemoryNeed | undefined> {
  const model = provider.model;
  if (model === undefined) return undefined;
  const device: MemoryDevice = gpus.length > 0 ? 'gpu' : 'ram';
  switch (provider.kind) {
    case 'llamacpp': {
      const size = await sizeOf(model);
      return size === undefined
        ? undefined
        : { device, bytes: withMargin(size), basis: `the GGUF file ${formatBytes(size)} + 20 % + 256 MiB` };
    }
    case 'ollama': {
      const size = listed.find((m) => m.id === model || m.id === `${model}:latest`)?.sizeBytes;
      return size === undefined
        ? undefined
        : { device, bytes: withMargin(size), basis: `the model ${formatBytes(size)} + 20 % + 256 MiB` };
    }
    case 'vllm': {
      const local = await weightsBytes(model);
      const cached = local ?? (await cachedOf(model, env));
      const weights = cached === undefined ? 0 : withMargin(cached);
      const used = gpusInUse(provider, gpus, env).used;
      if (device === 'ram' || used.length === 0)
        return cached === undefined
          ? undefined
          : { device, bytes: weights, basis: `the weights ${formatBytes(cached)} + 20 % + 256 MiB` };
      const utilization = provider.gpu.memoryUtilization ?? DEFAULT_MEMORY_UTILIZATION;
      const reserved = used.reduce((sum, g) => sum + utilization * (g.memoryTotalMiB ?? 0) * MIB, 0);
      return reserved >= weights
        ? {
            device,
            bytes: Math.ceil(reserved),
            basis: `gpu.memory_utilization ${utilization} of ${used.length} GPU(s)`,
          }
        : { device, bytes: weights, basis: `the weights ${formatBytes(cached!)} + 20 % + 256 MiB` };
    }
    default:
      return undefined;
  }
}

async function cachedOf(model: string, env: NodeJS.ProcessEnv): Promise<number | undefined> {
  const cache = await cachedModel(hubEnv(env).cacheDir, model).catch(() => undefined);
  return cache?.snapshot ? weightsBytes(cache.snapshot) : undefined;
}
