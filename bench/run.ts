// `npm run bench`: every figure, one line each on stdout (`name  value unit  baseline unit  ratio`),
// with notes (goals, spreads, settings) on stderr. Build first: `npx tsc -p tsconfig.json`.
// Flags: --only a,b (figure groups), --footprint-seconds N (default 60).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchServiceCalls } from './service-calls.js';
import { benchCliCold } from './cli-cold.js';
import { benchRecover } from './recover.js';
import { benchFootprint } from './footprint.js';
import { benchScale } from './scale.js';
import { benchHfPull } from './hf-pull.js';
import { benchGateway } from './gateway.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// adapter-stream belongs to the adapters (bench/adapter-stream.ts); it runs as its own process, as written.
function adapterStream(): Promise<string[]> {
  const script = fileURLToPath(new URL('./adapter-stream.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve(out.trim().split('\n').filter(Boolean)) : reject(new Error(`adapter-stream exited ${code}`)),
    );
  });
}

const footprintSeconds = Number(flag('--footprint-seconds') ?? 60);
const groups: Record<string, () => Promise<string[]>> = {
  'service-calls': benchServiceCalls,
  'adapter-stream': adapterStream,
  'cli-cold': benchCliCold,
  recover: benchRecover,
  footprint: () => benchFootprint(footprintSeconds),
  scale: benchScale,
  'hf-pull': benchHfPull,
  gateway: benchGateway,
};
const only = flag('--only')?.split(',');
const started = Date.now();
let failed = 0;
process.stderr.write(`acode bench: node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
for (const [name, run] of Object.entries(groups)) {
  if (only && !only.includes(name)) continue;
  try {
    for (const line of await run()) process.stdout.write(`${line}\n`);
  } catch (error) {
    failed++;
    process.stderr.write(
      `bench ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
}
process.stderr.write(
  `acode bench: done in ${((Date.now() - started) / 1000).toFixed(0)} s${failed ? `, ${failed} group(s) failed` : ''}\n`,
);
process.exitCode = failed ? 1 : 0;
