// Issue 14 item 4 end to end: the built CLI probes the GPUs (the nvidia-smi stand-in, run as a process)
// before it starts vLLM, refuses a start the GPUs cannot hold with the numbers and the processes holding
// memory, lets vLLM's CPU build start without any GPU, and lists the GPUs with `acode gpus`.
import { existsSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, KNOB_ENV, serversBinDir } from '../servers/harness.js';
import { project, providerYaml, type Project } from './project.js';

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

async function vllmProject(gpuYaml = ''): Promise<Project> {
  const port = await freePort();
  const p = await project(
    `providers:\n  active: vllm\n${providerYaml('vllm', { model: 'meta-llama/Llama-2-7b-hf', port })}${gpuYaml}`,
  );
  projects.push(p);
  return p;
}

// A PATH with the vLLM stand-in and node but no nvidia-smi: a machine without an NVIDIA driver.
async function pathWithoutNvidiaSmi(p: Project): Promise<string> {
  const bin = join(p.dir, 'bin');
  await mkdir(bin);
  await symlink(join(serversBinDir, 'vllm'), join(bin, 'vllm'));
  return [bin, dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter);
}
const driverInstalled = existsSync('/usr/bin/nvidia-smi') || existsSync('/bin/nvidia-smi');

describe('GPU check before a vLLM start (built CLI, nvidia-smi stand-in)', () => {
  it('too little free memory: GPU_MEMORY (exit 3) naming the holder; nothing is spawned', async () => {
    const p = await vllmProject();
    const r = await p.acode(['providers', 'start', 'vllm'], { env: { [KNOB_ENV.gpuProcesses]: '4242:python3:70000' } });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(
      'error[GPU_MEMORY]: vllm: GPU 0 (NVIDIA A100-SXM4-80GB) has 11920 MiB free of 81920 MiB, but gpu.memory_utilization 0.9 needs 73728 MiB; held by python3 (pid 4242, 70000 MiB).',
    );
    expect(r.stderr).toContain(
      'hint: Stop what holds the GPU memory, or set providers.vllm.gpu.memory_utilization to at most 0.14.',
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(p.recordedPids()).toEqual([]);
  }, 60_000);

  it('fewer GPUs than tensor_parallel_size: GPU_UNAVAILABLE naming both numbers', async () => {
    const p = await vllmProject('    gpu: { tensor_parallel_size: 2 }\n');
    const r = await p.acode(['providers', 'start', 'vllm', '--json'], {
      env: { [KNOB_ENV.gpuCount]: '2', CUDA_VISIBLE_DEVICES: '1' },
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(
      'error[GPU_UNAVAILABLE]: vllm: gpu.tensor_parallel_size is 2 but only 1 GPU is visible with CUDA_VISIBLE_DEVICES="1".',
    );
  }, 60_000);

  it.skipIf(driverInstalled)(
    "no nvidia-smi: the error names vLLM's CPU build; with gpu.required: false it starts",
    async () => {
      const p = await vllmProject();
      const PATH = await pathWithoutNvidiaSmi(p);
      const refused = await p.acode(['providers', 'start', 'vllm'], { env: { PATH } });
      expect(refused.code, refused.stderr).toBe(3);
      expect(refused.stderr).toContain('error[GPU_UNAVAILABLE]: vllm: no GPU is visible: nvidia-smi is not on PATH.');
      expect(refused.stderr).toContain('VLLM_TARGET_DEVICE=cpu');

      const cpu = await vllmProject('    gpu: { required: false }\n');
      const started = await cpu.acode(['providers', 'start', 'vllm', '--json'], {
        env: { PATH: await pathWithoutNvidiaSmi(cpu) },
      });
      expect(started.code, started.stderr).toBe(0);
      expect(JSON.parse(started.stdout)).toEqual([
        expect.objectContaining({ id: 'vllm', state: 'healthy', degraded: null }),
      ]);
    },
    90_000,
  );

  it("the stand-in's default (one free GPU) lets vLLM start as before", async () => {
    const p = await vllmProject();
    const r = await p.acode(['providers', 'start', 'vllm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ id: 'vllm', state: 'healthy', degraded: null })]);
  }, 90_000);
});

describe('acode gpus (built CLI)', () => {
  it('lists the GPUs, which ones CUDA_VISIBLE_DEVICES leaves, and who holds memory', async () => {
    const p = await vllmProject();
    const env = { [KNOB_ENV.gpuCount]: '2', [KNOB_ENV.gpuProcesses]: '4242:python3:70000', CUDA_VISIBLE_DEVICES: '1' };
    const json = await p.acode(['gpus', '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as {
      cudaVisibleDevices: string;
      gpus: { index: number; visible: boolean; memoryUsedMiB: number; processes: { pid: number }[] }[];
    };
    expect(report.cudaVisibleDevices).toBe('1');
    expect(report.gpus.map((g) => [g.index, g.visible, g.memoryUsedMiB, g.processes.map((x) => x.pid)])).toEqual([
      [0, false, 70000, [4242]],
      [1, true, 0, []],
    ]);
    const text = await p.acode(['gpus'], { env });
    expect(text.stdout).toMatch(
      /^GPU\s+NAME\s+MEMORY USED\s+UTIL\s+VISIBLE\s+HELD BY\n0\s+NVIDIA A100-SXM4-80GB\s+70000 MiB \/ 81920 MiB\s+37%\s+no\s+python3 \(pid 4242, 70000 MiB\)\n/,
    );
  }, 60_000);

  it('a failing driver: GPU_UNAVAILABLE with what nvidia-smi said, exit 3', async () => {
    const p = await vllmProject();
    const r = await p.acode(['gpus'], { env: { [KNOB_ENV.gpuFail]: 'exit' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'error[GPU_UNAVAILABLE]: vllm: cannot read the GPUs: nvidia-smi exited with code 18: Failed to initialize NVML: Driver/library version mismatch.',
    );
  }, 60_000);
});
