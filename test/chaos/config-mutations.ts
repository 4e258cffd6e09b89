// Seeded random mutations of a valid .agent/config.yml for the config fuzz: deleted lines, swapped
// types, garbage bytes, tabs, huge numbers, unknown keys, and a few YAML-specific traps.
import { seededRandom } from '../servers/lib/tokens.js';

export const VALID_CONFIG = `# acode config used by the chaos fuzz
mode: local-only
fallback: [ollama, llamacpp]
providers:
  active: vllm
  ollama:
    model: "llama3.2:latest"
    lifecycle: { mode: managed, start_timeout_seconds: 30, health_check_interval_seconds: 60, stop_on_exit: false }
  vllm:
    model: "meta-llama/Llama-2-7b-hf"
    port: 8000
    host: 127.0.0.1
    args: ["--max-model-len", "4096"]
    lifecycle:
      mode: managed
      start_timeout_seconds: 30
      health_check_interval_seconds: 60
      model_load_timeout_seconds: 300
      stop_on_exit: false
      max_restarts: 3
      restart_window_seconds: 60
    gpu: { memory_utilization: 0.9, tensor_parallel_size: 1 }
  llamacpp:
    model: qwen2.5-0.5b-instruct-q4_k_m.gguf
    port: 8080
    binary: llama-server
  lab:
    type: openai-compatible
    base_url: http://127.0.0.1:9000/v1
    model: local
    lifecycle: { mode: monitored }
`;

// seededRandom (mulberry32): the same on every machine, so a failing seed can be replayed.
const rng = seededRandom;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: () => number, n: number): number => Math.floor(r() * n);

const SWAPS = [
  '[1, 2]',
  '{ a: 1 }',
  '"text"',
  'true',
  'null',
  '~',
  '12',
  '-1',
  '0.5',
  '""',
  '[]',
  '{}',
  'yes',
  "'8000'",
  '0x1F40',
  '!!binary aGVsbG8=',
];
const HUGE = [
  '1e309',
  '99999999999999999999999999',
  '-99999999999999999999',
  '.inf',
  '-.inf',
  '.nan',
  '1.7976931348623157e308',
  '0.000000000000000000001',
  '65536',
  '-0',
];
const KEYS = [
  'unknwn_key: 1',
  'portt: 8000',
  'lifecycle_mode: managed',
  'api_key: sk-test-1234567890abcdef',
  'hf_token: hf_abcdefghijklmnop',
  'token: abcdef123456',
  'model: [a, b]',
  'x: &a [1, 2]',
  'y: *a',
  '<<: { port: 1 }',
  'gpu: { memory_utilization: 2 }',
  'mode: turbo',
  'type: grpc',
  'base_url: ftp://x',
  'fallback: vllm',
];

type Mutator = (lines: string[], r: () => number) => string[];

const MUTATORS: Record<string, Mutator> = {
  deleteLine: (l, r) => (l.splice(int(r, l.length), 1), l),
  swapType: (l, r) => {
    const i = int(r, l.length);
    l[i] = l[i]!.replace(/:\s*(.+)$/, `: ${pick(r, SWAPS)}`);
    return l;
  },
  hugeNumber: (l, r) => {
    const i = int(r, l.length);
    l[i] = /\d/.test(l[i]!)
      ? l[i]!.replace(/-?\d+(\.\d+)?/, pick(r, HUGE))
      : l[i]!.replace(/:\s*(.+)$/, `: ${pick(r, HUGE)}`);
    return l;
  },
  tabs: (l, r) => {
    const i = int(r, l.length);
    l[i] = r() < 0.5 ? l[i]!.replace(/^( +)/, '\t') : l[i]!.replace(/ /, '\t');
    return l;
  },
  unknownKey: (l, r) => {
    const i = int(r, l.length + 1);
    l.splice(i, 0, `${' '.repeat(pick(r, [0, 2, 4, 6, 3]))}${pick(r, KEYS)}`);
    return l;
  },
  duplicateLine: (l, r) => {
    const i = int(r, l.length);
    l.splice(i, 0, l[i]!);
    return l;
  },
  indent: (l, r) => {
    const i = int(r, l.length);
    l[i] = r() < 0.5 ? ` ${l[i]}` : l[i]!.replace(/^ /, '');
    return l;
  },
  truncate: (l, r) => {
    const text = l.join('\n');
    return text.slice(0, int(r, text.length)).split('\n');
  },
  deepNesting: (l, r) => {
    const depth = 10 + int(r, 300);
    l.splice(int(r, l.length + 1), 0, `    args: ${'['.repeat(depth)}1${']'.repeat(depth)}`);
    return l;
  },
  longValue: (l, r) => {
    const i = int(r, l.length);
    l[i] = l[i]!.replace(/:\s*(.+)$/, `: "${'x'.repeat(1 + int(r, 100_000))}"`);
    return l;
  },
};

const GARBAGE_BYTES = [
  0x00, 0x07, 0x08, 0x0b, 0x0c, 0x1b, 0x7f, 0x80, 0xc3, 0xff, 0xfe, 0xef, 0xbb, 0xbf, 0x22, 0x27, 0x3a, 0x2d, 0x7b,
  0x5b, 0x26, 0x2a, 0x21, 0x25, 0x40, 0x60,
];

/** Inserts 1–16 bytes (control characters, invalid UTF-8, YAML indicators) at a random offset. */
function garbage(bytes: Uint8Array, r: () => number): Uint8Array {
  const at = int(r, bytes.length + 1);
  const junk = Buffer.from(
    Array.from({ length: 1 + int(r, 16) }, () => (r() < 0.7 ? pick(r, GARBAGE_BYTES) : int(r, 256))),
  );
  return Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
}

export interface Mutation {
  seed: number;
  applied: string[];
  bytes: Uint8Array;
}

/** 1–3 mutations of the valid config, chosen and placed by `seed`. */
export function mutate(seed: number): Mutation {
  const r = rng(seed);
  const names = [...Object.keys(MUTATORS), 'garbageBytes'];
  const applied = Array.from({ length: 1 + int(r, 3) }, () => pick(r, names));
  let lines = VALID_CONFIG.split('\n');
  for (const name of applied.filter((n) => n !== 'garbageBytes')) lines = MUTATORS[name]!(lines, r);
  let bytes: Uint8Array = Buffer.from(lines.join('\n'), 'utf8');
  for (const name of applied) if (name === 'garbageBytes') bytes = garbage(bytes, r);
  return { seed, applied, bytes };
}
