// Ctrl-C at a random moment of a cold start (`acode ask` of a stopped, managed vLLM stand-in). Two lanes
// side by side: with stop_on_exit: true nothing may be left once acode has exited (no server process,
// no pid file); with stop_on_exit: false a server may stay, but then its pid file names it and a later
// `acode providers stop` stops it. SIGINT goes to the acode process only, as a terminal's Ctrl-C does
// (the server leads its own process group).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../cli/helpers.js';
import { freePort } from '../servers/harness.js';
import { seededRandom } from '../servers/lib/tokens.js';
import { isOurProcess, type PidFile } from './chaos-deps.js';
import { MAIN, PidLedger, findProcesses, requireBuilt, standInEnv } from './helpers.js';
import { tempDir } from '../support/temp-dir.js';
import { MODELS } from '../support/providers.js';
import { writeCache } from '../servers/lib/hf-cache.js';

const RUNS_PER_LANE = 50;
const PROVIDERS_START_RUNS = 10;
// From the `vllm: starting` line: the spawn's lock and detect, the spawn, the pid file, the server's
// boot and its (stretched) model load, healthy, the answer. Half the runs aim at the first tens of ms,
// where the spawn actor is still running (the narrowest and the riskiest moment).
const WINDOW_MS = 700;
const SPAWN_WINDOW_MS = 80;
const SERVER_KNOBS = { ACODE_FAKE_LOAD_DELAY_MS: '300', ACODE_FAKE_TOKENS: '4' };
const BOUND_MS = 30_000;

interface Lane {
  name: 'stop' | 'keep';
  stopOnExit: boolean;
  dir: string;
  port: number;
}
interface Outcome {
  code: number | null;
  stderr: string;
  interruptedAfterMs: number | null;
}

const ledger = new PidLedger();
const lanes: Lane[] = [];
const removals: Array<() => Promise<void>> = [];

beforeAll(async () => {
  requireBuilt();
  for (const [name, stopOnExit] of [
    ['stop', true],
    ['keep', false],
  ] as const) {
    const work = await tempDir(`interrupt-${name}`);
    removals.push(work.cleanup);
    const lane: Lane = { name, stopOnExit, dir: work.dir, port: await freePort() };
    await mkdir(join(lane.dir, '.agent'), { recursive: true });
    await writeFile(
      join(lane.dir, '.agent', 'config.yml'),
      [
        'providers:',
        '  active: vllm',
        '  vllm:',
        `    model: ${MODELS.vllm}`,
        `    port: ${lane.port}`,
        `    lifecycle: { mode: managed, start_timeout_seconds: 30, stop_on_exit: ${stopOnExit} }`,
        '',
      ].join('\n'),
    );
    // The model complete in the lane's hub cache: the start goes straight to the spawn (no download), so
    // the interrupts land on the lock, the spawn and the load, the moments this test is about.
    writeCache({ HF_HOME: join(lane.dir, 'hf') }, MODELS.vllm, { weights: true });
    lanes.push(lane);
  }
});
afterAll(async () => {
  for (const lane of lanes) for (const pid of servers(lane)) ledger.add(pid);
  ledger.killAll();
  for (const remove of removals) await remove();
});

// `vllm` matches the stand-in's sh shim (test/servers/bin/vllm) before it execs node too; the server leads
// its own process group, the shim's short-lived `$(...)` subshells (same command line) do not.
const servers = (lane: Lane): number[] => findProcesses('vllm', `--port ${lane.port}`).filter(leadsItsGroup);

function leadsItsGroup(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pid;
  } catch {
    return false;
  }
}
const env = (lane: Lane): Record<string, string> => ({
  ...standInEnv(SERVER_KNOBS),
  HOME: lane.dir,
  ACODE_STATE_DIR: join(lane.dir, 'state'),
  HF_HOME: join(lane.dir, 'hf'),
});

/** Every pid file in the lane's state dir, whatever it is keyed by. */
function pidFiles(lane: Lane): PidFile[] {
  const run = join(lane.dir, 'state', 'run');
  let names: string[];
  try {
    names = readdirSync(run).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((n) => JSON.parse(readFileSync(join(run, n), 'utf8')) as PidFile);
}

/** How many spawns the lane's server logs record (spawnServer writes one `[acode] ... starting` banner each). */
function spawnBanners(lane: Lane): number {
  const logs = join(lane.dir, 'state', 'logs');
  let names: string[];
  try {
    names = readdirSync(logs);
  } catch {
    return 0;
  }
  return names.reduce(
    (n, name) => n + (readFileSync(join(logs, name), 'utf8').match(/^\[acode\] .* starting /gm)?.length ?? 0),
    0,
  );
}

/** `acode <args>`, SIGINT `delayMs` after it printed `vllm: starting` (unless it finished first). */
function interrupted(lane: Lane, args: string[], delayMs: number): Promise<Outcome> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: lane.dir,
      env: env(lane),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let interruptedAfterMs: number | null = null;
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (timer === undefined && stderr.includes('vllm: starting')) {
        timer = setTimeout(() => {
          interruptedAfterMs = delayMs;
          child.kill('SIGINT');
        }, delayMs);
      }
    });
    const bound = setTimeout(() => {
      stderr += `\n(chaos: acode still running ${BOUND_MS} ms after its start; killed)`;
      child.kill('SIGKILL');
    }, BOUND_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      clearTimeout(bound);
      done({ code, stderr, interruptedAfterMs });
    });
  });
}

interface LaneFigures {
  interrupted: number;
  finished: number;
  spawned: number;
  left: number;
  stoppedLater: number;
  failedRuns: Set<number>;
  failures: string[];
}

async function runLane(lane: Lane, seed: number): Promise<LaneFigures> {
  const random = seededRandom(seed);
  const figures: LaneFigures = {
    interrupted: 0,
    finished: 0,
    spawned: 0,
    left: 0,
    stoppedLater: 0,
    failedRuns: new Set(),
    failures: [],
  };
  for (let i = 0; i < RUNS_PER_LANE; i++) {
    const delayMs = Math.floor(random() * (i % 2 === 0 ? SPAWN_WINDOW_MS : WINDOW_MS));
    const spawnsBefore = spawnBanners(lane);
    const r = await interrupted(lane, ['ask', '--json', `interrupt ${lane.name} ${i}`], delayMs);
    if (spawnBanners(lane) > spawnsBefore) figures.spawned++;
    const fail = (what: string): void => {
      figures.failedRuns.add(i);
      figures.failures.push(
        `${lane.name} run ${i} (SIGINT ${delayMs} ms after starting): ${what}\n${r.stderr.slice(-800)}`,
      );
    };
    if (r.code === 130) figures.interrupted++;
    else if (r.code === 0) figures.finished++;
    else fail(`exit ${r.code}, expected 130 (or 0 if it answered first)`);
    if (/\n\s+at /.test(r.stderr)) fail('a stack trace on stderr');
    // Read right after acode exited: whatever it had to stop must already be gone.
    const live = servers(lane);
    const files = pidFiles(lane);
    live.forEach((pid) => ledger.add(pid));
    if (lane.stopOnExit) {
      if (live.length > 0) fail(`server process(es) ${JSON.stringify(live)} left running`);
      if (files.length > 0) fail(`pid file(s) left: ${JSON.stringify(files.map((f) => f.pid))}`);
    } else if (live.length > 0) {
      figures.left++;
      const recorded = files.find((f) => f.pid === live[0]);
      if (live.length > 1) fail(`${live.length} server processes ${JSON.stringify(live)}`);
      if (!recorded || !(await isOurProcess(recorded)))
        fail(`server ${live[0]} left without a pid file of ours (files: ${JSON.stringify(files)})`);
      // In-process (the same command a later `acode providers stop` runs), which saves a CLI boot per run.
      const stop = await runInProcess(['providers', 'stop', 'vllm'], { cwd: lane.dir, env: env(lane) });
      if (stop.code !== 0 || servers(lane).length > 0)
        fail(
          `\`acode providers stop\` exit ${stop.code}, servers ${JSON.stringify(servers(lane))}: ${stop.stdout}${stop.stderr}`,
        );
      else figures.stoppedLater++;
    } else if (files.length > 0) {
      fail(`no server, but pid file(s) left: ${JSON.stringify(files.map((f) => f.pid))}`);
    }
    // The next run starts cold again, whatever this one left (a pid file may name a server caught mid-exec).
    const recordedOurs: number[] = [];
    for (const f of pidFiles(lane)) if (await isOurProcess(f)) recordedOurs.push(f.pid);
    for (const pid of new Set([...servers(lane), ...recordedOurs])) {
      ledger.add(pid);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  return figures;
}

describe('chaos: Ctrl-C at a random moment of a cold start', () => {
  it(`${RUNS_PER_LANE} runs with stop_on_exit: true leave nothing; ${RUNS_PER_LANE} with false leave a recorded, stoppable server or nothing`, async () => {
    const started = Date.now();
    const [stop, keep] = await Promise.all([runLane(lanes[0]!, 11), runLane(lanes[1]!, 29)]);
    const ok = (f: LaneFigures): number => RUNS_PER_LANE - f.failedRuns.size;
    console.log(
      `chaos: interrupt-start stop_on_exit=true ${ok(stop)}/${RUNS_PER_LANE} left nothing (${stop.spawned} reached the spawn; exit 130×${stop.interrupted}, 0×${stop.finished}); ` +
        `stop_on_exit=false ${ok(keep)}/${RUNS_PER_LANE} ok (${keep.spawned} reached the spawn; exit 130×${keep.interrupted}, 0×${keep.finished}; ${keep.left} servers left, ` +
        `${keep.stoppedLater} of them stopped by \`acode providers stop\`), ${Math.round((Date.now() - started) / 1000)} s, 2 lanes`,
    );
    expect([...stop.failures, ...keep.failures]).toEqual([]);
  }, 600_000);

  // An explicit start outlives acode even with stop_on_exit; one cut short by Ctrl-C did not happen.
  it(`\`acode providers start\` cut short: with stop_on_exit: true nothing is left (${PROVIDERS_START_RUNS} runs)`, async () => {
    const lane = lanes[0]!;
    const random = seededRandom(47);
    const failures: string[] = [];
    let interruptedRuns = 0;
    for (let i = 0; i < PROVIDERS_START_RUNS; i++) {
      const delayMs = Math.floor(random() * WINDOW_MS);
      const r = await interrupted(lane, ['providers', 'start', 'vllm'], delayMs);
      if (r.code === 130) interruptedRuns++;
      const live = servers(lane);
      live.forEach((pid) => ledger.add(pid));
      if (r.code !== 130 && r.code !== 0)
        failures.push(`run ${i} (SIGINT ${delayMs} ms after starting): exit ${r.code}\n${r.stderr.slice(-600)}`);
      if (r.code === 130 && (live.length > 0 || pidFiles(lane).length > 0)) {
        failures.push(
          `run ${i} (SIGINT ${delayMs} ms after starting): servers ${JSON.stringify(live)}, pid files ${JSON.stringify(pidFiles(lane).map((f) => f.pid))}`,
        );
      }
      // A start that finished before the SIGINT leaves its server (by design): stop it for the next run.
      for (const pid of live) process.kill(pid, 'SIGKILL');
      for (const f of pidFiles(lane)) if (await isOurProcess(f)) process.kill(f.pid, 'SIGKILL');
      await runInProcess(['providers', 'stop', 'vllm'], { cwd: lane.dir, env: env(lane) });
    }
    console.log(
      `chaos: interrupt-start providers start (stop_on_exit=true) ${PROVIDERS_START_RUNS - failures.length}/${PROVIDERS_START_RUNS} ok, ${interruptedRuns} interrupted`,
    );
    expect(failures).toEqual([]);
  }, 300_000);
});
