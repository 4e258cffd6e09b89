// `acode demo` from start to clean stop: a sandbox, one registry over the stand-ins, the steps, and a
// final check that every process it started is gone and its temporary directory is removed.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { InspectionEvent } from 'xstate';
import { AcodeError, loadConfig, type Env } from '../../config/index.js';
import { openRegistry } from '../../machines/index.js';
import { silentLogger } from '../../log/index.js';
import type { Output } from '../output/index.js';
import { createNarrator } from './narrator.js';
import {
  coldStart,
  killMidStream,
  portConflict,
  showFrame,
  streamAnswer,
  watchProgress,
  type DemoContext,
} from './steps.js';
import { createWorkspace, DEFAULT_KNOBS, type DemoKnobs } from './workspace.js';

export interface DemoOptions {
  stdout: Output;
  env: Env;
  signal: AbortSignal;
  inspect?: (event: InspectionEvent) => void;
  knobs?: Partial<DemoKnobs>;
}

/** Alive and not a zombie (a zombie has exited; its parent has only not reaped it yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return existsSync(`/proc/${pid}`);
  }
}

// A stop we asked for ends within the stop grace; this bounds the check, it is not a synchronisation sleep.
async function gone(pids: Iterable<number>, timeoutMs: number, signal: AbortSignal): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = [...pids].filter(isAlive);
    if (left.length === 0 || Date.now() > deadline || signal.aborted) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const { stdout, signal } = options;
  const env = options.env;
  const say = createNarrator(stdout, env);
  const t0 = performance.now();
  const ws = await createWorkspace(env, { ...DEFAULT_KNOBS, ...options.knobs }, { signal });
  // The reader may go away after any line (a pipe into head): from here on the workspace is removed
  // whatever happens, before anything was started as well as after.
  let config;
  try {
    say.line('acode demo: the servers below are STAND-INS from test/servers/ (small Node programs that speak the');
    say.line(
      'Ollama and OpenAI-compatible wire protocols like vLLM, Ollama and llama-server), not real inference servers.',
    );
    say.line(`  temporary directory: ${ws.root}`);
    say.line(
      `  config: ${join(ws.projectDir, '.agent', 'config.yml')} (vllm on 127.0.0.1:${ws.ports.vllm}, ollama on 127.0.0.1:${ws.ports.ollama}, llamacpp on 127.0.0.1:${ws.ports.conflict})`,
    );
    say.line(`  stand-in binaries: ${ws.binDir}`);
    config = await loadConfig({ cwd: ws.projectDir, env: ws.env }, { signal });
  } catch (error) {
    await ws.remove();
    throw error;
  }
  // The sandbox leaves nothing behind: no lines about its stand-ins in the user's own acode.log either.
  const registry = openRegistry({
    config,
    env: ws.env,
    stateDir: ws.stateDir,
    actorDeps: { log: silentLogger },
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  const ctx: DemoContext = { registry, say, signal, pids: new Set() };
  const unwatch = watchProgress(ctx);
  let removed = false;
  // Last resort when this process dies without unwinding (a closed stdout pipe, an uncaught error):
  // the stand-ins it started must not outlive it.
  const killLeftovers = () => {
    for (const pid of ctx.pids)
      if (isAlive(pid))
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone meanwhile */
        }
    if (!removed) rmSync(ws.root, { recursive: true, force: true });
  };
  process.once('exit', killLeftovers);
  let disposed = false;
  try {
    say.step(1, 'cold start of the vLLM stand-in (acode detects nothing on the port, starts it, waits for /health)');
    await coldStart(ctx, 'vllm');
    await showFrame(ctx);

    say.step(2, 'Ollama stand-in: start, then pull the missing model with progress');
    await coldStart(ctx, 'ollama');
    await showFrame(ctx);

    say.step(3, 'an answer streamed from vLLM');
    const reference = await streamAnswer(ctx, 'vllm');

    say.step(4, 'the server is killed mid-answer; acode restarts it and retries the request');
    await killMidStream(ctx, 'vllm', reference.text);
    await showFrame(ctx);

    say.step(5, 'a port conflict, explained');
    await portConflict(ctx, 'llamacpp', ws.ports.conflict);
    await showFrame(ctx);

    say.step(6, 'clean stop');
    unwatch();
    await registry.dispose({ signal });
    disposed = true;
    const left = await gone(ctx.pids, 15_000, signal);
    if (left.length > 0) {
      throw new AcodeError(
        'INTERNAL',
        `Stand-in processes still running after the stop: ${left.join(', ')}.`,
        "This is a bug in acode's stop; report it.",
      );
    }
    say.line(`  stopped every stand-in acode started; none is left running (pids ${[...ctx.pids].join(', ')})`);
  } finally {
    unwatch();
    if (!disposed) await registry.dispose().catch(() => undefined);
    // After a failure the stop above may not have happened: never leave a stand-in we started behind.
    killLeftovers();
    process.removeListener('exit', killLeftovers);
    await ws.remove();
    removed = true;
  }
  say.line(`  removed ${ws.root}; nothing was written outside it`);
  say.line(`\ndemo finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
