// What `acode providers` does, loaded by providers.ts only when one of its commands runs: these imports (the
// engine, the views) cost hundreds of milliseconds, and `--help`, `--version` and the other commands need none.
import type { AcodeConfig, ProviderConfig } from '../../config/index.js';
import type { CliDeps } from '../deps.js';
import { printJson } from '../output/index.js';
// plain.js directly: the views' index also loads the Ink components (and Ink), which only --watch needs.
import { renderPlainLines } from '../views/plain.js';
import { startProviders, stopProvider, type StopOutcome } from './provider-lifecycle.js';
import { probeProvider, selectProviders, toView, type ProviderReport } from './provider-reports.js';
import { callGateway, runningGateway } from './gateway-client.js';

export interface JsonOption {
  json?: boolean;
}

/** Plain lines (`id state=… model=… pid=…`) or the JSON array of reports. */
export function printReports(deps: CliDeps, reports: ProviderReport[], json: boolean | undefined): void {
  if (json) {
    printJson(deps.stdout, reports, deps.env);
    return;
  }
  for (const line of renderPlainLines(reports.map(toView))) deps.stdout.write(`${line}\n`);
}

/** One detection per provider, in parallel; never starts anything. */
export function probeAll(config: AcodeConfig, providers: ProviderConfig[], deps: CliDeps): Promise<ProviderReport[]> {
  return Promise.all(providers.map((p) => probeProvider(config, p, deps)));
}

/** The reports of a running `acode serve` (it supervises the servers), or undefined when none runs. */
export async function gatewayReports(deps: CliDeps, ids: readonly string[]): Promise<ProviderReport[] | undefined> {
  const gateway = await runningGateway(deps.env);
  if (!gateway) return undefined;
  const reports = await callGateway<ProviderReport[]>(gateway, 'GET', '/acode/status', deps.signal);
  deps.stderr.write(`(from acode serve, pid ${gateway.pid}, ${gateway.url})\n`);
  return reports.filter((r) => ids.includes(r.id));
}

export async function status(deps: CliDeps, id: string | undefined, opts: JsonOption): Promise<void> {
  const config = await deps.config.load();
  const providers = await selectProviders(config, id);
  const reports =
    (await gatewayReports(
      deps,
      providers.map((p) => p.id),
    )) ?? (await probeAll(config, providers, deps));
  printReports(deps, reports, opts.json);
}

export async function start(deps: CliDeps, id: string | undefined, opts: JsonOption): Promise<void> {
  const config = await deps.config.load();
  const gateway = await runningGateway(deps.env);
  if (gateway) {
    const reports = (
      await Promise.all(
        (await selectProviders(config, id)).map((p) =>
          callGateway<ProviderReport[]>(gateway, 'POST', `/acode/providers/${p.id}/start`, deps.signal),
        ),
      )
    ).flat();
    deps.stderr.write(`(started by acode serve, pid ${gateway.pid})\n`);
    printReports(deps, reports, opts.json);
    return;
  }
  const outcome = await startProviders(config, await selectProviders(config, id), deps);
  printReports(deps, outcome.reports, opts.json);
  if (outcome.error !== undefined) throw outcome.error;
}

function describeStop(o: StopOutcome): string {
  switch (o.action) {
    case 'stopped':
      return `${o.id}: stopped (pid ${o.pid ?? '?'}, ${o.signal === 'SIGKILL' ? 'killed after the grace period' : 'exited on SIGTERM'})`;
    case 'left-running':
      return `${o.id}: left running (${o.state}${o.pid !== null ? `, pid ${o.pid}` : ''}): ${o.reason ?? ''}`;
    case 'not-running':
      return `${o.id}: not running (${o.state})${o.reason ? `: ${o.reason}` : ''}`;
  }
}

async function stopAll(deps: CliDeps, providers: ProviderConfig[], config: AcodeConfig): Promise<StopOutcome[]> {
  const gateway = await runningGateway(deps.env);
  const outcomes = await Promise.all(
    providers.map((p) =>
      gateway
        ? callGateway<StopOutcome>(gateway, 'POST', `/acode/providers/${p.id}/stop`, deps.signal)
        : stopProvider(config, p, deps),
    ),
  );
  // Leaving a server running is worth saying even in --json mode, where stdout is for the machine.
  for (const o of outcomes) if (o.action === 'left-running') deps.stderr.write(`note: ${describeStop(o)}\n`);
  return outcomes;
}

export async function stop(deps: CliDeps, id: string | undefined, opts: JsonOption): Promise<void> {
  const config = await deps.config.load();
  const outcomes = await stopAll(deps, await selectProviders(config, id), config);
  if (opts.json) printJson(deps.stdout, outcomes, deps.env);
  else for (const o of outcomes) if (o.action !== 'left-running') deps.stdout.write(`${describeStop(o)}\n`);
}

export async function restart(deps: CliDeps, id: string | undefined, opts: JsonOption): Promise<void> {
  const config = await deps.config.load();
  const providers = await selectProviders(config, id);
  const outcomes = await stopAll(deps, providers, config);
  if (!opts.json) for (const o of outcomes) if (o.action === 'stopped') deps.stdout.write(`${describeStop(o)}\n`);
  const started = await startProviders(config, providers, deps);
  if (opts.json) printJson(deps.stdout, { stopped: outcomes, started: started.reports }, deps.env);
  else printReports(deps, started.reports, false);
  if (started.error !== undefined) throw started.error;
}
