import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, type CommandRegistrar } from '../../cli/run.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built binary with a clean environment (only PATH, HOME and what the test adds). */
export function runBuilt(args: string[], { cwd, env = {} }: { cwd: string; env?: Record<string, string> }): Promise<RunResult> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with \`npx tsc -p tsconfig.json\``);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, ACODE_STATE_DIR: join(cwd, '.state'), ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Runs the CLI in-process with captured output. */
export async function runInProcess(
  args: string[],
  { cwd, env = {}, commands, signal }: { cwd: string; env?: Record<string, string>; commands?: readonly CommandRegistrar[]; signal?: AbortSignal },
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'acode', ...args], {
    cwd,
    env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    ...(commands === undefined ? {} : { commands }),
    ...(signal === undefined ? {} : { signal }),
  });
  return { code, stdout, stderr };
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'acode-cli-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
