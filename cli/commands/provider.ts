// `acode provider list|set|status`: which providers exist, which one is active, and what state it is in.
import { AcodeError, didYouMean, setKey, type AcodeConfig } from '../../config/index.js';
import type { CliDeps, CommandRegistrar } from '../deps.js';
import { printJson, renderTable } from '../output/index.js';
import { printReports } from './providers.js';
import { probeProvider, providerById } from './provider-reports.js';

function rows(config: AcodeConfig) {
  return Object.values(config.providers).map((p) => ({
    id: p.id,
    kind: p.kind,
    type: p.type,
    model: p.model ?? null,
    baseUrl: p.baseUrl,
    lifecycle: p.lifecycle.mode,
    active: p.id === config.active,
  }));
}

async function list(deps: CliDeps, opts: { json?: boolean }): Promise<void> {
  const config = await deps.config.load();
  const entries = rows(config);
  if (opts.json) {
    printJson(deps.stdout, entries, deps.env);
    return;
  }
  const table = entries.map((r) => [r.active ? '*' : ' ', r.id, r.kind, r.type, r.model ?? '-', r.baseUrl, r.lifecycle]);
  deps.stdout.write(renderTable(['', 'ID', 'KIND', 'TYPE', 'MODEL', 'BASE URL', 'LIFECYCLE'], table));
}

async function set(deps: CliDeps, id: string): Promise<void> {
  const config = await deps.config.load();
  const ids = Object.keys(config.providers);
  if (!ids.includes(id)) {
    throw new AcodeError(
      'PROVIDER_UNKNOWN',
      `'${id}' names no provider${didYouMean(id, ids)}.`,
      `Use one of: ${ids.join(', ')}; or add providers.${id} with type and base_url to .agent/config.yml.`,
      { details: { provider: id, ids } },
    );
  }
  const location = await deps.config.locate();
  await setKey(location.file, ['providers', 'active'], id, { signal: deps.signal });
  deps.stdout.write(`active provider: ${id} (${location.exists ? 'updated' : 'created'} ${location.file})\n`);
  const forced = deps.env.ACODE_PROVIDER?.trim();
  if (forced && forced !== id) {
    deps.stderr.write(`note: ACODE_PROVIDER=${forced} is set and overrides providers.active while it stays set\n`);
  }
}

// One detection of one provider (the active one by default); starts nothing.
async function status(deps: CliDeps, id: string | undefined, opts: { json?: boolean }): Promise<void> {
  const config = await deps.config.load();
  const report = await probeProvider(config, providerById(config, id ?? config.active), deps);
  if (opts.json) printJson(deps.stdout, report, deps.env);
  else printReports(deps, [report], false);
}

export const providerCommand: CommandRegistrar = (program, deps) => {
  const provider = program.command('provider').description('list the configured providers or choose the active one');
  provider
    .command('list')
    .description('list providers: id, kind, wire type, model, base URL, lifecycle mode; * marks the active one')
    .option('--json', 'print machine-readable output')
    .action((opts: { json?: boolean }) => list(deps, opts));
  provider
    .command('set')
    .description('make <id> the active provider (writes providers.active, keeping comments)')
    .argument('<id>', 'provider id, e.g. ollama, vllm, llamacpp, lmstudio or a custom id')
    .action((id: string) => set(deps, id));
  provider
    .command('status')
    .description('detect one provider (the active one by default) and print its state; starts nothing')
    .argument('[id]', 'provider id (default: providers.active)')
    .option('--json', 'print one JSON report (id, kind, state, model, lifecycle, mode, pid, port, baseUrl, owned, lastError ...)')
    .action((id: string | undefined, opts: { json?: boolean }) => status(deps, id, opts));
};
