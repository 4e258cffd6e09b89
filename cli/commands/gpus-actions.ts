// What `acode gpus` does, loaded by gpus.ts only when it runs (the probe loads execa).
import { probeGpus, unreadableGpus, visibleGpus, type GpuInfo, type GpuProcess } from '../../actors/index.js';
import type { CliDeps } from '../deps.js';
import { printJson, renderTable } from '../output/index.js';

export interface GpuReport extends GpuInfo {
  /** Would a CUDA program started with this CUDA_VISIBLE_DEVICES see it? */
  visible: boolean;
  processes: GpuProcess[];
}

export async function gpus(deps: CliDeps, opts: { json?: boolean }): Promise<void> {
  const env = { ...deps.env };
  const probe = await probeGpus(env, { signal: deps.signal });
  // The refusal a vLLM start would give (providers.vllm), with its CPU-build hint.
  if (probe.kind !== 'ok') throw unreadableGpus('vllm', probe);
  const visible = visibleGpus(probe.gpus, env.CUDA_VISIBLE_DEVICES);
  const reports: GpuReport[] = probe.gpus.map((g) => ({
    ...g,
    visible: visible.includes(g),
    processes: probe.processes.filter((p) => p.gpuUuid === g.uuid),
  }));
  if (opts.json) {
    printJson(
      deps.stdout,
      { cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES ?? null, gpus: reports, errors: probe.errors },
      deps.env,
    );
    return;
  }
  const mib = (n: number | null) => (n === null ? '-' : `${n} MiB`);
  const rows = reports.map((g) => [
    String(g.index),
    g.name,
    `${mib(g.memoryUsedMiB)} / ${mib(g.memoryTotalMiB)}`,
    g.utilizationPercent === null ? '-' : `${g.utilizationPercent}%`,
    g.visible ? 'yes' : 'no',
    g.processes
      .map((p) => `${p.name} (pid ${p.pid}${p.usedMemoryMiB === null ? '' : `, ${p.usedMemoryMiB} MiB`})`)
      .join(', ') || '-',
  ]);
  deps.stdout.write(renderTable(['GPU', 'NAME', 'MEMORY USED', 'UTIL', 'VISIBLE', 'HELD BY'], rows));
  if (env.CUDA_VISIBLE_DEVICES !== undefined)
    deps.stdout.write(`CUDA_VISIBLE_DEVICES=${JSON.stringify(env.CUDA_VISIBLE_DEVICES)}\n`);
  for (const line of probe.errors) deps.stderr.write(`warning: nvidia-smi: ${line}\n`);
}
