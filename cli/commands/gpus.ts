// `acode gpus [--json]`: the GPUs nvidia-smi reports, which of them CUDA_VISIBLE_DEVICES leaves to vLLM,
// and the processes holding their memory. Needs no config and starts nothing.
import type { CommandRegistrar } from '../deps.js';

// The actions and everything they import load on first use, not at start-up.
const actions = () => import('./gpus-actions.js');

export const gpusCommand: CommandRegistrar = (program, deps) => {
  program
    .command('gpus')
    .description(
      'show the GPUs (nvidia-smi): memory, utilisation, who holds memory, and which ones vLLM would use (CUDA_VISIBLE_DEVICES)',
    )
    .option(
      '--json',
      'print { cudaVisibleDevices, gpus: [{ index, uuid, name, memoryTotalMiB, memoryUsedMiB, utilizationPercent, visible, processes }], errors }',
    )
    .action(async (opts: { json?: boolean }) => (await actions()).gpus(deps, opts));
};
