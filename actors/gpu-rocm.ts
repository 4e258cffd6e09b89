// AMD GPUs: what `rocm-smi --showproductname --showmeminfo vram --showuse --json` says, as the same GpuInfo
// the nvidia-smi probe gives. The format parsed is the Python ROCm SMI CLI's JSON (ROCM-SMI 1.4.x,
// ROCm 5.x-6.x): one object per card, `card0`, `card1` ..., every value a string, memory in bytes:
//   {"card0": {"Card series": "AMD Instinct MI210", "GPU use (%)": "0",
//              "VRAM Total Memory (B)": "68702699520", "VRAM Total Used Memory (B)": "10960896"}}
// (a "system" entry and any other key is skipped). Pure.
import type { GpuInfo } from './gpu-probe.js';

export const ROCM_SMI_ARGS = ['--showproductname', '--showmeminfo', 'vram', '--showuse', '--json'];

const MIB = 1024 * 1024;

function numberOf(value: unknown): number | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const n = Number(value);
  return String(value).trim() !== '' && Number.isFinite(n) ? n : null;
}

/** GPUs from rocm-smi's JSON; `errors` when the text is not that JSON. */
export function parseRocmSmiJson(text: string): { gpus: GpuInfo[]; errors: string[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const first = text.trim().split('\n')[0] ?? '';
    return { gpus: [], errors: [first === '' ? 'rocm-smi printed nothing' : `rocm-smi printed no JSON: ${first}`] };
  }
  if (typeof data !== 'object' || data === null) return { gpus: [], errors: ['rocm-smi printed no JSON object'] };
  const gpus: GpuInfo[] = [];
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const card = /^card(\d+)$/.exec(key);
    if (!card || typeof value !== 'object' || value === null) continue;
    const fields = value as Record<string, unknown>;
    const total = numberOf(fields['VRAM Total Memory (B)']);
    const used = numberOf(fields['VRAM Total Used Memory (B)']);
    const name = fields['Card series'] ?? fields['Card model'];
    gpus.push({
      index: Number(card[1]),
      uuid: typeof fields['Unique ID'] === 'string' ? fields['Unique ID'] : key,
      name: typeof name === 'string' && name.trim() !== '' ? name.trim() : `AMD GPU ${card[1]}`,
      memoryTotalMiB: total === null ? null : Math.round(total / MIB),
      memoryUsedMiB: used === null ? null : Math.round(used / MIB),
      utilizationPercent: numberOf(fields['GPU use (%)']),
    });
  }
  return { gpus: gpus.sort((a, b) => a.index - b.index), errors: [] };
}
