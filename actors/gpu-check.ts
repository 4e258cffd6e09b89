// What the GPU probe means for a vLLM start (a refusal with the fix, instead of a CUDA OOM minutes
// later) and for a vLLM that runs (a fault that marks it degraded). Pure over a probe result.
import { AcodeError } from '../config/index.js';
import type { ProviderConfig } from '../config/index.js';
import { buildLaunch } from './argv.js';
import type { ServiceRef } from './contracts.js';
import type { ActorDeps } from './deps.js';
import { probeGpus, visibleGpus, type GpuInfo, type GpuProbe, type GpuProcess } from './gpu-probe.js';

/** vLLM's own defaults for --gpu-memory-utilization and --tensor-parallel-size (argv.ts passes the same). */
export const DEFAULT_MEMORY_UTILIZATION = 0.9;
const DEFAULT_TENSOR_PARALLEL_SIZE = 1;

/** Does this provider need GPUs checked? vLLM, unless its config says it is a CPU build. */
export function checksGpus(provider: ProviderConfig): boolean {
  return provider.kind === 'vllm' && provider.gpu.required !== false;
}

const CPU_HINT = (id: string) =>
  `vLLM needs an NVIDIA GPU with its driver (nvidia-smi). Without one, install vLLM's CPU build ` +
  `(VLLM_TARGET_DEVICE=cpu, see vLLM's CPU installation guide) and set providers.${id}.gpu.required: false.`;

const describe = (g: GpuInfo) => `GPU ${g.index} (${g.name})`;
const visibility = (env: NodeJS.ProcessEnv) =>
  env.CUDA_VISIBLE_DEVICES === undefined
    ? ''
    : ` with CUDA_VISIBLE_DEVICES=${JSON.stringify(env.CUDA_VISIBLE_DEVICES)}`;

/** The GPUs a vLLM start would use: the first tensor_parallel_size of those CUDA_VISIBLE_DEVICES leaves. */
export function gpusInUse(
  provider: ProviderConfig,
  gpus: readonly GpuInfo[],
  env: NodeJS.ProcessEnv,
): { visible: GpuInfo[]; used: GpuInfo[]; needed: number } {
  const needed = provider.gpu.tensorParallelSize ?? DEFAULT_TENSOR_PARALLEL_SIZE;
  const visible = visibleGpus(gpus, env.CUDA_VISIBLE_DEVICES);
  return { visible, used: visible.slice(0, needed), needed };
}

/** No nvidia-smi, or one that fails: the GPU_UNAVAILABLE a start of provider `id` (and `acode gpus`) reports. */
export function unreadableGpus(id: string, probe: Exclude<GpuProbe, { kind: 'ok' }>): AcodeError {
  const details = { provider: id };
  if (probe.kind === 'absent') {
    return new AcodeError('GPU_UNAVAILABLE', `${id}: no GPU is visible: nvidia-smi is not on PATH.`, CPU_HINT(id), {
      details,
    });
  }
  return new AcodeError(
    'GPU_UNAVAILABLE',
    `${id}: cannot read the GPUs: ${probe.detail}.`,
    'Run nvidia-smi yourself: a driver that does not answer needs a reload or a reboot before vLLM can start.',
    { details },
  );
}

/** Why a vLLM start would fail on these GPUs, or undefined when it would not. */
export function gpuRefusal(provider: ProviderConfig, probe: GpuProbe, env: NodeJS.ProcessEnv): AcodeError | undefined {
  const id = provider.id;
  const details = { provider: id };
  if (probe.kind !== 'ok') return unreadableGpus(id, probe);
  const { visible, used, needed } = gpusInUse(provider, probe.gpus, env);
  if (visible.length === 0) {
    return new AcodeError(
      'GPU_UNAVAILABLE',
      `${id}: no GPU is visible${visibility(env)} (nvidia-smi lists ${probe.gpus.length}).`,
      probe.gpus.length > 0
        ? 'Set CUDA_VISIBLE_DEVICES to GPU indices or UUIDs that nvidia-smi lists, or unset it.'
        : CPU_HINT(id),
      { details },
    );
  }
  if (visible.length < needed) {
    return new AcodeError(
      'GPU_UNAVAILABLE',
      `${id}: gpu.tensor_parallel_size is ${needed} but only ${visible.length} GPU${visible.length === 1 ? ' is' : 's are'} visible${visibility(env)}.`,
      `Set providers.${id}.gpu.tensor_parallel_size to at most ${visible.length}, or make more GPUs visible.`,
      { details: { ...details, tensorParallelSize: needed, visibleGpus: visible.length } },
    );
  }
  const utilization = provider.gpu.memoryUtilization ?? DEFAULT_MEMORY_UTILIZATION;
  const short = used.filter((g) => freeMiB(g) !== null && freeMiB(g)! < utilization * g.memoryTotalMiB!);
  const first = short[0];
  if (!first) return undefined;
  const holders = short.flatMap((g) => probe.processes.filter((p) => p.gpuUuid === g.uuid));
  const fits = Math.floor(Math.min(...short.map((g) => freeMiB(g)! / g.memoryTotalMiB!)) * 100) / 100;
  return new AcodeError(
    'GPU_MEMORY',
    `${id}: ${short.map((g) => `${describe(g)} has ${freeMiB(g)} MiB free of ${g.memoryTotalMiB} MiB`).join('; ')}, ` +
      `but gpu.memory_utilization ${utilization} needs ${Math.ceil(utilization * first.memoryTotalMiB!)} MiB; ` +
      `${holders.length > 0 ? `held by ${holders.map(holder).join(', ')}` : 'no process is listed as holding it'}.`,
    `Stop what holds the GPU memory, or set providers.${id}.gpu.memory_utilization to at most ${Math.max(0.01, fits)}.`,
    {
      details: {
        ...details,
        memoryUtilization: utilization,
        gpus: short.map((g) => g.index),
        holders: holders.map((p) => p.pid),
      },
    },
  );
}

/** The `checkGpus` actor: probes and refuses a vLLM start its GPUs cannot hold; resolves with the GPUs it would use. */
export async function checkGpus(
  ref: ServiceRef,
  deps: ActorDeps,
  { signal }: { signal?: AbortSignal } = {},
): Promise<{ gpus: GpuInfo[] }> {
  if (!checksGpus(ref.provider)) return { gpus: [] };
  // No vLLM at all says more than no GPU: the spawn's own check names the binary (BINARY_NOT_FOUND).
  await buildLaunch(ref.provider, ref.mode, deps.env);
  const probe = await probeGpus(deps.env, { ...(signal ? { signal } : {}), timeoutMs: deps.gpuProbeTimeoutMs });
  const refusal = gpuRefusal(ref.provider, probe, deps.env);
  const found = probe.kind === 'ok' ? { gpus: probe.gpus.length, errors: probe.errors } : probe;
  deps.log[refusal ? 'warn' : 'debug'](
    { provider: ref.provider.id, ...found, ...(refusal ? { refusal: refusal.code } : {}) },
    'gpu probe',
  );
  if (refusal) throw refusal;
  return { gpus: probe.kind === 'ok' ? gpusInUse(ref.provider, probe.gpus, deps.env).used : [] };
}

/** While vLLM runs: what is wrong with the GPUs it uses, or null when they look fine. */
export function gpuFault(provider: ProviderConfig, probe: GpuProbe, env: NodeJS.ProcessEnv): string | null {
  if (probe.kind === 'absent') return 'nvidia-smi is no longer on PATH';
  if (probe.kind === 'failed') return probe.detail;
  const { visible, needed } = gpusInUse(provider, probe.gpus, env);
  if (visible.length < needed)
    return `${needed - visible.length} of its ${needed} GPU${needed === 1 ? '' : 's'} no longer visible`;
  if (probe.errors.length > 0) return `nvidia-smi reports: ${probe.errors[0]}`;
  return null;
}

function freeMiB(g: GpuInfo): number | null {
  return g.memoryTotalMiB === null || g.memoryUsedMiB === null ? null : g.memoryTotalMiB - g.memoryUsedMiB;
}

function holder(p: GpuProcess): string {
  return `${p.name || 'a process'} (pid ${p.pid}${p.usedMemoryMiB === null ? '' : `, ${p.usedMemoryMiB} MiB`})`;
}
