import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../cli/run.js';
import type { CommandRegistrar } from '../../cli/deps.js';
import { testHubEndpoint } from '../servers/lib/scratch-home.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built binary with a clean environment (only PATH, HOME and what the test adds). */
export function runBuilt(
  args: string[],
  { cwd, env = {} }: { cwd: string; env?: Record<string, string> },
): Promise<RunResult> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with \`npx tsc -p tsconfig.json\``);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      {
        cwd,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: cwd,
          ACODE_STATE_DIR: join(cwd, '.state'),
          HF_ENDPOINT: testHubEndpoint(),
          ...env,
        },
        timeout: 20_000,
      },
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
  {
    cwd,
    env = {},
    commands,
    signal,
  }: { cwd: string; env?: Record<string, string>; commands?: readonly CommandRegistrar[]; signal?: AbortSignal },
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
