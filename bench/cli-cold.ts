// cli-cold: wall time of one `acode` invocation from a cold node process against `node -e 0`.
// `acode provider status --json` (config, registry, one detect per provider) when the build has it;
// otherwise `provider list --json`, the nearest command that reads the config and prints providers.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure, median, note, nowMs, tempDir } from './lib.js';

const RUNS = Number(process.env.ACODE_BENCH_CLI_RUNS ?? 15);
const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

// A project as a user has one: the config is read, validated and resolved on every call. Nothing listens
// on these ports, so each detect is one refused connection.
const CONFIG = [
  'fallback: [ollama, llamacpp]',
  'providers:',
  '  active: vllm',
  '  ollama:',
  '    model: "llama3.2:latest"',
  '    port: 29434',
  '    lifecycle: { mode: managed, start_timeout_seconds: 30, health_check_interval_seconds: 60, stop_on_exit: false }',
  '  vllm:',
  '    model: "meta-llama/Llama-2-7b-hf"',
  '    port: 29400',
  '    lifecycle: { mode: managed, model_load_timeout_seconds: 300, max_restarts: 3, restart_window_seconds: 300 }',
  '    gpu: { memory_utilization: 0.9, tensor_parallel_size: 1 }',
  '  llamacpp:',
  '    model: /models/qwen2.5-coder-7b-instruct-q4_k_m.gguf',
  '    port: 29480',
  '    lifecycle: { mode: monitored }',
  '',
].join('\n');

const PREFERRED = ['provider', 'status', '--json'];
const FALLBACK = ['provider', 'list', '--json'];

function timed(args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
  const t = nowMs();
  execFileSync(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  return nowMs() - t;
}

export async function benchCliCold(): Promise<string[]> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with \`npx tsc -p tsconfig.json\``);
  const home = tempDir('cli');
  mkdirSync(join(home.dir, '.agent'));
  writeFileSync(join(home.dir, '.agent', 'config.yml'), CONFIG);
  const env = { PATH: process.env.PATH ?? '', HOME: home.dir, ACODE_STATE_DIR: home.dir };
  try {
    let args = PREFERRED;
    try {
      timed([MAIN, ...PREFERRED], home.dir, env); // also warms the OS file cache, as a second run in a shell would
    } catch {
      args = FALLBACK;
      timed([MAIN, ...FALLBACK], home.dir, env);
    }
    const cli: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      cli.push(timed([MAIN, ...args], home.dir, env));
      bare.push(timed(['-e', '0'], home.dir, env));
    }
    note(
      `cli-cold: \`node dist/cli/main.js ${args.join(' ')}\` vs \`node -e 0\`, median of ${RUNS} each (goal ratio <= 2.5); with .agent/config.yml naming three providers, none running`,
    );
    return [figure('cli-cold', median(cli), 'ms', median(bare))];
  } finally {
    home.remove();
  }
}
