// What `acode provider` does, loaded by provider.ts only when one of its commands runs: these imports (the
// engine, the views) cost hundreds of milliseconds, and `--help`, `--version` and the other commands need none.
import { providerUnknownError, setKey, type AcodeConfig } from '../../config/index.js';
import type { CliDeps } from '../deps.js';
import { printJson, renderTable } from '../output/index.js';

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

export async function list(deps: CliDeps, opts: { json?: boolean }): Promise<void> {
  const config = await deps.config.load();
  const entries = rows(config);
  if (opts.json) {
    printJson(deps.stdout, entries, deps.env);
    return;
  }
  const table = entries.map((r) => [
    r.active ? '*' : ' ',
    r.id,
    r.kind,
    r.type,
    r.model ?? '-',
    r.baseUrl,
    r.lifecycle,
  ]);
  deps.stdout.write(renderTable(['', 'ID', 'KIND', 'TYPE', 'MODEL', 'BASE URL', 'LIFECYCLE'], table));
}

export async function set(deps: CliDeps, id: string): Promise<void> {
  const config = await deps.config.load();
  const ids = Object.keys(config.providers);
  if (!ids.includes(id)) {
    throw providerUnknownError(id, ids, config.file ? { file: config.file } : {});
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
export async function status(deps: CliDeps, id: string | undefined, opts: { json?: boolean }): Promise<void> {
  const config = await deps.config.load();
  // The engine (machines, actors, adapters) is for this subcommand only: list and set read the config.
  const [{ printReports }, { probeProvider, providerById }] = await Promise.all([
    import('./providers-actions.js'),
    import('./provider-reports.js'),
  ]);
  const report = await probeProvider(config, providerById(config, id ?? config.active), deps);
  if (opts.json) printJson(deps.stdout, report, deps.env);
  else printReports(deps, [report], false);
}
