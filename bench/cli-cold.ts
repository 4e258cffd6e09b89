// cli-cold: wall time of one `acode` invocation from a cold node process against `node -e 0`.
// `provider status` does not exist yet, so this measures `provider list --json` (config load, commander,
// JSON output): the nearest command that reads the config and prints the providers.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { figure, median, note, nowMs, tempDir } from './lib.js';

const RUNS = Number(process.env.ACODE_BENCH_CLI_RUNS ?? 15);
const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export const CLI_COLD_ARGS = ['provider', 'list', '--json'];

function timed(args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
  const t = nowMs();
  execFileSync(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  return nowMs() - t;
}

export async function benchCliCold(): Promise<string[]> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with \`npx tsc -p tsconfig.json\``);
  const home = tempDir('cli');
  const env = { PATH: process.env.PATH ?? '', HOME: home.dir, ACODE_STATE_DIR: home.dir };
  try {
    timed([MAIN, ...CLI_COLD_ARGS], home.dir, env); // warm the OS file cache, as a second run in a shell would
    const cli: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      cli.push(timed([MAIN, ...CLI_COLD_ARGS], home.dir, env));
      bare.push(timed(['-e', '0'], home.dir, env));
    }
    note(`cli-cold: \`node dist/cli/main.js ${CLI_COLD_ARGS.join(' ')}\` vs \`node -e 0\`, median of ${RUNS} each (goal ratio <= 2.5)`);
    return [figure('cli-cold', median(cli), 'ms', median(bare))];
  } finally {
    home.remove();
  }
}
