// Runs the BUILT `acode` (node dist/cli/main.js) as a user would: a temp project with .agent/config.yml
// on free ports, a temp ACODE_STATE_DIR and HOME, the stand-in servers first on PATH. Every server acode
// recorded (state dir pid files) is killed by pid afterwards. Shared by every end-to-end test.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serversBinDir } from '../servers/harness.js';
import { testHubEndpoint } from '../servers/lib/scratch-home.js';

// ACODE_E2E_MAIN: a private build (the shared dist/ may be mid-rebuild while the tests run).
export const MAIN = process.env.ACODE_E2E_MAIN ?? fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Project {
  dir: string;
  stateDir: string;
  env: Record<string, string>;
  /** Runs `acode <args>` in the project; `stdin` is piped in when given. */
  acode(args: string[], opts?: { env?: Record<string, string>; stdin?: string }): Promise<Run>;
  /** Starts `acode <args>` and returns at once, for long-running commands (status --watch). */
  live(args: string[], opts?: { env?: Record<string, string> }): Live;
  /** Pids acode ever recorded in the state dir's pid files (alive or not). */
  recordedPids(): number[];
  /** Those of them still alive. */
  startedPids(): number[];
  /** Stops the live commands and every server acode started here, then removes the temp dirs. */
  cleanup(): Promise<void>;
}

/** Is the pid a live (not zombie) process? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Can a listener bind the port on loopback (nothing else holds it)? */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** `stateDir`: another project's, for two projects on one machine sharing the user's state directory. */
export async function project(
  configYaml: string,
  { stateDir: sharedStateDir }: { stateDir?: string } = {},
): Promise<Project> {
  const dir = await mkdtemp(join(tmpdir(), 'acode-e2e-'));
  await mkdir(join(dir, '.agent'), { recursive: true });
  await writeFile(join(dir, '.agent', 'config.yml'), configYaml);
  const stateDir = sharedStateDir ?? join(dir, 'state');
  const env: Record<string, string> = {
    PATH: `${serversBinDir}${delimiter}${process.env.PATH ?? ''}`,
    HOME: dir,
    ACODE_STATE_DIR: stateDir,
    HF_HOME: join(dir, 'hf'),
    HF_ENDPOINT: testHubEndpoint(),
    NO_COLOR: '1',
  };
  const seen = new Set<number>();
  const lives: Live[] = [];
  const recordedPids = (): number[] => {
    const run = join(stateDir, 'run');
    if (existsSync(run)) {
      for (const f of readdirSync(run).filter((n) => n.endsWith('.json'))) {
        try {
          const pid = (JSON.parse(readFileSync(join(run, f), 'utf8')) as { pid?: unknown }).pid;
          if (typeof pid === 'number') seen.add(pid);
        } catch {
          // being rewritten; the next look sees it
        }
      }
    }
    return [...seen];
  };
  return {
    dir,
    stateDir,
    env,
    recordedPids,
    startedPids: () => recordedPids().filter(alive),
    acode: (args, opts = {}) => runNode([MAIN, ...args], dir, { ...env, ...opts.env }, recordedPids, opts.stdin),
    live: (args, opts = {}) => {
      const l = startLive([MAIN, ...args], dir, { ...env, ...opts.env });
      lives.push(l);
      return l;
    },
    async cleanup() {
      for (const l of lives) l.kill();
      for (const pid of recordedPids().filter(alive)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function runNode(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  onOutput: () => void,
  stdin = '',
): Promise<Run> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with \`npm run build\``);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      onOutput();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      onOutput();
    });
    // Bounded: a hung CLI fails the test instead of hanging it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.stdin.end(stdin);
    child.once('close', (code) => {
      clearTimeout(timer);
      onOutput();
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Live {
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches (bounded); the failure shows what was printed. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The same for stderr. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Ctrl-C, as a terminal would send it. */
  interrupt(): void;
  /** SIGTERM, as a supervisor (systemd, kill) sends it. */
  terminate(): void;
  kill(): void;
  exited: Promise<number | null>;
}

function startLive(args: string[], cwd: string, env: Record<string, string>): Live {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with \`npm run build\``);
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    wake();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
    wake();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      wake();
      resolve(code);
    }),
  );
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    interrupt: () => {
      child.kill('SIGINT');
    },
    terminate: () => {
      child.kill('SIGTERM');
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    waitForStdout: (pattern, timeoutMs) => waitOn('stdout', () => stdout, pattern, timeoutMs),
    waitForStderr: (pattern, timeoutMs) => waitOn('stderr', () => stderr, pattern, timeoutMs),
  };

  function waitOn(name: string, text: () => string, pattern: RegExp, timeoutMs = 45_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pattern.test(text())) {
          if (child.exitCode === null && child.signalCode === null) return;
          waiters.delete(check);
          clearTimeout(timer);
          reject(
            new Error(`acode exited before printing ${pattern} on ${name}; stdout:\n${stdout}\nstderr:\n${stderr}`),
          );
          return;
        }
        waiters.delete(check);
        clearTimeout(timer);
        resolve(text());
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${pattern} on ${name}; stdout:\n${stdout}\nstderr:\n${stderr}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }
}

/** A provider block for the YAML config (lifecycle values inline). */
export function providerYaml(
  id: string,
  fields: Record<string, string | number | boolean>,
  lifecycle: Record<string, string | number | boolean> = {},
): string {
  const lines = [`  ${id}:`, ...Object.entries(fields).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)];
  const life = { start_timeout_seconds: 20, ...lifecycle };
  lines.push(
    `    lifecycle: { ${Object.entries(life)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join(', ')} }`,
  );
  return `${lines.join('\n')}\n`;
}
