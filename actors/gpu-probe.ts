// The GPU probe: what nvidia-smi says about the GPUs and the processes holding their memory, parsed
// from its CSV by pure functions, plus which of them CUDA_VISIBLE_DEVICES leaves to vLLM. Bounded by a
// timeout: nvidia-smi hangs when the driver is wedged, and a probe must never hang a start. Without
// nvidia-smi, AMD's rocm-smi gives the same facts (gpu-rocm.ts).
import { parseRocmSmiJson, ROCM_SMI_ARGS } from './gpu-rocm.js';

/** One GPU as nvidia-smi reports it; a field it cannot report ([N/A], [Not Supported]) is null. */
export interface GpuInfo {
  index: number;
  uuid: string;
  name: string;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  utilizationPercent: number | null;
}

/** A process holding memory on a GPU (`--query-compute-apps`). */
export interface GpuProcess {
  gpuUuid: string;
  pid: number;
  name: string;
  usedMemoryMiB: number | null;
}

export type GpuProbe =
  /** nvidia-smi answered; `errors` are lines about a GPU it could not read (a lost GPU, an Xid). */
  | { kind: 'ok'; gpus: GpuInfo[]; processes: GpuProcess[]; errors: string[] }
  /** No nvidia-smi on PATH: no NVIDIA driver on this machine. */
  | { kind: 'absent' }
  /** nvidia-smi failed, timed out or printed nothing we could read. */
  | { kind: 'failed'; detail: string };

const GPU_QUERY_ARGS = [
  '--query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu',
  '--format=csv,noheader,nounits',
];
const APPS_QUERY_ARGS = ['--query-compute-apps=gpu_uuid,pid,process_name,used_memory', '--format=csv,noheader,nounits'];
export const GPU_PROBE_TIMEOUT_MS = 10_000;

// "[N/A]", "[Not Supported]", "[Unknown Error]": nvidia-smi's bracketed "no value" markers.
const number = (field: string | undefined): number | null => {
  if (field === undefined || /^\[.*\]$/.test(field)) return null;
  const value = Number(field);
  return field !== '' && Number.isFinite(value) ? value : null;
};
// Markers that mean the GPU is in trouble, not merely that a field is unsupported on it.
const FAULT_MARKER = /\[(Unknown Error|GPU is lost|GPU requires reset)\]|Unable to determine|GPU is lost|Xid/i;

/** Parses `--query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu --format=csv,noheader,nounits`. */
export function parseGpuCsv(text: string): { gpus: GpuInfo[]; errors: string[] } {
  const gpus: GpuInfo[] = [];
  const errors: string[] = [];
  for (const line of text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')) {
    const fields = line.split(',').map((f) => f.trim());
    const index = number(fields[0]);
    if (fields.length < 6 || index === null) {
      errors.push(line);
      continue;
    }
    // A name with a comma in it: everything between the uuid and the last three numbers.
    const [total, used, util] = fields.slice(-3);
    gpus.push({
      index,
      uuid: fields[1] ?? '',
      name: fields.slice(2, -3).join(', '),
      memoryTotalMiB: number(total),
      memoryUsedMiB: number(used),
      utilizationPercent: number(util),
    });
    if (FAULT_MARKER.test(line)) errors.push(line);
  }
  return { gpus, errors };
}

/** Parses `--query-compute-apps=gpu_uuid,pid,process_name,used_memory --format=csv,noheader,nounits`. */
export function parseComputeApps(text: string): GpuProcess[] {
  const found: GpuProcess[] = [];
  for (const line of text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')) {
    const fields = line.split(',').map((f) => f.trim());
    const pid = number(fields[1]);
    if (fields.length < 4 || pid === null) continue;
    found.push({
      gpuUuid: fields[0] ?? '',
      pid,
      name: fields.slice(2, -1).join(', '),
      usedMemoryMiB: number(fields.at(-1)),
    });
  }
  return found;
}

/**
 * The GPUs a CUDA program started with this CUDA_VISIBLE_DEVICES sees, in its order: unset = all;
 * empty or -1 = none; else indices or UUIDs (a unique prefix, as CUDA allows). Like CUDA, an entry that
 * names no GPU ends the list.
 */
export function visibleGpus(gpus: readonly GpuInfo[], cudaVisibleDevices: string | undefined): GpuInfo[] {
  if (cudaVisibleDevices === undefined) return [...gpus];
  const picked: GpuInfo[] = [];
  for (const entry of cudaVisibleDevices.split(',').map((e) => e.trim())) {
    const match = /^\d+$/.test(entry)
      ? gpus.find((g) => g.index === Number(entry))
      : entry.length > 0
        ? onlyOne(gpus.filter((g) => g.uuid.startsWith(entry)))
        : undefined;
    if (!match || picked.includes(match)) break;
    picked.push(match);
  }
  return picked;
}

const onlyOne = <T>(list: T[]): T | undefined => (list.length === 1 ? list[0] : undefined);

/**
 * Runs nvidia-smi twice (GPUs, then who holds memory); without nvidia-smi, rocm-smi once (AMD GPUs; it
 * names no processes). Never throws except on abort.
 */
export async function probeGpus(
  env: NodeJS.ProcessEnv,
  { signal, timeoutMs = GPU_PROBE_TIMEOUT_MS }: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<GpuProbe> {
  const gpuRun = await runTool('nvidia-smi', GPU_QUERY_ARGS, env, timeoutMs, signal);
  if (gpuRun.kind === 'absent') return probeRocm(env, timeoutMs, signal);
  if (gpuRun.kind !== 'ok') return gpuRun;
  const { gpus, errors } = parseGpuCsv(gpuRun.stdout);
  if (gpus.length === 0 && errors.length > 0) return { kind: 'failed', detail: errors.join('; ') };
  const appsRun = await runTool('nvidia-smi', APPS_QUERY_ARGS, env, timeoutMs, signal);
  // Who holds memory only names processes in a refusal: a failure here is not a GPU fault.
  const processes = appsRun.kind === 'ok' ? parseComputeApps(appsRun.stdout) : [];
  return { kind: 'ok', gpus, processes, errors };
}

type Run = { kind: 'ok'; stdout: string } | { kind: 'absent' } | { kind: 'failed'; detail: string };

async function probeRocm(
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<GpuProbe> {
  const run = await runTool('rocm-smi', ROCM_SMI_ARGS, env, timeoutMs, signal);
  if (run.kind !== 'ok') return run;
  const { gpus, errors } = parseRocmSmiJson(run.stdout);
  if (errors.length > 0) return { kind: 'failed', detail: errors.join('; ') };
  return { kind: 'ok', gpus, processes: [], errors: [] };
}

async function runTool(
  tool: 'nvidia-smi' | 'rocm-smi',
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Run> {
  // Loaded here, not at module load: most commands never probe, and execa costs ~75 ms to import.
  const { execa } = await import('execa');
  const result = await execa(tool, args, {
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: timeoutMs,
    forceKillAfterDelay: 1_000,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  signal?.throwIfAborted();
  if (result.code === 'ENOENT') return { kind: 'absent' };
  if (result.timedOut)
    return { kind: 'failed', detail: `${tool} did not answer within ${timeoutMs / 1000} s (a wedged driver?)` };
  if (result.failed) {
    const said = `${String(result.stdout)}\n${String(result.stderr)}`
      .trim()
      .split('\n')
      .find((l) => l.trim() !== '');
    return {
      kind: 'failed',
      detail: `${tool} ${result.exitCode === undefined ? 'failed' : `exited with code ${result.exitCode}`}${said ? `: ${said.trim()}` : ''}`,
    };
  }
  return { kind: 'ok', stdout: String(result.stdout) };
}
