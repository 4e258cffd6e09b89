// What the provider commands print: the service machine's StatusReport (machines/status.ts, the --json
// contract) plus the provider's kind and configured model name. A read (`status`) builds it from one
// detection, never from a started service, so looking never starts anything.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { createActor, toPromise, type AnyActorLogic, type AnyActorRef, type InputFrom, type OutputFrom } from 'xstate';
import {
  isAcodeError,
  providerUnknownError,
  resolveStateDir,
  serializeError,
  type AcodeConfig,
  type ProviderConfig,
} from '../../config/index.js';
import {
  createActorImplementations,
  latestLoadProgress,
  logTail,
  runLog,
  serverFacts,
  type LoadProgress,
  type ServerFacts,
} from '../../actors/index.js';
import { createProvider } from '../../adapters/index.js';
import {
  modeRefusalError,
  portTakenError,
  statusOf,
  type ServiceSnapshot,
  type StatusReport,
} from '../../machines/index.js';
// Not the views' index: it loads Ink, and a report only needs the mapping.
import { fromServiceStatus } from '../views/from-service.js';
import type { StatusReport as ViewReport } from '../views/types.js';
import type { CliDeps } from '../deps.js';

/** One provider as `--json` prints it: the machine's report, its kind and the configured model name. */
export interface ProviderReport extends StatusReport {
  kind: string;
  modelName: string | null;
}

type DetectResult =
  | { kind: 'running'; ownedPid?: number }
  | { kind: 'loading'; ownedPid?: number }
  | { kind: 'absent' }
  | { kind: 'foreign'; holder?: string };

function blank(config: AcodeConfig, p: ProviderConfig): ProviderReport {
  return {
    id: p.id,
    kind: p.kind,
    modelName: p.model ?? null,
    state: 'stopped',
    model: null,
    modelDetail: null,
    pull: null,
    load: null,
    lifecycle: p.lifecycle.mode,
    mode: config.mode,
    pid: null,
    port: p.port,
    baseUrl: p.baseUrl,
    owned: false,
    uptimeMs: null,
    restartsInWindow: 0,
    lastError: null,
    degraded: null,
  };
}

/** The --record / --inspect sink for every actor a command creates (absent when neither is on). */
export function inspectOf(deps: Pick<CliDeps, 'inspect'>): { inspect?: NonNullable<CliDeps['inspect']> } {
  return deps.inspect ? { inspect: deps.inspect } : {};
}

/** The report of a live service actor (the registry's, in start/stop/watch). */
export function reportFromService(
  config: AcodeConfig,
  p: ProviderConfig,
  ref: AnyActorRef | undefined,
  now = Date.now(),
): ProviderReport {
  if (ref === undefined) return blank(config, p);
  return { ...statusOf(ref.getSnapshot() as ServiceSnapshot, now), kind: p.kind, modelName: p.model ?? null };
}

/** The view model the Ink views and the plain lines render. */
export function toView(r: ProviderReport): ViewReport {
  return fromServiceStatus(r, { kind: r.kind, ...(r.modelName !== null ? { model: r.modelName } : {}) });
}

/**
 * Runs one of the service machine's one-shot actors (detect, stopServer) to its output. Ctrl-C stops the
 * actor, and a stopped actor's promise resolves with no output: that is a cancelled command, not a result.
 */
export async function runOnce<TLogic extends AnyActorLogic>(
  logic: TLogic,
  input: InputFrom<TLogic>,
  deps: Pick<CliDeps, 'signal' | 'inspect'>,
): Promise<OutputFrom<TLogic>> {
  const { signal } = deps;
  const actor = createActor(logic, { input, ...inspectOf(deps) });
  const abort = () => actor.stop();
  signal.addEventListener('abort', abort, { once: true });
  try {
    actor.start();
    const output = await toPromise(actor);
    signal.throwIfAborted();
    return output;
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

// Detection alone (pid file + one health probe), through the same actor the service machine invokes.
async function detect(
  config: AcodeConfig,
  p: ProviderConfig,
  deps: Pick<CliDeps, 'env' | 'signal' | 'inspect'>,
  stateDir: string,
): Promise<DetectResult> {
  const logic = createActorImplementations({ env: { ...deps.env } }).detect;
  const found: DetectResult = await runOnce(logic, { provider: p, mode: config.mode, stateDir }, deps);
  return found;
}

/**
 * The report with the server's own age and acode's recorded restarts of it (actors/server-facts.ts),
 * not this process's: a watcher that adopted a running server did not see it start. Unknown age: null.
 */
export function withServerFacts(
  r: ProviderReport,
  facts: ServerFacts | undefined,
  windowMs: number,
  now = Date.now(),
): ProviderReport {
  const uptimeMs = r.state === 'healthy' && facts !== undefined ? Math.max(0, now - facts.startedAt) : null;
  const restartsInWindow =
    facts?.restarts !== undefined ? facts.restarts.filter((t) => now - t < windowMs).length : r.restartsInWindow;
  return { ...r, uptimeMs, restartsInWindow };
}

// What a loading server of ours last logged about its load (vLLM refuses connections meanwhile), read
// from this run's part of its log: the same parse the starting service's log watcher uses.
async function loggedLoad(
  config: AcodeConfig,
  p: ProviderConfig,
  stateDir: string,
  pid: number | undefined,
): Promise<LoadProgress | null> {
  if (pid === undefined) return null;
  const { file, offset } = await runLog({ provider: p, mode: config.mode, stateDir, pid });
  const lines = await logTail(file, { lines: 50, ...(offset === undefined ? {} : { offset }) });
  return latestLoadProgress(lines.join('\n')) ?? null;
}

/**
 * A provider's state from one detection: healthy (answers; model not checked, so `unknown`), starting
 * (answers but loading), stopped (nothing there, acode may start it), unavailable (nothing there and
 * acode does not start it), failed (port held by something else, or the mode forbids the provider).
 */
export async function probeProvider(
  config: AcodeConfig,
  p: ProviderConfig,
  deps: Pick<CliDeps, 'env' | 'signal' | 'inspect'>,
): Promise<ProviderReport> {
  const report = blank(config, p);
  const refused = modeRefusalError(config.mode, p);
  if (refused)
    return {
      ...report,
      state: 'failed',
      lastError: { code: refused.code, message: refused.message, hint: refused.hint },
    };
  let found: DetectResult;
  const stateDir = resolveStateDir(deps.env);
  try {
    found = await detect(config, p, deps, stateDir);
  } catch (error) {
    deps.signal.throwIfAborted();
    const { code, message, hint } = serializeError(error);
    return { ...report, state: 'failed', lastError: { code, message, hint } };
  }
  const owned = 'ownedPid' in found && found.ownedPid !== undefined ? { pid: found.ownedPid, owned: true } : {};
  switch (found.kind) {
    case 'running': {
      const healthy: ProviderReport = { ...report, ...owned, state: 'healthy', model: 'unknown' };
      const [facts, refused] = await Promise.all([
        serverFacts(stateDir, p, found.ownedPid ?? null, { signal: deps.signal }),
        authRefusal(config, p, deps),
      ]);
      return withServerFacts(
        { ...healthy, ...(refused ? { lastError: refused } : {}) },
        facts,
        p.lifecycle.restartWindowSeconds * 1000,
      );
    }
    case 'loading':
      return { ...report, ...owned, state: 'starting', load: await loggedLoad(config, p, stateDir, found.ownedPid) };
    case 'foreign': {
      const { code, message, hint } = portTakenError(p, found.holder);
      return { ...report, state: 'failed', lastError: { code, message, hint } };
    }
    case 'absent':
      if (p.lifecycle.mode === 'managed') return report;
      return {
        ...report,
        state: 'unavailable',
        lastError: {
          code: 'PROVIDER_UNAVAILABLE',
          message: `${p.id}: nothing answers at ${p.baseUrl}.`,
          hint: `acode does not start ${p.lifecycle.mode} servers: start it yourself, or set providers.${p.id}.lifecycle.mode: managed.`,
        },
      };
  }
}

/**
 * Detection reads the free health route, so a server behind an API key (vLLM/llama-server --api-key, LM
 * Studio's tokens) looks fine there and refuses everything else. One GET on a guarded route says whether
 * the key is right; any other failure is left to the model check of a started service.
 */
async function authRefusal(
  config: AcodeConfig,
  p: ProviderConfig,
  deps: Pick<CliDeps, 'env' | 'signal'>,
): Promise<ProviderReport['lastError']> {
  if (p.type === 'ollama' && p.apiKeyEnv === undefined) return null;
  const adapter = createProvider(p, { mode: config.mode, env: deps.env });
  try {
    await adapter.checkAuth?.({ signal: deps.signal });
    return null;
  } catch (error) {
    if (!isAcodeError(error) || error.code !== 'AUTH_FAILED') return null;
    return { code: error.code, message: error.message, hint: error.hint };
  } finally {
    await adapter.close().catch(() => undefined);
  }
}

/** `id`'s config, or PROVIDER_UNKNOWN listing the configured ids. */
export function providerById(config: AcodeConfig, id: string): ProviderConfig {
  const found = config.providers[id];
  if (found) return found;
  throw providerUnknownError(id, Object.keys(config.providers), config.file ? { file: config.file } : {});
}

/**
 * The providers a command without an id acts on: those named in the config file (or by an env override),
 * plus the active one. The four known ids always exist with defaults; those the user never mentioned are
 * left alone, so `acode providers start` does not try to launch every server kind there is.
 */
export async function configuredProviders(config: AcodeConfig): Promise<ProviderConfig[]> {
  const named = new Set<string>([config.active, ...config.fallback]);
  for (const o of config.overrides ?? []) for (const path of o.paths) named.add(path.split('.')[1] ?? '');
  if (config.file) {
    try {
      const raw = parse(await readFile(config.file, 'utf8')) as { providers?: Record<string, unknown> } | null;
      for (const key of Object.keys(raw?.providers ?? {})) if (key !== 'active') named.add(key);
    } catch {
      // loadConfig already read and validated it; a race with an editor only narrows the list
    }
  }
  return Object.values(config.providers).filter((p) => named.has(p.id));
}

/** The providers named on the command line (one id) or all configured ones. */
export async function selectProviders(config: AcodeConfig, id: string | undefined): Promise<ProviderConfig[]> {
  return id === undefined ? configuredProviders(config) : [providerById(config, id)];
}
