// Failure and timing knobs shared by the three stand-in servers. They come from ACODE_FAKE_* env vars so a
// test (or the orchestrator under test) can start the fake exactly like the real binary and still steer it.

export type CrashMode = 'exit' | 'sigkill';
export type HangMode = 'none' | 'all' | 'work' | 'headers';
export type MalformedMode = 'none' | 'garbage' | 'truncated' | 'content-type';
/** nvidia-smi stand-in: `exit` fails like a driver mismatch, `hang` never answers, `lost` reports GPU 0 lost. */
export type GpuFailMode = 'none' | 'exit' | 'hang' | 'lost';

export interface Knobs {
  startupDelayMs: number;
  loadDelayMs: number;
  /** vLLM: log download/load progress through the load and hold the port bound but not listening. */
  loadProgress: boolean;
  exitCodeAtStart: number | null;
  crashAfterTokens: number | null;
  crashAfterRequests: number | null;
  crashMode: CrashMode;
  crashExitCode: number;
  stallAfterTokens: number | null;
  hang: HangMode;
  slowBytesPerSecond: number | null;
  tokenDelayMs: number;
  tokens: number | null;
  malformed: MalformedMode;
  malformedBytes: number;
  pullBytes: number;
  pullBytesPerSecond: number | null;
  pullFailAtPercent: number | null;
  models: string[];
  pulled: string[];
  ignoreSigterm: boolean;
  requestLog: string | null;
  /** nvidia-smi stand-in: how many GPUs it lists. */
  gpuCount: number;
  /** nvidia-smi stand-in: memory.total of each GPU, MiB. */
  gpuMemoryMiB: number;
  /** nvidia-smi stand-in: memory.used of each GPU, MiB (held by `gpuProcesses` when given). */
  gpuUsedMiB: number;
  gpuFail: GpuFailMode;
  /** nvidia-smi stand-in: compute apps on GPU 0 as `pid:name:MiB`. */
  gpuProcesses: string[];
}

/** The exact env var behind each knob: the single source for the README table and the harness. */
export const KNOB_ENV = {
  startupDelayMs: 'ACODE_FAKE_STARTUP_DELAY_MS',
  loadDelayMs: 'ACODE_FAKE_LOAD_DELAY_MS',
  loadProgress: 'ACODE_FAKE_LOAD_PROGRESS',
  exitCodeAtStart: 'ACODE_FAKE_EXIT_CODE',
  crashAfterTokens: 'ACODE_FAKE_CRASH_AFTER_TOKENS',
  crashAfterRequests: 'ACODE_FAKE_CRASH_AFTER_REQUESTS',
  crashMode: 'ACODE_FAKE_CRASH_MODE',
  crashExitCode: 'ACODE_FAKE_CRASH_EXIT_CODE',
  stallAfterTokens: 'ACODE_FAKE_STALL_AFTER_TOKENS',
  hang: 'ACODE_FAKE_HANG',
  slowBytesPerSecond: 'ACODE_FAKE_SLOW_BPS',
  tokenDelayMs: 'ACODE_FAKE_TOKEN_DELAY_MS',
  tokens: 'ACODE_FAKE_TOKENS',
  malformed: 'ACODE_FAKE_MALFORMED',
  malformedBytes: 'ACODE_FAKE_MALFORMED_BYTES',
  pullBytes: 'ACODE_FAKE_PULL_BYTES',
  pullBytesPerSecond: 'ACODE_FAKE_PULL_BPS',
  pullFailAtPercent: 'ACODE_FAKE_PULL_FAIL_AT_PERCENT',
  models: 'ACODE_FAKE_MODELS',
  pulled: 'ACODE_FAKE_PULLED',
  ignoreSigterm: 'ACODE_FAKE_IGNORE_SIGTERM',
  requestLog: 'ACODE_FAKE_REQUEST_LOG',
  gpuCount: 'ACODE_FAKE_GPU_COUNT',
  gpuMemoryMiB: 'ACODE_FAKE_GPU_MEMORY_MIB',
  gpuUsedMiB: 'ACODE_FAKE_GPU_USED_MIB',
  gpuFail: 'ACODE_FAKE_GPU_FAIL',
  gpuProcesses: 'ACODE_FAKE_GPU_PROCESSES',
} as const satisfies Record<keyof Knobs, string>;

export const DEFAULT_MODELS = [
  'llama3.2:latest',
  'qwen2.5:0.5b',
  'nomic-embed-text:latest',
  'meta-llama/Llama-2-7b-hf',
  'Qwen/Qwen2.5-1.5B-Instruct',
  'Qwen/Qwen2.5-0.5B-Instruct',
  'qwen2.5-0.5b-instruct-q4_k_m.gguf',
];

const DEFAULT_KNOBS: Knobs = {
  startupDelayMs: 0,
  loadDelayMs: 0,
  loadProgress: false,
  exitCodeAtStart: null,
  crashAfterTokens: null,
  crashAfterRequests: null,
  crashMode: 'exit',
  crashExitCode: 1,
  stallAfterTokens: null,
  hang: 'none',
  slowBytesPerSecond: null,
  tokenDelayMs: 0,
  tokens: null,
  malformed: 'none',
  malformedBytes: 64,
  pullBytes: 4_000_000,
  pullBytesPerSecond: null,
  pullFailAtPercent: null,
  models: DEFAULT_MODELS,
  pulled: [],
  ignoreSigterm: false,
  requestLog: null,
  gpuCount: 1,
  gpuMemoryMiB: 81_920,
  gpuUsedMiB: 0,
  gpuFail: 'none',
  gpuProcesses: [],
};

export class KnobError extends Error {}

export function int(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new KnobError(`${name}=${raw}: expected an integer >= ${min}`);
  return n;
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new KnobError(`${name}=${raw}: expected one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

function flag(name: string, raw: string): boolean {
  const value = oneOf(name, raw, ['0', '1', 'true', 'false'] as const);
  return value === '1' || value === 'true';
}

export function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Reads every ACODE_FAKE_* var; an unknown name or a bad value throws, so a typo never passes silently. */
export function parseKnobs(env: NodeJS.ProcessEnv): Knobs {
  const known = new Set<string>(Object.values(KNOB_ENV));
  for (const name of Object.keys(env)) {
    if (name.startsWith('ACODE_FAKE_') && !known.has(name)) throw new KnobError(`unknown knob ${name}`);
  }
  const k: Knobs = { ...DEFAULT_KNOBS };
  const get = (key: keyof Knobs): string | undefined => {
    const v = env[KNOB_ENV[key]];
    return v === undefined || v === '' ? undefined : v;
  };
  const v = (key: keyof Knobs): [string, string] | undefined => {
    const raw = get(key);
    return raw === undefined ? undefined : [KNOB_ENV[key], raw];
  };
  let e: [string, string] | undefined;
  if ((e = v('startupDelayMs'))) k.startupDelayMs = int(...e, 0);
  if ((e = v('loadDelayMs'))) k.loadDelayMs = int(...e, 0);
  if ((e = v('loadProgress'))) k.loadProgress = flag(...e);
  if ((e = v('exitCodeAtStart'))) k.exitCodeAtStart = int(...e, 0);
  if ((e = v('crashAfterTokens'))) k.crashAfterTokens = int(...e, 0);
  if ((e = v('crashAfterRequests'))) k.crashAfterRequests = int(...e, 0);
  if ((e = v('crashMode'))) k.crashMode = oneOf(...e, ['exit', 'sigkill'] as const);
  if ((e = v('crashExitCode'))) k.crashExitCode = int(...e, 0);
  if ((e = v('stallAfterTokens'))) k.stallAfterTokens = int(...e, 0);
  if ((e = v('hang'))) k.hang = oneOf(...e, ['none', 'all', 'work', 'headers'] as const);
  if ((e = v('slowBytesPerSecond'))) k.slowBytesPerSecond = int(...e, 1);
  if ((e = v('tokenDelayMs'))) k.tokenDelayMs = int(...e, 0);
  if ((e = v('tokens'))) k.tokens = int(...e, 1);
  if ((e = v('malformed'))) k.malformed = oneOf(...e, ['none', 'garbage', 'truncated', 'content-type'] as const);
  if ((e = v('malformedBytes'))) k.malformedBytes = int(...e, 1);
  if ((e = v('pullBytes'))) k.pullBytes = int(...e, 1);
  if ((e = v('pullBytesPerSecond'))) k.pullBytesPerSecond = int(...e, 1);
  if ((e = v('pullFailAtPercent'))) k.pullFailAtPercent = int(...e, 0);
  if ((e = v('models'))) k.models = list(e[1]);
  if ((e = v('pulled'))) k.pulled = list(e[1]);
  if ((e = v('requestLog'))) k.requestLog = e[1];
  if ((e = v('ignoreSigterm'))) k.ignoreSigterm = flag(...e);
  if ((e = v('gpuCount'))) k.gpuCount = int(...e, 0);
  if ((e = v('gpuMemoryMiB'))) k.gpuMemoryMiB = int(...e, 1);
  if ((e = v('gpuUsedMiB'))) k.gpuUsedMiB = int(...e, 0);
  if ((e = v('gpuFail'))) k.gpuFail = oneOf(...e, ['none', 'exit', 'hang', 'lost'] as const);
  if ((e = v('gpuProcesses'))) k.gpuProcesses = list(e[1]);
  return k;
}

/** Turns typed knob settings into the env vars the fakes read (what a test passes to startTestServer). */
export function knobEnv(settings: Partial<Knobs>): Record<string, string> {
  return settingsEnv(settings, KNOB_ENV);
}

/** Typed settings to env vars through a key → variable table (lists comma-joined, unset left out). */
export function settingsEnv<T extends object>(
  settings: Partial<T>,
  names: Record<keyof T, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings) as [keyof T, unknown][]) {
    if (value === undefined || value === null) continue;
    env[names[key]] = Array.isArray(value)
      ? value.join(',')
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);
  }
  return env;
}
