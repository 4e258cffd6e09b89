// Start and stop as the provider commands do them. Start goes through the registry (the service machine
// detects, starts, waits for healthy and the model). Stop detects first and signals only a process whose
// pid file proves acode started it, through the same stopServer actor the machine uses.
import { createActorImplementations } from '../../actors/index.js';
import { resolveStateDir, type AcodeConfig, type ProviderConfig } from '../../config/index.js';
import {
  DEFAULT_GRACE_MS,
  lifecycleMayStop,
  openRegistry,
  progressLine,
  type ProviderStatus,
} from '../../machines/index.js';
import type { CliDeps } from '../deps.js';
import type { Output } from '../output/index.js';
import { inspectOf, probeProvider, reportFromService, runOnce, type ProviderReport } from './provider-reports.js';

/** Lifecycle progress on stderr: one line per change per provider (a pull every 10 %). */
export function progressPrinter(stderr: Output): (status: ProviderStatus) => void {
  const last = new Map<string, string>();
  return (status) => {
    let line = progressLine(status);
    if (line === undefined) return;
    if (status.modelState === 'pulling')
      line = line.replace(/(\d+)%$/, (_, p: string) => `${Math.floor(Number(p) / 10) * 10}%`);
    if (last.get(status.id) === line) return;
    last.set(status.id, line);
    stderr.write(`${line}\n`);
  };
}

export interface StartOutcome {
  reports: ProviderReport[];
  /** The first failure, to be rethrown after every report was printed (its code sets the exit code). */
  error?: Error;
}

/**
 * Starts each provider (detect; start if managed and allowed; wait for healthy and the model ready) and
 * leaves the servers running: an explicit start outlives the CLI even with stop_on_exit, which is for
 * servers started on demand by `ask` and `models` (and for a start cut short by Ctrl-C).
 */
export async function startProviders(
  config: AcodeConfig,
  providers: ProviderConfig[],
  deps: CliDeps,
): Promise<StartOutcome> {
  const registry = openRegistry({ config, env: deps.env, ...inspectOf(deps) });
  registry.onStatus(progressPrinter(deps.stderr));
  const settled = await Promise.allSettled(
    providers.map(async (p) => {
      const provider = await registry.getProvider(p.id, { signal: deps.signal });
      await provider.close();
    }),
  );
  const services = registry.actor.getSnapshot().context.services;
  const reports = providers.map((p) => reportFromService(config, p, services[p.id]));
  // A finished start outlives us: detaching stops only the watching (dispose() would stop stop_on_exit
  // servers). A start cut short by Ctrl-C did not happen, so stop_on_exit applies to what it spawned.
  if (deps.signal.aborted) await registry.dispose();
  else await registry.detach();
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return { reports };
  return { reports, error: failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason)) };
}

export type StopAction = 'stopped' | 'left-running' | 'not-running';

export interface StopOutcome {
  id: string;
  action: StopAction;
  /** The contract state after the command: stopped, or what was found when it was left alone. */
  state: ProviderReport['state'];
  pid: number | null;
  /** How the stopped process ended (SIGTERM within the grace period, or SIGKILL after it). */
  signal?: string;
  reason?: string;
}

/** Stops one provider's server if acode started it; says why otherwise. One probe, no start. */
export async function stopProvider(config: AcodeConfig, p: ProviderConfig, deps: CliDeps): Promise<StopOutcome> {
  const found = await probeProvider(config, p, deps);
  const base = { id: p.id, state: found.state, pid: found.pid };
  if (found.state === 'stopped' || found.state === 'unavailable') return { ...base, action: 'not-running' };
  if (found.state === 'failed')
    return { ...base, action: 'not-running', reason: found.lastError?.message ?? 'not the expected server' };
  if (!found.owned || found.pid === null) {
    return {
      ...base,
      action: 'left-running',
      reason: `acode did not start the server at ${p.baseUrl} (no pid file of ours matches it), so it leaves it running`,
    };
  }
  if (!lifecycleMayStop(p.lifecycle.mode)) {
    return {
      ...base,
      action: 'left-running',
      reason: `lifecycle.mode is ${p.lifecycle.mode}: only managed servers are stopped by acode`,
    };
  }
  const logic = createActorImplementations({ env: { ...deps.env } }).stopServer;
  const input = {
    provider: p,
    mode: config.mode,
    stateDir: resolveStateDir(deps.env),
    pid: found.pid,
    graceMs: DEFAULT_GRACE_MS,
  };
  const out = await runOnce(logic, input, deps);
  return { ...base, action: 'stopped', state: 'stopped', signal: out.signal };
}
