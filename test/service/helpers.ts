// Fixtures for the service integration tests: createService with the REAL actors, spawning the
// stand-in servers itself (serversEnv() on PATH), a temp ACODE_STATE_DIR per test, and a cleanup that
// kills every process a test started (by pid, and by "its stdout is a log file in the state dir").
import { readdir, readFile } from 'node:fs/promises';
import type { InspectionEvent } from 'xstate';
import { createActorImplementations } from '../../actors/index.js';
import type { LifecycleConfig, OperatingMode, ProviderConfig, ProviderKind } from '../../config/index.js';
import { createService, stateLabel, type Service } from '../../machines/index.js';
import { serversEnv } from '../servers/harness.js';
import { scratchHomeEnv } from '../servers/lib/scratch-home.js';
import { afterEach, beforeAll, beforeEach } from 'vitest';
import { PidLedger, removeDir, requireBuiltServers, tempStateDir } from '../actors/helpers.js';
import { pidAlive, until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

export interface ServiceOptions {
  lifecycle?: Partial<LifecycleConfig>;
  /** Knobs and other env for the spawned server (ACODE_FAKE_*). */
  env?: Record<string, string>;
  provider?: Partial<ProviderConfig>;
  mode?: OperatingMode;
  graceMs?: number;
}

export interface Tracked {
  service: Service;
  /** Every state label the service went through ("starting", "healthy/ready" ...), duplicates collapsed. */
  labels: string[];
  /** Pull progress seen while pulling: [completed, total]. */
  pulls: Array<[number, number]>;
}

/** One test's world: its state dir, its services, and the pids to kill afterwards. */
export class World {
  readonly ledger = new PidLedger();
  private readonly services: Service[] = [];
  private constructor(readonly stateDir: string) {}

  static async create(): Promise<World> {
    return new World(await tempStateDir());
  }

  /** The env an orchestrator under test spawns servers with: stand-ins first on PATH, scratch HOME. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ...serversEnv(),
      ...scratchHomeEnv(this.stateDir),
      ACODE_STATE_DIR: this.stateDir,
      ...extra,
    };
  }

  provider(kind: ProviderKind, port: number, opts: ServiceOptions = {}): ProviderConfig {
    const base = providerConfig(kind, port, opts.provider ?? {});
    base.lifecycle = {
      ...base.lifecycle,
      startTimeoutSeconds: 20,
      modelLoadTimeoutSeconds: 20,
      healthCheckIntervalSeconds: 0.2,
      ...opts.lifecycle,
    };
    return base;
  }

  service(kind: ProviderKind, port: number, opts: ServiceOptions = {}): Tracked {
    const labels: string[] = [];
    const pulls: Array<[number, number]> = [];
    const provider = this.provider(kind, port, opts);
    const service = createService({
      ref: { provider, mode: opts.mode ?? 'local-only', stateDir: this.stateDir },
      actors: createActorImplementations({ env: this.env(opts.env), lockTimeoutMs: 30_000 }),
      tuning: { graceMs: opts.graceMs ?? 2_000, maxMisses: 2, backoff: { baseMs: 50, capMs: 200 } },
      inspect: (e: InspectionEvent) => {
        if (e.type !== '@xstate.snapshot' || e.actorRef.sessionId !== e.rootId) return;
        const snap = e.snapshot as {
          value?: Parameters<typeof stateLabel>[0];
          context?: { pid?: number | null; pull?: { completed: number; total: number } | null };
        };
        if (snap.value === undefined) return;
        const label = stateLabel(snap.value);
        if (labels.at(-1) !== label) labels.push(label);
        const pull = snap.context?.pull;
        if (pull) pulls.push([pull.completed, pull.total]);
        if (typeof snap.context?.pid === 'number') this.ledger.add(snap.context.pid);
      },
    });
    this.services.push(service);
    return { service, labels, pulls };
  }

  async cleanup(): Promise<void> {
    for (const service of this.services.splice(0)) await service.dispose();
    await this.ledger.killAll(this.stateDir);
    await removeDir(this.stateDir);
  }
}

export const top = (service: Service): string => service.status().state;

/** Waits for the service to reach a top-level state (bounded). */
export async function waitState(service: Service, state: string, timeoutMs = 20_000): Promise<void> {
  await until(() => top(service) === state, { what: `state ${state} (now ${top(service)})`, timeoutMs });
}

/** Pids of live stand-in processes whose command line serves `port` (a /proc scan, not the pid file). */
export async function serversOnPort(port: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const args = (await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const server = args.some((a) => /(llama-server|vllm|ollama)\.js$/.test(a));
    const portArg = args.includes('--port') && args[args.indexOf('--port') + 1] === String(port);
    const ollama =
      args.some((a) => a.endsWith('ollama.js')) &&
      (await readFile(`/proc/${name}/environ`, 'utf8').catch(() => ''))
        .split('\0')
        .some((v) => v.startsWith('OLLAMA_HOST=') && v.endsWith(`:${port}`));
    if (server && (portArg || ollama) && pidAlive(Number(name))) found.push(Number(name));
  }
  return found;
}

export interface Failure {
  code: string;
  message: string;
  hint: string;
  details?: { logTail?: string[] } & Record<string, unknown>;
}

/** The typed error a call must fail with; a success fails the test. */
export async function failureOf(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (error) {
    return error as Failure;
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** A fresh World for every test of the file (the stand-ins built first), cleaned up after each. */
export function eachTestWorld(use: (world: World) => void): void {
  let current: World | undefined;
  beforeAll(() => requireBuiltServers());
  beforeEach(async () => {
    current = await World.create();
    use(current);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
}
