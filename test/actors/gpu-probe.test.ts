// The GPU probe: nvidia-smi's CSV parsed (real-looking output, [N/A] / [Not Supported] fields, a lost
// GPU), CUDA_VISIBLE_DEVICES applied, what a vLLM start would be refused for, and the probe run against
// the nvidia-smi stand-in as a process (its knobs: count, memory, failure, a hang bounded by the timeout).
import { describe, expect, it } from 'vitest';
import { gpuFault, gpuRefusal, parseComputeApps, parseGpuCsv, probeGpus, visibleGpus } from '../../actors/index.js';
import type { GpuProbe } from '../../actors/index.js';
import { isAcodeError } from '../../config/index.js';
import { KNOB_ENV } from '../servers/lib/knobs.js';
import { requireBuiltServers, testEnv } from './helpers.js';
import { providerConfig } from '../support/providers.js';

// Two A100s and an old card that reports neither utilisation nor power, as a real box prints them.
const THREE_GPUS = [
  '0, GPU-8a1f4a3e-11c2-2a5e-71e3-3c2a6c1b9d10, NVIDIA A100-SXM4-80GB, 81920, 4, 0',
  '1, GPU-f3b0c7d2-9e41-6b7a-0c55-d2e8a4f60b21, NVIDIA A100-SXM4-80GB, 81920, 61447, 97',
  '2, GPU-17d9e0aa-4c3b-8f12-93de-0b6a7e5c4f32, Quadro K620, 2000, 1, [N/A]',
  '',
].join('\n');
const APPS = [
  'GPU-f3b0c7d2-9e41-6b7a-0c55-d2e8a4f60b21, 31337, /usr/bin/python3, 61440',
  'GPU-f3b0c7d2-9e41-6b7a-0c55-d2e8a4f60b21, 4242, ollama_llama_server, [N/A]',
].join('\n');

const probeOf = (csv = THREE_GPUS, apps = APPS): GpuProbe => ({
  kind: 'ok',
  ...parseGpuCsv(csv),
  processes: parseComputeApps(apps),
});
const vllm = (gpu: { memoryUtilization?: number; tensorParallelSize?: number } = {}) =>
  providerConfig('vllm', 8000, { gpu });

describe('parseGpuCsv / parseComputeApps', () => {
  it('reads every GPU row; [N/A] and [Not Supported] become null, not a fault', () => {
    const { gpus, errors } = parseGpuCsv(
      `${THREE_GPUS}3, GPU-aa, Tesla T4, [Not Supported], [Not Supported], [Not Supported]\n`,
    );
    expect(errors).toEqual([]);
    expect(gpus.map((g) => [g.index, g.name, g.memoryTotalMiB, g.memoryUsedMiB, g.utilizationPercent])).toEqual([
      [0, 'NVIDIA A100-SXM4-80GB', 81920, 4, 0],
      [1, 'NVIDIA A100-SXM4-80GB', 81920, 61447, 97],
      [2, 'Quadro K620', 2000, 1, null],
      [3, 'Tesla T4', null, null, null],
    ]);
  });

  it('keeps the lines about a GPU it could not read (a lost GPU, [Unknown Error]) as errors', () => {
    const { gpus, errors } = parseGpuCsv(
      'Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error\n1, GPU-b, NVIDIA H100, 81559, [Unknown Error], 0\n',
    );
    expect(gpus.map((g) => g.index)).toEqual([1]);
    expect(errors).toEqual([
      'Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error',
      '1, GPU-b, NVIDIA H100, 81559, [Unknown Error], 0',
    ]);
  });

  it('reads who holds memory, an unreadable amount as null', () => {
    expect(parseComputeApps(APPS)).toEqual([
      {
        gpuUuid: 'GPU-f3b0c7d2-9e41-6b7a-0c55-d2e8a4f60b21',
        pid: 31337,
        name: '/usr/bin/python3',
        usedMemoryMiB: 61440,
      },
      {
        gpuUuid: 'GPU-f3b0c7d2-9e41-6b7a-0c55-d2e8a4f60b21',
        pid: 4242,
        name: 'ollama_llama_server',
        usedMemoryMiB: null,
      },
    ]);
    expect(parseComputeApps('No running processes found\n')).toEqual([]);
  });
});

describe('visibleGpus (CUDA_VISIBLE_DEVICES)', () => {
  const { gpus } = parseGpuCsv(THREE_GPUS);
  const indices = (v: string | undefined) => visibleGpus(gpus, v).map((g) => g.index);
  it('unset: all; empty or -1: none; indices in the order given; UUIDs and unique prefixes', () => {
    expect(indices(undefined)).toEqual([0, 1, 2]);
    expect(indices('')).toEqual([]);
    expect(indices('-1')).toEqual([]);
    expect(indices('2,0')).toEqual([2, 0]);
    expect(indices('GPU-17d9e0aa-4c3b-8f12-93de-0b6a7e5c4f32,GPU-8a1f')).toEqual([2, 0]);
  });
  it('like CUDA, an entry that names no GPU ends the list', () => {
    expect(indices('1,7,0')).toEqual([1]);
    expect(indices('GPU-,0')).toEqual([]); // an ambiguous prefix names no single GPU
  });
});

describe('gpuRefusal: a vLLM start its GPUs cannot hold', () => {
  const refuse = (probe: GpuProbe, gpu = {}, env: NodeJS.ProcessEnv = {}) => gpuRefusal(vllm(gpu), probe, env);

  it("no nvidia-smi: GPU_UNAVAILABLE naming vLLM's CPU build and gpu.required: false", () => {
    const e = refuse({ kind: 'absent' });
    expect(e?.code).toBe('GPU_UNAVAILABLE');
    expect(e?.message).toBe('vllm: no GPU is visible: nvidia-smi is not on PATH.');
    expect(e?.hint).toMatch(/CPU build.*VLLM_TARGET_DEVICE=cpu.*providers\.vllm\.gpu\.required: false/);
  });

  it('CUDA_VISIBLE_DEVICES="" hides every GPU', () => {
    expect(refuse(probeOf(), {}, { CUDA_VISIBLE_DEVICES: '' })?.message).toBe(
      'vllm: no GPU is visible with CUDA_VISIBLE_DEVICES="" (nvidia-smi lists 3).',
    );
  });

  it('fewer visible GPUs than tensor_parallel_size: both numbers', () => {
    const e = refuse(probeOf(), { tensorParallelSize: 4 });
    expect(e?.code).toBe('GPU_UNAVAILABLE');
    expect(e?.message).toBe('vllm: gpu.tensor_parallel_size is 4 but only 3 GPUs are visible.');
    expect(e?.details).toMatchObject({ tensorParallelSize: 4, visibleGpus: 3 });
  });

  it('too little free memory on a GPU it would use: GPU_MEMORY naming who holds it', () => {
    const e = refuse(probeOf(), {}, { CUDA_VISIBLE_DEVICES: '1' });
    expect(e?.code).toBe('GPU_MEMORY');
    expect(e?.message).toBe(
      'vllm: GPU 1 (NVIDIA A100-SXM4-80GB) has 20473 MiB free of 81920 MiB, but gpu.memory_utilization 0.9 needs 73728 MiB; ' +
        'held by /usr/bin/python3 (pid 31337, 61440 MiB), ollama_llama_server (pid 4242).',
    );
    expect(e?.hint).toBe(
      'Stop what holds the GPU memory, or set providers.vllm.gpu.memory_utilization to at most 0.24.',
    );
  });

  it('checks only the first tensor_parallel_size visible GPUs, at the configured fraction', () => {
    expect(refuse(probeOf())).toBeUndefined(); // GPU 0 is free; the busy GPU 1 is not used with tp 1
    expect(refuse(probeOf(), { tensorParallelSize: 2 })?.code).toBe('GPU_MEMORY');
    expect(refuse(probeOf(), { tensorParallelSize: 2, memoryUtilization: 0.2 })).toBeUndefined();
  });

  it('a GPU that cannot report its memory is not refused for it', () => {
    expect(
      refuse(probeOf(THREE_GPUS.replace('81920, 61447', '[N/A], [N/A]')), {}, { CUDA_VISIBLE_DEVICES: '1' }),
    ).toBeUndefined();
  });
});

describe("gpuFault: a running vLLM's GPUs", () => {
  it('fine, a GPU gone, nvidia-smi failing, an error line', () => {
    const p = vllm({ tensorParallelSize: 2 });
    expect(gpuFault(p, probeOf(), {})).toBeNull();
    expect(gpuFault(p, probeOf(THREE_GPUS.split('\n').slice(1).join('\n')), { CUDA_VISIBLE_DEVICES: '0,1' })).toBe(
      '2 of its 2 GPUs no longer visible',
    );
    expect(gpuFault(p, { kind: 'failed', detail: 'nvidia-smi exited with code 18' }, {})).toBe(
      'nvidia-smi exited with code 18',
    );
    expect(gpuFault(p, probeOf(`${THREE_GPUS}Xid 79: GPU has fallen off the bus\n`), {})).toBe(
      'nvidia-smi reports: Xid 79: GPU has fallen off the bus',
    );
  });
});

describe('probeGpus against the nvidia-smi stand-in (a process)', () => {
  requireBuiltServers();
  const knob = (env: Record<string, string>) => testEnv(env);

  it('lists its GPUs and the processes holding memory', async () => {
    const probe = await probeGpus(knob({ [KNOB_ENV.gpuCount]: '2', [KNOB_ENV.gpuProcesses]: '4242:python3:70000' }));
    expect(probe.kind).toBe('ok');
    if (probe.kind !== 'ok') return;
    expect(probe.gpus.map((g) => [g.index, g.memoryTotalMiB, g.memoryUsedMiB])).toEqual([
      [0, 81920, 70000],
      [1, 81920, 0],
    ]);
    expect(probe.processes).toEqual([
      { gpuUuid: probe.gpus[0]?.uuid, pid: 4242, name: 'python3', usedMemoryMiB: 70000 },
    ]);
    expect(gpuRefusal(vllm(), probe, {})?.code).toBe('GPU_MEMORY');
  });

  it('no nvidia-smi on PATH: absent; a driver failure: failed with what it said; a lost GPU: an error line', async () => {
    expect(await probeGpus({ ...testEnv(), PATH: '/nonexistent' })).toEqual({ kind: 'absent' });
    expect(await probeGpus(knob({ [KNOB_ENV.gpuFail]: 'exit' }))).toEqual({
      kind: 'failed',
      detail: 'nvidia-smi exited with code 18: Failed to initialize NVML: Driver/library version mismatch',
    });
    expect(await probeGpus(knob({ [KNOB_ENV.gpuCount]: '0' }))).toMatchObject({
      kind: 'failed',
      detail: expect.stringContaining('No devices were found'),
    });
    const lost = await probeGpus(knob({ [KNOB_ENV.gpuCount]: '2', [KNOB_ENV.gpuFail]: 'lost' }));
    expect(lost).toMatchObject({
      kind: 'ok',
      errors: [expect.stringContaining('Unable to determine the device handle')],
    });
    expect(gpuFault(vllm(), lost, {})).toMatch(/^nvidia-smi reports: Unable to determine/);
  });

  it('a hung nvidia-smi is cut off by the timeout and reported, never waited on', async () => {
    const probe = await probeGpus(knob({ [KNOB_ENV.gpuFail]: 'hang' }), { timeoutMs: 300 });
    expect(probe).toEqual({ kind: 'failed', detail: 'nvidia-smi did not answer within 0.3 s (a wedged driver?)' });
  });

  it("an abort stops the probe with the signal's reason", async () => {
    const ac = new AbortController();
    const pending = probeGpus(knob({ [KNOB_ENV.gpuFail]: 'hang' }), { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });

  it('refusals are AcodeErrors (typed, with a hint), never stack traces', () => {
    const e = gpuRefusal(vllm(), { kind: 'absent' }, {});
    expect(isAcodeError(e)).toBe(true);
  });
});
