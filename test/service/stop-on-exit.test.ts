// Issue 5 item 5, end to end with the BUILT CLI (node dist/cli/main.js, or ACODE_E2E_MAIN): with
// stop_on_exit: true the server `acode ask` started is gone once the CLI exits, also when the CLI is
// interrupted (SIGINT, SIGTERM) while it waits on a slow stream; with false it outlives the CLI.
// Build first: npx tsc -p tsconfig.json
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, project, providerYaml, type Project } from '../e2e/project.js';
import { freePort, serversEnv } from '../servers/harness.js';
import { logFilePath } from '../../actors/index.js';
import { requireBuiltServers } from '../actors/helpers.js';
import { serversOnPort } from './helpers.js';
import { pidAlive, until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

const MODEL = 'meta-llama/Llama-2-7b-hf';
let projects: Project[] = [];
const ports: number[] = [];

beforeAll(() => {
  requireBuiltServers();
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with \`npx tsc -p tsconfig.json\``);
});
afterEach(async () => {
  // Whatever serves a test's port is killed by pid, even when the test failed before its checks.
  for (const port of ports.splice(0)) {
    for (const pid of await serversOnPort(port)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

async function vllmProject(stopOnExit: boolean): Promise<{ p: Project; port: number }> {
  const port = await freePort();
  ports.push(port);
  const p = await project(
    `providers:\n  active: vllm\n${providerYaml('vllm', { model: MODEL, port }, { stop_on_exit: stopOnExit })}`,
  );
  projects.push(p);
  return { p, port };
}

/** `acode ask` on a stream slow enough to be interrupted; resolves once answer text is on stdout. */
function slowAsk(p: Project): {
  exited: Promise<{ code: number | null; signal: string | null; stderr: string }>;
  streaming: Promise<void>;
  kill(sig: NodeJS.Signals): void;
} {
  const env = { ...p.env, ...serversEnv(), ACODE_FAKE_TOKENS: '200', ACODE_FAKE_TOKEN_DELAY_MS: '200' };
  const child = spawn(process.execPath, [MAIN, 'ask', 'tell me a long story'], {
    cwd: p.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const streaming = new Promise<void>((done, fail) => {
    child.stdout.once('data', () => done());
    child.once('exit', () => fail(new Error(`acode ask exited before streaming: ${stderr}`)));
  });
  const bound = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((done) =>
    child.once('close', (code, signal) => {
      clearTimeout(bound);
      done({ code, signal, stderr });
    }),
  );
  return { exited, streaming, kill: (sig) => child.kill(sig) };
}

describe('stop_on_exit with the built CLI', { timeout: 120_000 }, () => {
  it('true: the server `acode ask` started is stopped when the CLI exits', async () => {
    const { p, port } = await vllmProject(true);
    const r = await p.acode(['ask', 'hello'], { env: serversEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/vllm: starting/);
    // It did start one (its log is in the state dir), and none is left.
    expect(existsSync(logFilePath(p.stateDir, providerConfig('vllm', port)))).toBe(true);
    expect(await serversOnPort(port)).toEqual([]);
    expect(p.startedPids()).toEqual([]);
  });

  it('false: the server outlives the CLI', async () => {
    const { p, port } = await vllmProject(false);
    const r = await p.acode(['ask', 'hello'], { env: serversEnv() });
    expect(r.code, r.stderr).toBe(0);
    const alive = await serversOnPort(port);
    expect(alive).toHaveLength(1);
    expect(pidAlive(alive[0]!)).toBe(true);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'true: %s to an `acode ask` waiting on a slow stream leaves no server',
    async (sig) => {
      const { p, port } = await vllmProject(true);
      const run = slowAsk(p);
      await run.streaming;
      const started = await serversOnPort(port);
      expect(started).toHaveLength(1);
      run.kill(sig);
      const end = await run.exited;
      // The CLI ended because of the signal (not a finished answer): 130 / 143 or the signal itself.
      expect(end.code === 0, end.stderr).toBe(false);
      await until(async () => (await serversOnPort(port)).length === 0, {
        what: `server gone after ${sig}`,
        timeoutMs: 10_000,
      }).catch(() => undefined);
      expect(await serversOnPort(port), end.stderr).toEqual([]);
      expect(pidAlive(started[0]!)).toBe(false);
    },
  );
});
