// `acode provider list|set|status`: which providers exist, which one is active, and what state it is in.
import type { CommandRegistrar } from '../deps.js';

// The actions and everything they import load on first use, not at start-up.
const actions = () => import('./provider-actions.js');

export const providerCommand: CommandRegistrar = (program, deps) => {
  const provider = program.command('provider').description('list the configured providers or choose the active one');
  provider
    .command('list')
    .description('list providers: id, kind, wire type, model, base URL, lifecycle mode; * marks the active one')
    .option('--json', 'print machine-readable output')
    .action(async (opts: { json?: boolean }) => (await actions()).list(deps, opts));
  provider
    .command('set')
    .description('make <id> the active provider (writes providers.active, keeping comments)')
    .argument('<id>', 'provider id, e.g. ollama, vllm, llamacpp, lmstudio or a custom id')
    .action(async (id: string) => (await actions()).set(deps, id));
  provider
    .command('status')
    .description('detect one provider (the active one by default) and print its state; starts nothing')
    .argument('[id]', 'provider id (default: providers.active)')
    .option(
      '--json',
      'print one JSON report (id, kind, state, model, lifecycle, mode, pid, port, baseUrl, owned, lastError ...)',
    )
    .action(async (id: string | undefined, opts: { json?: boolean }) => (await actions()).status(deps, id, opts));
};
