// The real llama.cpp `llama-server` and its tiny random-weight model (../shared/real-servers, beside the
// clone; or ACODE_REAL_LLAMA_SERVER = the binary, ACODE_REAL_LLAMA_MODEL = the .gguf). Absent on a
// user's machine: every suite that uses it skips, and says which path it looked for.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../servers/harness.js';
import { freePort } from '../servers/lib/free-port.js';
import { scratchHomeEnv } from '../servers/lib/scratch-home.js';

export interface RealLlama {
  binary: string;
  model: string;
}

function locate(): RealLlama | { missing: string } {
  const binary =
    process.env.ACODE_REAL_LLAMA_SERVER || resolve(repoRoot, '..', 'shared', 'real-servers', 'llama-server');
  const model = process.env.ACODE_REAL_LLAMA_MODEL || join(dirname(binary), 'tiny-random-llama.gguf');
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    return { missing: binary };
  }
  return existsSync(model) ? { binary, model } : { missing: model };
}

/** Requests to a random-weight model: deterministic (temperature 0) and short (it never stops by itself). */
export const BOUNDED = { max_tokens: 8, temperature: 0 } as const;

const found = locate();
export const realLlama: RealLlama | null = 'missing' in found ? null : found;
/** Why the real-server tests skip, for describe titles and the console. */
export const realLlamaSkipReason =
  'missing' in found
    ? `real llama-server tests skipped: ${found.missing} is missing (set ACODE_REAL_LLAMA_SERVER to a llama-server binary)`
    : '';
if (realLlamaSkipReason) console.warn(`SKIPPED ${realLlamaSkipReason}`);

/**
 * The args acode and the tests start it with: a small context, and one thread. With its default (one
 * per core) on a loaded 2-core machine, the threads wait on each other at every layer: 16 tokens took
 * 2.6 s where one thread took 0.17 s (load average 21).
 */
export function realLlamaArgs(): string[] {
  return ['-c', '2048', '-t', '1'];
}

/** The model id the server serves (the file name unless --alias), read from /v1/models. */
export async function servedModel(url: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(`${url}/v1/models`, { signal: signal ?? AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { data?: Array<{ id?: unknown }> };
  const id = body.data?.[0]?.id;
  if (typeof id !== 'string') throw new Error(`${url}/v1/models lists no model: ${JSON.stringify(body)}`);
  return id;
}

export interface RunningLlama {
  url: string;
  model: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts the binary directly (not through acode) for the adapter and conformance suites; waits for /health 200. */
export async function startRealLlama(): Promise<RunningLlama> {
  if (!realLlama) throw new Error(realLlamaSkipReason);
  const port = await freePort();
  const child = spawn(
    realLlama.binary,
    ['-m', realLlama.model, '--host', '127.0.0.1', '--port', String(port), ...realLlamaArgs()],
    {
      env: { ...process.env, ...scratchHomeEnv() },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString('utf8')).slice(-4_000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !gone) {
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { url, model: await servedModel(url), pid: child.pid!, stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`llama-server on ${url} was not healthy within 60 s:\n${log}`);
}
