// AMD GPUs: rocm-smi's JSON parsed into the GPU facts nvidia-smi gives (pure, on the real format), and the
// probe falling back to the rocm-smi stand-in (a process) on a PATH without nvidia-smi.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuRefusal, probeGpus } from '../../actors/index.js';
import { parseRocmSmiJson } from '../../actors/gpu-rocm.js';
import { KNOB_ENV } from '../servers/lib/knobs.js';
import { serversBinDir } from '../servers/harness.js';
import { testEnv } from './helpers.js';
import { testRef } from '../service/fakes.js';

// The shape ROCm SMI 1.4.x prints for `--showproductname --showmeminfo vram --showuse --json`.
const TWO_CARDS = JSON.stringify({
  card0: {
    'GPU use (%)': '12',
    'VRAM Total Memory (B)': '68702699520',
    'VRAM Total Used Memory (B)': '10960896',
    'Card series': 'AMD Instinct MI210',
    'Card model': '0x0c34',
  },
  card1: {
    'GPU use (%)': '0',
    'VRAM Total Memory (B)': '25753026560',
    'VRAM Total Used Memory (B)': 'N/A',
    'Card model': '0x744c',
  },
  system: { 'Driver version': '6.7.0' },
});

describe('parseRocmSmiJson', () => {
  it('reads every card in index order, memory in MiB, an unreadable field as null, the system entry skipped', () => {
    expect(parseRocmSmiJson(TWO_CARDS)).toEqual({
      gpus: [
        {
          index: 0,
          uuid: 'card0',
          name: 'AMD Instinct MI210',
          memoryTotalMiB: 65520,
          memoryUsedMiB: 10,
          utilizationPercent: 12,
        },
        { index: 1, uuid: 'card1', name: '0x744c', memoryTotalMiB: 24560, memoryUsedMiB: null, utilizationPercent: 0 },
      ],
      errors: [],
    });
  });

  it('text that is not its JSON is an error line, never a throw', () => {
    expect(parseRocmSmiJson('ERROR:root:Driver not initialized')).toEqual({
      gpus: [],
      errors: ['rocm-smi printed no JSON: ERROR:root:Driver not initialized'],
    });
  });
});

describe('probeGpus without nvidia-smi, with the rocm-smi stand-in', () => {
  let bin: string;
  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'acode-rocm-bin-'));
    await symlink(join(serversBinDir, 'rocm-smi'), join(bin, 'rocm-smi'));
  });
  afterAll(async () => {
    await rm(bin, { recursive: true, force: true });
  });
  const env = (knobs: Record<string, string> = {}) => ({
    ...testEnv(knobs),
    PATH: [bin, dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter),
  });

  it('lists the AMD GPUs with the same facts, and the start check reads them', async () => {
    const probe = await probeGpus(
      env({ [KNOB_ENV.gpuCount]: '2', [KNOB_ENV.gpuMemoryMiB]: '65536', [KNOB_ENV.gpuUsedMiB]: '60000' }),
    );
    expect(probe).toEqual({
      kind: 'ok',
      processes: [],
      errors: [],
      gpus: [0, 1].map((index) => ({
        index,
        uuid: `card${index}`,
        name: 'AMD Instinct MI210',
        memoryTotalMiB: 65536,
        memoryUsedMiB: 60000,
        utilizationPercent: 37,
      })),
    });
    expect(gpuRefusal(testRef().provider, probe, {})?.code).toBe('GPU_MEMORY');
  });

  it('a failing driver: failed with what rocm-smi said', async () => {
    expect(await probeGpus(env({ [KNOB_ENV.gpuFail]: 'exit' }))).toEqual({
      kind: 'failed',
      detail: 'rocm-smi exited with code 1: ERROR:root:Driver not initialized (amdgpu not found in modules)',
    });
  });
});
