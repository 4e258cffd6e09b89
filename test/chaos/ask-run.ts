// Running `acode ask` (the built binary, dist/cli/main.js) as a real process for the chaos suite.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAIN, standInEnv } from './helpers.js';

export interface AskResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json?: { text: string; retries: number; finishReason: string };
}

/** A project dir whose config has one managed provider on `port`, and its own state dir. */
export async function askProject(dir: string, kind: 'vllm' | 'llamacpp', model: string, port: number): Promise<void> {
  await mkdir(join(dir, '.agent'), { recursive: true });
  await writeFile(
    join(dir, '.agent', 'config.yml'),
    [
      'providers:',
      `  active: ${kind}`,
      `  ${kind}:`,
      `    model: ${model}`,
      `    port: ${port}`,
      // The chaos runs crash the server on purpose, many times a minute.
      '    lifecycle: { mode: managed, start_timeout_seconds: 30, max_restarts: 20, restart_window_seconds: 60, stop_on_exit: false }',
      '',
    ].join('\n'),
  );
}

/** `acode ask --json <prompt>` in `dir`; killed (and reported) past `boundMs` so nothing hangs the suite. */
export function ask(
  dir: string,
  prompt: string,
  extraEnv: Record<string, string>,
  boundMs = 60_000,
): Promise<AskResult> {
  return new Promise((done) => {
    const env = { ...standInEnv(extraEnv), HOME: dir, ACODE_STATE_DIR: join(dir, 'state'), HF_HOME: join(dir, 'hf') };
    const child = spawn(process.execPath, [MAIN, 'ask', '--json', prompt], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      stderr += `\n(chaos: ask still running after ${boundMs} ms; killed)`;
      child.kill('SIGKILL');
    }, boundMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      let json: AskResult['json'];
      try {
        json = JSON.parse(stdout) as AskResult['json'];
      } catch {
        json = undefined;
      }
      done({ code, stdout, stderr, ...(json ? { json } : {}) });
    });
  });
}
