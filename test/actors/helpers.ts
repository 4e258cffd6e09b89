// Shared fixtures for the actor tests: temp state dirs, free ports, a scratch environment with the
// stand-in servers (test/servers/bin) first on PATH, and a pid ledger so afterEach leaves nothing running.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { AcodeError } from '../../config/index.js';
import type { ProviderConfig } from '../../config/index.js';
import type { ServiceRef } from '../../actors/index.js';
import { scratchHomeEnv } from '../servers/lib/scratch-home.js';

export const SERVERS_BIN = resolve(import.meta.dirname, '..', 'servers', 'bin');
const BUILT = resolve(import.meta.dirname, '..', '..', 'dist', 'test', 'servers');

export function requireBuiltServers(): void {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npx tsc -p tsconfig.json\` before these tests.`);
}

import { pidAlive, until } from '../support/processes.js';
export { freePort } from '../servers/harness.js';
export async function tempStateDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'acode-actors-'));
}

/** The stand-ins first on PATH and a scratch HOME / HF_HOME / OLLAMA_MODELS: never the developer's. */
export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...scratchHomeEnv(), PATH: `${SERVERS_BIN}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

export function serviceRef(provider: ProviderConfig, stateDir: string): ServiceRef {
  return { provider, mode: 'local-only', stateDir };
}

/** Pids a test started (directly or through spawnServer); killed in afterEach, by pid. */
export class PidLedger {
  private readonly pids = new Set<number>();
  add(pid: number | undefined): void {
    if (pid !== undefined) this.pids.add(pid);
  }
  /** Kills every pid added, plus any process whose stdout is a log file under `stateDir` (a server
   *  spawned by a test that failed before it could record the pid). */
  async killAll(stateDir?: string): Promise<void> {
    if (stateDir) for (const pid of await pidsLoggingInto(stateDir)) this.pids.add(pid);
    for (const pid of this.pids) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // Already gone, or not a group leader.
        }
      }
    }
    // Wait for them to be gone, so their exit handlers are done before the state dir is removed.
    const pids = [...this.pids];
    this.pids.clear();
    await until(() => pids.every((pid) => !pidAlive(pid)), { what: 'killed pids to exit', timeoutMs: 5_000 }).catch(
      () => undefined,
    );
  }
}

async function pidsLoggingInto(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const target = await readlink(`/proc/${name}/fd/1`).catch(() => '');
    if (target.startsWith(`${dir}/`)) found.push(Number(name));
  }
  return found;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
}

/** Awaits a promise that must reject with an AcodeError, and returns that error for its code and text. */
export async function acodeFailure(p: Promise<unknown>): Promise<AcodeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AcodeError)) throw new Error(`expected an AcodeError, got ${String(err)}`);
  return err;
}
