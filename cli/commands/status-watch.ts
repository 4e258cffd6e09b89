// The supervisor behind `acode status --watch` and `acode tui`: one registry for the process's lifetime.
// A provider whose server runs is adopted (its service actor watches it at the health interval and
// restarts a managed one after a crash); one that is down is only re-detected at its health interval, so
// watching never starts anything. Starting is the user's key press (s), and so is stopping (x).
import { waitFor, type AnyActorRef } from 'xstate';
import { AcodeError, resolveStateDir, type AcodeConfig, type ProviderConfig } from '../../config/index.js';
import { logFilePath, logTail, serverFacts, type ServerFacts } from '../../actors/index.js';
import {
  isSettled,
  openRegistry,
  type Registry,
  type ReloadSummary,
  type ServiceSnapshot,
} from '../../machines/index.js';
import type { StatusActions, StatusReport as ViewReport, StatusSubscribe } from '../views/index.js';
import type { CliDeps } from '../deps.js';
import { callGateway, type GatewayRecord } from './gateway-client.js';
import {
  configuredProviders,
  inspectOf,
  probeProvider,
  reportFromService,
  toView,
  withServerFacts,
  type ProviderReport,
} from './provider-reports.js';

export interface Watch {
  subscribe: StatusSubscribe;
  actions: StatusActions;
  /** The latest reports, machine shape (for --json) and view shape. */
  reports(): ProviderReport[];
  views(): ViewReport[];
  /** The first detection of every provider has finished. */
  ready: Promise<void>;
  /** Applies an edited config: only the providers it changed are touched (registry.reconfigure). */
  reload(next: AcodeConfig): Promise<ReloadSummary>;
  /** Stops watching; servers started here with stop_on_exit are stopped (registry.dispose). */
  close(): Promise<void>;
}

type Snapshot = {
  value: unknown;
  status: string;
  matches(v: unknown): boolean;
  context: { owned: boolean; pid: number | null; lastError: { code: string; message: string; hint: string } | null };
};

const TICK_MS = 1000;

export function openWatch(initial: AcodeConfig, shown: ProviderConfig[], deps: CliDeps): Watch {
  // Both replaced by reload(); everything below reads the current ones.
  let config = initial;
  let providers = shown;
  const registry: Registry = openRegistry({ config, env: deps.env, ...inspectOf(deps) });
  const stateDir = resolveStateDir(deps.env);
  const probed = new Map<string, ProviderReport>();
  const nextProbeAt = new Map<string, number>();
  const listeners = new Set<(reports: readonly ViewReport[]) => void>();
  const inFlight = new Set<string>();
  let closed = false;

  const ref = (id: string): AnyActorRef | undefined => registry.actor.getSnapshot().context.services[id];
  const snap = (id: string): Snapshot | undefined => ref(id)?.getSnapshot() as Snapshot | undefined;
  // Down (no actor, or its actor rests in stopped): the last detection speaks for it.
  const passive = (id: string): boolean => {
    const s = snap(id);
    return s === undefined || s.matches('stopped');
  };

  // The server's own start and acode's recorded restarts, per provider, for the process last seen there.
  const facts = new Map<string, { pid: number | null; value: ServerFacts | undefined }>();
  const factsLoading = new Set<string>();
  function refreshFacts(p: ProviderConfig, r: ProviderReport): void {
    const known = facts.get(p.id);
    // Once per process: a server whose age is unknowable (no pid file, no readable port holder) stays unknown.
    if (r.state !== 'healthy' || factsLoading.has(p.id) || known?.pid === r.pid) return;
    factsLoading.add(p.id);
    void serverFacts(stateDir, p, r.pid, { signal: deps.signal })
      .then(
        (value) => {
          facts.set(p.id, { pid: r.pid, value });
        },
        () => undefined,
      )
      .finally(() => {
        factsLoading.delete(p.id);
        push();
      });
  }
  const live = (p: ProviderConfig): ProviderReport => {
    const r = reportFromService(config, p, ref(p.id));
    refreshFacts(p, r);
    const known = facts.get(p.id);
    return withServerFacts(r, known?.pid === r.pid ? known.value : undefined, p.lifecycle.restartWindowSeconds * 1000);
  };
  const reports = (): ProviderReport[] =>
    providers.map((p) => (passive(p.id) ? (probed.get(p.id) ?? reportFromService(config, p, undefined)) : live(p)));
  const views = (): ViewReport[] => reports().map(toView);
  const push = (): void => {
    if (closed) return;
    const now = views();
    for (const l of listeners) l(now);
  };
  registry.onStatus(push);

  // An answering server is adopted: START from stopped detects it again and lands in healthy/starting.
  function adopt(id: string): void {
    registry.service(id);
    ref(id)?.send({ type: 'START' });
  }

  async function probe(p: ProviderConfig): Promise<void> {
    if (inFlight.has(p.id)) return;
    inFlight.add(p.id);
    try {
      const found = await probeProvider(config, p, deps);
      if (closed || !passive(p.id)) return;
      probed.set(p.id, found);
      if (found.state === 'healthy' || found.state === 'starting') adopt(p.id);
    } finally {
      inFlight.delete(p.id);
      nextProbeAt.set(p.id, Date.now() + p.lifecycle.healthCheckIntervalSeconds * 1000);
    }
    push();
  }

  const ready = Promise.all(providers.map(probe)).then(() => undefined);
  // One timer: re-detects the passive providers when their interval is due, and refreshes uptimes.
  const timer = setInterval(() => {
    for (const p of providers) if (passive(p.id) && Date.now() >= (nextProbeAt.get(p.id) ?? 0)) void probe(p);
    push();
  }, TICK_MS);

  async function settle(id: string, done: (s: Snapshot) => boolean): Promise<Snapshot> {
    const p = config.providers[id]!;
    const bound = (p.lifecycle.startTimeoutSeconds + p.lifecycle.modelLoadTimeoutSeconds + 30) * 1000;
    return (await waitFor(ref(id)!, (s) => done(s as Snapshot) || (s as Snapshot).status !== 'active', {
      timeout: bound,
      signal: deps.signal,
    })) as Snapshot;
  }

  const failure = (id: string, s: Snapshot): AcodeError => {
    const e = s.context.lastError;
    return e
      ? new AcodeError(e.code as AcodeError['code'], e.message, e.hint)
      : new AcodeError('PROVIDER_UNAVAILABLE', `${id} did not become healthy.`, `Press l for ${id}'s log.`);
  };

  const actions: StatusActions = {
    async start(id) {
      registry.service(id);
      // A healthy server whose model is missing is asked to check (or pull) again; anything else starts.
      ref(id)!.send({ type: snap(id)?.matches({ healthy: { model: 'missing' } }) ? 'RETRY' : 'START' });
      push();
      const s = await settle(id, (x) => isSettled(x as unknown as ServiceSnapshot));
      if (!s.matches('healthy')) throw failure(id, s);
    },
    async stop(id) {
      const s = snap(id);
      if (s === undefined || s.matches('stopped')) return;
      if (!s.context.owned && (s.matches('healthy') || s.matches('starting'))) {
        // Not an AcodeError: nothing failed, acode only declines to signal a process it did not start.
        throw new Error(
          `${id}: left running: acode did not start it (no pid file of ours matches it); stop it the way it was started.`,
        );
      }
      await registry.service(id).stop({ signal: deps.signal });
      // Stopped by us: detect it again at the next tick like any other down provider.
      probed.delete(id);
      nextProbeAt.set(id, 0);
      push();
    },
    async restart(id) {
      await actions.stop(id);
      await actions.start(id);
    },
    async logTail(id) {
      return logTail(logFilePath(stateDir, config.providers[id]!), { lines: 20 });
    },
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    actions,
    reports,
    views,
    ready,
    async reload(next) {
      const summary = await registry.reconfigure(next, { signal: deps.signal });
      config = next;
      providers = await configuredProviders(next);
      // Whatever changed is detected afresh at the next tick instead of showing its old report.
      for (const id of [...summary.added, ...summary.changed, ...summary.removed]) {
        probed.delete(id);
        nextProbeAt.set(id, 0);
      }
      push();
      return summary;
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await registry.dispose();
    },
  };
}

/**
 * The watch of a running `acode serve`: its supervisor owns the servers, so this only polls its reports
 * and sends it start/stop; config edits are the gateway's to follow (it reloads them itself).
 */
export function openGatewayWatch(
  gateway: GatewayRecord,
  initial: AcodeConfig,
  shown: ProviderConfig[],
  deps: CliDeps,
): Watch {
  const stateDir = resolveStateDir(deps.env);
  const ids = new Set(shown.map((p) => p.id));
  let latest: ProviderReport[] = shown.map((p) => reportFromService(initial, p, undefined));
  let closed = false;
  const listeners = new Set<(reports: readonly ViewReport[]) => void>();
  const push = (): void => {
    const now = latest.map(toView);
    for (const l of listeners) l(now);
  };
  async function poll(): Promise<void> {
    const reports = await callGateway<ProviderReport[]>(gateway, 'GET', '/acode/status', deps.signal);
    if (closed) return;
    latest = reports.filter((r) => ids.has(r.id));
    push();
  }
  const ready = poll();
  const timer = setInterval(() => void poll().catch(() => undefined), TICK_MS);
  const actions: StatusActions = {
    async start(id) {
      await callGateway(gateway, 'POST', `/acode/providers/${id}/start`, deps.signal);
      await poll();
    },
    async stop(id) {
      await callGateway(gateway, 'POST', `/acode/providers/${id}/stop`, deps.signal);
      await poll();
    },
    async restart(id) {
      await actions.stop(id);
      await actions.start(id);
    },
    async logTail(id) {
      const p = shown.find((x) => x.id === id) ?? initial.providers[id]!;
      return logTail(logFilePath(stateDir, p), { lines: 20 });
    },
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    actions,
    reports: () => latest,
    views: () => latest.map(toView),
    ready,
    async reload() {
      return { added: [], removed: [], changed: [], restarting: [] };
    },
    async close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
