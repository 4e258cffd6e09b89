// `acode providers start|stop|restart|status [id]`: the servers' lifecycle by hand. Without an id each
// command acts on every configured provider (named in the config file, or active). `status` only looks:
// one detection per provider, nothing is started.
import type { AcodeConfig, ProviderConfig } from '../../config/index.js';
import type { CliDeps, CommandRegistrar } from '../deps.js';
import { printJson } from '../output/index.js';
import { renderPlainLines } from '../views/index.js';
import { startProviders, stopProvider, type StopOutcome } from './provider-lifecycle.js';
import { probeProvider, selectProviders, toView, type ProviderReport } from './provider-reports.js';

interface JsonOption {
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

async function status(deps: CliDeps, id: string | undefined, opts: JsonOption): Promise<void> {
  const config = await deps.config.load();
  printReports(deps, await probeAll(config, await selectProviders(config, id), deps), opts.json);
}

async function start(deps: CliDeps, id: string | undefined, opts: JsonOption): Promise<void> {
  const config = await deps.config.load();
  const outcome = await startProviders(config, await selectProviders(config, id), deps);
  printReports(deps, outcome.reports, opts.json);
  if (outcome.error !== undefined) throw outcome.error;
}

function describeStop(o: StopOutcome): string {
  switch (o.action) {
    case 'stopped': return `${o.id}: stopped (pid ${o.pid ?? '?'}, ${o.signal === 'SIGKILL' ? 'killed after the grace period' : 'exited on SIGTERM'})`;
    case 'left-running': return `${o.id}: left running (${o.state}${o.pid !== null ? `, pid ${o.pid}` : ''}): ${o.reason ?? ''}`;
    case 'not-running': return `${o.id}: not running (${o.state})${o.reason ? `: ${o.reason}` : ''}`;
  }
}

async function stopAll(deps: CliDeps, providers: ProviderConfig[], config: AcodeConfig): Promise<StopOutcome[]> {
  const outcomes = await Promise.all(providers.map((p) => stopProvider(config, p, deps)));
  // Leaving a server running is worth saying even in --json mode, where stdout is for the machine.
  for (const o of outcomes) if (o.action === 'left-running') deps.stderr.write(`note: ${describeStop(o)}\n`);
  return outcomes;
}

async function stop(deps: CliDeps, id: string | undefined, opts: JsonOption): Promise<void> {
  const config = await deps.config.load();
  const outcomes = await stopAll(deps, await selectProviders(config, id), config);
  if (opts.json) printJson(deps.stdout, outcomes, deps.env);
  else for (const o of outcomes) if (o.action !== 'left-running') deps.stdout.write(`${describeStop(o)}\n`);
}

async function restart(deps: CliDeps, id: string | undefined, opts: JsonOption): Promise<void> {
  const config = await deps.config.load();
  const providers = await selectProviders(config, id);
  const outcomes = await stopAll(deps, providers, config);
  if (!opts.json) for (const o of outcomes) if (o.action === 'stopped') deps.stdout.write(`${describeStop(o)}\n`);
  const started = await startProviders(config, providers, deps);
  if (opts.json) printJson(deps.stdout, { stopped: outcomes, started: started.reports }, deps.env);
  else printReports(deps, started.reports, false);
  if (started.error !== undefined) throw started.error;
}

const ID_HELP = 'provider id (default: every configured provider: those named in the config file, and the active one)';

export const providersCommand: CommandRegistrar = (program, deps) => {
  const providers = program
    .command('providers')
    .description('start, stop, restart or look at the configured servers');
  providers
    .command('status')
    .description('detect each server (one probe, nothing is started) and print its state: healthy, starting, stopped, unavailable, failed')
    .argument('[id]', ID_HELP)
    .option('--json', 'print a JSON array of reports (id, kind, state, model, lifecycle, mode, pid, port, baseUrl, owned, lastError ...)')
    .action((id: string | undefined, opts: JsonOption) => status(deps, id, opts));
  providers
    .command('start')
    .description('detect, start if managed, wait until healthy with the model ready (progress on stderr); the server keeps running after acode exits')
    .argument('[id]', ID_HELP)
    .option('--json', 'print a JSON array of reports once every provider settled')
    .action((id: string | undefined, opts: JsonOption) => start(deps, id, opts));
  providers
    .command('stop')
    .description('stop the servers acode started (SIGTERM, grace, SIGKILL); a server acode did not start is left running, with a note on stderr')
    .argument('[id]', ID_HELP)
    .option('--json', 'print a JSON array: id, action (stopped, left-running, not-running), state, pid, signal, reason')
    .action((id: string | undefined, opts: JsonOption) => stop(deps, id, opts));
  providers
    .command('restart')
    .description('stop (only what acode started), then start and wait until healthy')
    .argument('[id]', ID_HELP)
    .option('--json', 'print { stopped: [...stop outcomes], started: [...reports] }')
    .action((id: string | undefined, opts: JsonOption) => restart(deps, id, opts));
};
