// A stale pid file whose pid now belongs to another live process (a `sleep` we spawn) must never get
// that process signalled: not by detect, not by the start that replaces the server, not by stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../machines/index.js';
import { freePort } from '../servers/harness.js';
import { createActorImplementations, pidFilePath, readPidFile } from './chaos-deps.js';
import { PidLedger, procCmdline, CHAOS_LIFECYCLE, requireBuilt, standInEnv } from './helpers.js';
import { pidAlive, until } from '../support/processes.js';
import { tempDir } from '../support/temp-dir.js';
import { providerConfig } from '../support/providers.js';

const ledger = new PidLedger();
const sleepers: ChildProcess[] = [];
beforeAll(() => requireBuilt());
afterEach(() => {
  ledger.killAll();
  for (const s of sleepers.splice(0)) s.kill('SIGKILL');
});

/** A live `sleep` and how it ended (if it did): any signal that reaches it ends it. */
function spawnSleep(): { child: ChildProcess; ended: () => string | null } {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  sleepers.push(child);
  let ended: string | null = null;
  child.once('exit', (code, signal) => (ended = signal ?? `exit ${code}`));
  return { child, ended: () => ended };
}

function procStartTime(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then((s) => s.slice(s.lastIndexOf(')') + 2).split(' ')[19]!);
}

// The ways a pid file goes stale: the recorded server died and the pid was reused by something else.
const VARIANTS = {
  'server cmdline, other start time': async (pid: number, port: number) => ({
    pid,
    startTime: '1',
    cmdline: ['node', '/x/llama-server.js', '-m', 'm.gguf', '--port', String(port)],
    port,
    startedAt: new Date(0).toISOString(),
    binary: 'llama-server',
  }),
  'right start time, other cmdline': async (pid: number, port: number) => ({
    pid,
    startTime: await procStartTime(pid),
    cmdline: ['llama-server', '--port', String(port)],
    port,
    startedAt: new Date().toISOString(),
    binary: 'llama-server',
  }),
  'garbage fields': async (pid: number, port: number) => ({
    pid,
    startTime: 'x',
    cmdline: [],
    port,
    startedAt: 'never',
    binary: '',
  }),
} as const;

describe('chaos: stale pid file naming a live stranger', () => {
  it.each(Object.keys(VARIANTS))(
    '%s: the stranger is never signalled through start, restart and stop',
    async (variant) => {
      const state = await tempDir('stale');
      const sleeper = spawnSleep();
      const sleepPid = sleeper.child.pid!;
      const port = await freePort();
      const file = pidFilePath(state.dir, providerConfig('llamacpp', port));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify(await VARIANTS[variant as keyof typeof VARIANTS](sleepPid, port)));
      const service = createService({
        ref: {
          provider: providerConfig('llamacpp', port, { lifecycle: CHAOS_LIFECYCLE }),
          mode: 'local-only',
          stateDir: state.dir,
        },
        actors: createActorImplementations({ env: standInEnv() }),
        tuning: { graceMs: 2_000, backoff: { baseMs: 50, capMs: 200 } },
      });
      try {
        await service.ensureHealthy();
        const pid = service.status().pid;
        ledger.add(pid);
        expect(pid).not.toBe(sleepPid);
        expect(procCmdline(pid!).join(' ')).toContain('llama-server');
        expect((await readPidFile(state.dir, providerConfig('llamacpp', port)))?.pid).toBe(pid);
        // A crash and restart re-reads the state dir; the stranger must stay out of it.
        process.kill(pid!, 'SIGKILL');
        await until(
          () => {
            const s = service.status();
            return s.state === 'healthy' && s.pid !== null && s.pid !== pid;
          },
          { what: 'restart after kill -9', timeoutMs: 20_000 },
        );
        const second = service.status().pid;
        ledger.add(second);
        expect(second).not.toBe(sleepPid);
        await service.stop();
        expect(pidAlive(pid!)).toBe(false);
        expect(pidAlive(second!)).toBe(false);
        expect(sleeper.ended()).toBeNull();
        expect(pidAlive(sleepPid)).toBe(true);
        expect(procCmdline(sleepPid)).toEqual(['sleep', '600']);
        console.log(
          `chaos: stale-pid (${variant}) sleep ${sleepPid} untouched; acode started ${pid}, restarted ${second} after kill -9, stopped it`,
        );
      } finally {
        await service.dispose();
        await state.cleanup();
      }
    },
  );
});
