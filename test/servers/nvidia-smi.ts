#!/usr/bin/env node
// Stand-in for NVIDIA's `nvidia-smi`: the CSV queries acode's GPU probe runs (`--query-gpu=...` and
// `--query-compute-apps=...` with `--format=csv,noheader,nounits`), in the fields and order asked, with
// nvidia-smi's own markers and failures. Steered by the ACODE_FAKE_GPU_* knobs (lib/knobs.ts).

import { bootKnobs } from './lib/boot.js';
import type { Knobs } from './lib/knobs.js';

const knobs = bootKnobs('nvidia-smi');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);

interface FakeGpu {
  index: number;
  uuid: string;
  busId: string;
  used: number;
}

const uuidOf = (i: number): string => `GPU-5b8c3f1e-9a4d-4c2b-8e7f-${String(i).padStart(12, '0')}`;
const processes = (k: Knobs) =>
  k.gpuProcesses.map((spec) => {
    const [pid = '0', name = 'python', mib = '0'] = spec.split(':');
    return { pid, name, mib: Number(mib) };
  });

function gpus(k: Knobs): FakeGpu[] {
  const held = processes(k).reduce((sum, p) => sum + p.mib, 0);
  return Array.from({ length: k.gpuCount }, (_, index) => ({
    index,
    uuid: uuidOf(index),
    busId: `00000000:${(0x1b + index).toString(16).toUpperCase()}:00.0`,
    used: Math.min(k.gpuMemoryMiB, k.gpuUsedMiB + (index === 0 ? held : 0)),
  }));
}

const GPU_FIELDS: Record<string, (g: FakeGpu, k: Knobs) => string> = {
  index: (g) => String(g.index),
  uuid: (g) => g.uuid,
  name: () => 'NVIDIA A100-SXM4-80GB',
  'pci.bus_id': (g) => g.busId,
  'memory.total': (_, k) => String(k.gpuMemoryMiB),
  'memory.used': (g) => String(g.used),
  'memory.free': (g, k) => String(k.gpuMemoryMiB - g.used),
  'utilization.gpu': (g) => (g.used > 0 ? '37' : '0'),
  'temperature.gpu': () => '34',
  'power.draw': () => '[N/A]',
  'ecc.errors.uncorrected.volatile.total': () => '[Not Supported]',
};
const APP_FIELDS: Record<string, (p: { pid: string; name: string; mib: number }, gpu: FakeGpu) => string> = {
  gpu_uuid: (_, g) => g.uuid,
  gpu_bus_id: (_, g) => g.busId,
  pid: (p) => p.pid,
  process_name: (p) => p.name,
  used_memory: (p) => String(p.mib),
};

function fields<T>(query: string, known: Record<string, T>): T[] {
  return query.split(',').map((name) => {
    const field = known[name.trim()];
    if (field === undefined) {
      process.stdout.write(`Field "${name.trim()}" is not a valid field to query.\n\n`);
      process.exit(2);
    }
    return field;
  });
}

async function main(): Promise<void> {
  if (knobs.gpuFail === 'hang') await new Promise(() => setInterval(() => undefined, 60_000));
  if (knobs.gpuFail === 'exit') {
    process.stdout.write('Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 550.54\n');
    process.exit(18);
  }
  if (knobs.gpuCount === 0) {
    process.stdout.write('No devices were found\n');
    process.exit(6);
  }
  const list = gpus(knobs);
  const gpuQuery = option('--query-gpu');
  const appsQuery = option('--query-compute-apps');
  if (gpuQuery !== undefined) {
    const cols = fields(gpuQuery, GPU_FIELDS);
    for (const g of list) {
      // A GPU fallen off the bus: nvidia-smi names it by bus id instead of printing its row.
      if (knobs.gpuFail === 'lost' && g.index === 0) {
        process.stdout.write(`Unable to determine the device handle for GPU${g.busId}: Unknown Error\n`);
        continue;
      }
      process.stdout.write(`${cols.map((f) => f(g, knobs)).join(', ')}\n`);
    }
    return;
  }
  if (appsQuery !== undefined) {
    const cols = fields(appsQuery, APP_FIELDS);
    const gpu0 = list[0] as FakeGpu;
    for (const p of processes(knobs)) process.stdout.write(`${cols.map((f) => f(p, gpu0)).join(', ')}\n`);
    return;
  }
  // Plain `nvidia-smi`: a short summary (the real one draws a table; nothing in acode parses it).
  process.stdout.write(`NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4 (acode stand-in)\n`);
  for (const g of list)
    process.stdout.write(
      `GPU ${g.index}: NVIDIA A100-SXM4-80GB (UUID: ${g.uuid})  ${g.used}MiB / ${knobs.gpuMemoryMiB}MiB\n`,
    );
}

void main();
