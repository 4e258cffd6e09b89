// Runs the BUILT `acode` (node dist/cli/main.js) as a user would: a temp project with .agent/config.yml,
// a temp ACODE_STATE_DIR and HOME, the stand-in servers first on PATH. Every server the CLI started is
// found through the state directory's pid files and killed after the test, by pid.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serversBinDir } from '../servers/harness.js';

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
  /** Pids of the servers acode recorded as started (state dir pid files) that are still alive. */
  startedPids(): number[];
  /** Kills every server acode started here, then removes the temp dirs. */
  cleanup(): Promise<void>;
}

export async function project(configYaml: string): Promise<Project> {
  const dir = await mkdtemp(join(tmpdir(), 'acode-ask-e2e-'));
  await mkdir(join(dir, '.agent'), { recursive: true });
  await writeFile(join(dir, '.agent', 'config.yml'), configYaml);
  const stateDir = join(dir, 'state');
  const env: Record<string, string> = {
    PATH: `${serversBinDir}${delimiter}${process.env.PATH ?? ''}`,
    HOME: dir,
    ACODE_STATE_DIR: stateDir,
    HF_HOME: join(dir, 'hf'),
  };
  const seen = new Set<number>();
  const startedPids = (): number[] => {
    const run = join(stateDir, 'run');
    if (!existsSync(run)) return [...seen].filter(alive);
    for (const f of readdirSync(run).filter((n) => n.endsWith('.json'))) {
      try {
        const pid = (JSON.parse(readFileSync(join(run, f), 'utf8')) as { pid?: unknown }).pid;
        if (typeof pid === 'number') seen.add(pid);
      } catch {
        // a pid file being rewritten: the next look sees it
      }
    }
    return [...seen].filter(alive);
  };
  return {
    dir, stateDir, env, startedPids,
    acode: (args, opts = {}) => runNode([MAIN, ...args], { cwd: dir, env: { ...env, ...opts.env }, onSpawn: () => startedPids(), ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}) }),
    async cleanup() {
      for (const pid of startedPids()) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

function runNode(args: string[], o: { cwd: string; env: Record<string, string>; stdin?: string; onSpawn?: () => void }): Promise<Run> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with \`npx tsc -p tsconfig.json\``);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); o.onSpawn?.(); });
    // Bounded: a hung CLI fails the test instead of hanging it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.stdin.end(o.stdin ?? '');
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A provider block for the YAML config. */
export function providerYaml(id: string, fields: Record<string, string | number | boolean>, lifecycle: Record<string, string | number | boolean> = {}): string {
  const lines = [`  ${id}:`, ...Object.entries(fields).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)];
  const life = { start_timeout_seconds: 20, ...lifecycle };
  lines.push(`    lifecycle: { ${Object.entries(life).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')} }`);
  return `${lines.join('\n')}\n`;
}
