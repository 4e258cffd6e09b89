#!/usr/bin/env node
// Stand-in for AMD's `rocm-smi` (the Python ROCm SMI CLI, 1.4.x as in ROCm 5.x-6.x): the JSON acode's GPU
// probe asks for (`--showproductname --showmeminfo vram --showuse --json`): one object per card, string
// values, memory in bytes. Steered by the same ACODE_FAKE_GPU_* knobs as the nvidia-smi stand-in
// (count, memory, used, `exit` and `hang` failures).
import { bootKnobs } from './lib/boot.js';

const knobs = bootKnobs('rocm-smi');
const args = process.argv.slice(2);
const MIB = 1024 * 1024;

async function main(): Promise<void> {
  if (knobs.gpuFail === 'hang') await new Promise(() => setInterval(() => undefined, 60_000));
  if (knobs.gpuFail === 'exit') {
    process.stderr.write('ERROR:root:Driver not initialized (amdgpu not found in modules)\n');
    process.exit(1);
  }
  const cards: Record<string, Record<string, string>> = {};
  for (let i = 0; i < knobs.gpuCount; i++) {
    const card: Record<string, string> = {};
    if (args.includes('--showuse')) card['GPU use (%)'] = knobs.gpuUsedMiB > 0 ? '37' : '0';
    if (args.includes('--showmeminfo')) {
      card['VRAM Total Memory (B)'] = String(knobs.gpuMemoryMiB * MIB);
      card['VRAM Total Used Memory (B)'] = String(Math.min(knobs.gpuMemoryMiB, knobs.gpuUsedMiB) * MIB);
    }
    if (args.includes('--showproductname')) {
      Object.assign(card, {
        'Card series': 'AMD Instinct MI210',
        'Card model': '0x0c34',
        'Card vendor': 'Advanced Micro Devices, Inc. [AMD/ATI]',
        'Card SKU': 'D67301',
      });
    }
    cards[`card${i}`] = card;
  }
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(cards)}\n`);
    return;
  }
  process.stdout.write('============================ ROCm System Management Interface ============================\n');
  for (const [name, card] of Object.entries(cards))
    for (const [k, v] of Object.entries(card)) process.stdout.write(`GPU[${name.slice(4)}]\t\t: ${k}: ${v}\n`);
}

void main();
