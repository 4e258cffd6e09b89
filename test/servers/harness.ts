// Starts the stand-in servers as real child processes (through the bin shims, exactly as an orchestrator
// would spawn the real binaries) and waits until each answers its readiness route.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serversSnapshot } from './harness-dist.js';
import { freePort } from './lib/free-port.js';
import { scratchHomeEnv } from './lib/scratch-home.js';
import { fileURLToPath } from 'node:url';
import { knobEnv, KNOB_ENV, type Knobs } from './lib/knobs.js';
import { chatPrompt, plan, type ChatMessageLike, type OutputShape } from './lib/tokens.js';

export { KNOB_ENV, freePort, type Knobs };

export type ServerKind = 'ollama' | 'vllm' | 'llama-server';

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith(join('dist', 'test', 'servers'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`harness: no package.json above ${start}`);
    dir = up;
  }
  return dir;
}

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot: string = findRepoRoot(here);
/** Absolute path of test/servers/bin: put it first on PATH to shadow the real binaries. */
export const serversBinDir: string = join(repoRoot, 'test', 'servers', 'bin');

/**
 * A model file for llama-server started through acode, which checks that -m names a file before it
 * spawns (as the real server needs one). The stand-in only needs it to exist.
 */
export const STAGED_GGUF: string = join(repoRoot, 'test', 'servers', 'models', 'qwen2.5-0.5b-instruct-q4_k_m.gguf');

/** Default model each kind is started with when `model` is not given. */
const DEFAULT_TEST_MODEL: Record<ServerKind, string> = {
  ollama: 'llama3.2:latest',
  vllm: 'meta-llama/Llama-2-7b-hf',
  'llama-server': 'qwen2.5-0.5b-instruct-q4_k_m.gguf',
};

const READY_PATH: Record<ServerKind, string> = { ollama: '/', vllm: '/health', 'llama-server': '/health' };

/** Env that makes `ollama` / `vllm` / `llama-server` resolve to the stand-ins (for an orchestrator under test). */
export function serversEnv(): { PATH: string; ACODE_TEST_SERVERS_DIR: string } {
  return { PATH: `${serversBinDir}:${process.env.PATH ?? ''}`, ACODE_TEST_SERVERS_DIR: serversSnapshot(repoRoot) };
}

export interface StartOptions {
  port?: number;
  /** ollama: pre-pulled (ACODE_FAKE_PULLED); vllm: the `serve` model; llama-server: `-m`. */
  model?: string;
  /** Extra env for the child (wins over everything the harness sets). */
  env?: Record<string, string>;
  /** Typed knobs, turned into ACODE_FAKE_* env vars. */
  knobs?: Partial<Knobs>;
  /** Extra argv appended after the harness's own. */
  args?: string[];
  signal?: AbortSignal;
  /** false: resolve once spawned, without waiting for readiness (for hang / exit-at-start knobs). */
  waitReady?: boolean;
  readyTimeoutMs?: number;
  /** SIGTERM grace before stop() escalates to SIGKILL. */
  stopGraceMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TestServer {
  kind: ServerKind;
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** The model the server was started with (see DEFAULT_TEST_MODEL). */
  model: string;
  /** Scratch dir used as HOME (and OLLAMA_MODELS / HF_HOME unless overridden); removed by stop(). */
  home: string;
  /** stdout and stderr so far, interleaved in arrival order. */
  logs(): string;
  exited: Promise<ExitInfo>;
  /** Resolves when the logs match `pattern` (bounded by timeoutMs, default 10 s). */
  waitForLog(pattern: RegExp, opts?: { timeoutMs?: number }): Promise<void>;
  /** SIGTERM, wait up to stopGraceMs, then SIGKILL; removes the scratch dir. */
  stop(): Promise<ExitInfo>;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the ready route answers 200; rejects if the process exits or the bound passes (default 15 s). */
  ready(opts?: { timeoutMs?: number | undefined; signal?: AbortSignal | undefined }): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

function argsFor(kind: ServerKind, model: string, port: number): string[] {
  if (kind === 'ollama') return ['serve'];
  if (kind === 'vllm') return ['serve', model, '--host', '127.0.0.1', '--port', String(port)];
  return ['-m', model, '--host', '127.0.0.1', '--port', String(port)];
}

async function probe(url: string, signal: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function startTestServer(kind: ServerKind, opts: StartOptions = {}): Promise<TestServer> {
  const port = opts.port ?? (await freePort());
  const model = opts.model ?? DEFAULT_TEST_MODEL[kind];
  const home = mkdtempSync(join(tmpdir(), `acode-fake-${kind}-`));
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ACODE_FAKE_')));
  const env: Record<string, string | undefined> = {
    ...inherited,
    ...serversEnv(),
    ...scratchHomeEnv(home),
    ...(kind === 'ollama' ? { OLLAMA_HOST: `127.0.0.1:${port}`, ACODE_FAKE_PULLED: opts.model ?? '' } : {}),
    ...knobEnv(opts.knobs ?? {}),
    ...opts.env,
  };
  const child = spawn(join(serversBinDir, kind), [...argsFor(kind, model, port), ...(opts.args ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  // 'close' (not 'exit'): resolves only after stdout/stderr are drained, so logs() holds the last lines.
  const exited = new Promise<ExitInfo>((resolve) =>
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  let done = false;
  void exited.then(() => (done = true));

  const kill = (signal: NodeJS.Signals = 'SIGKILL'): void => {
    if (!done) child.kill(signal);
  };
  opts.signal?.addEventListener('abort', () => kill('SIGKILL'), { once: true });
  const url = `http://127.0.0.1:${port}`;
  const server: TestServer = {
    kind,
    url,
    port,
    pid: child.pid ?? -1,
    child,
    model,
    home,
    exited,
    kill,
    logs: () => output,
    waitForLog: (pattern, o = {}) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(output)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`harness: ${kind} logs never matched ${String(pattern)}:\n${output}`));
        }, o.timeoutMs ?? 10_000);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
    ready: async (o = {}) => {
      const deadline = Date.now() + (o.timeoutMs ?? 15_000);
      const signal = o.signal ?? new AbortController().signal;
      while (!(await probe(`${url}${READY_PATH[kind]}`, signal))) {
        if (done || signal.aborted || Date.now() > deadline) {
          const info = done ? await exited : null;
          const why = signal.aborted
            ? 'aborted'
            : info
              ? `exited (code ${info.code}, signal ${info.signal})`
              : 'not ready in time';
          throw new Error(`harness: ${kind} ${why} before ${READY_PATH[kind]} answered 200. Logs:\n${output}`);
        }
        // Poll interval while waiting on a condition, bounded by the deadline above.
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: async () => {
      if (!done) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => kill('SIGKILL'), opts.stopGraceMs ?? 3_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(home, { recursive: true, force: true });
      return exited;
    },
  };
  if (opts.waitReady === false) return server;
  try {
    await server.ready({ timeoutMs: opts.readyTimeoutMs, signal: opts.signal });
  } catch (err) {
    kill('SIGKILL');
    await exited;
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
  return server;
}

/**
 * The exact assistant text a fake produces for a chat: `model` is the generation key (Ollama: the full
 * `name:tag`; vLLM: the `serve` model argument; llama-server: the `-m` argument), `tokens` the
 * ACODE_FAKE_TOKENS setting if any. `prefix` = a trailing assistant message being continued.
 */
export function expectedChat(args: {
  model: string;
  messages: ChatMessageLike[];
  seed?: number;
  maxTokens?: number;
  tokens?: number;
  schema?: OutputShape;
  prefix?: string;
}): { text: string; pieces: string[]; finishReason: string } {
  const p = plan(
    { model: args.model, prompt: chatPrompt(args.messages), seed: args.seed },
    args.schema ?? { kind: 'text' },
    { prefix: args.prefix, maxTokens: args.maxTokens ?? null, fixedCount: args.tokens ?? null },
  );
  return { text: p.pieces.join(''), pieces: p.pieces, finishReason: p.finishReason };
}
