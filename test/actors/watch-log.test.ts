// watchLog on a real log file, its clock simulated: it reads this run's output only (from the pid file's
// offset), reports a tqdm bar still being redrawn (no newline yet), each change once, and stops on cleanup.
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SimulatedClock } from 'xstate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logFilePath, resolveDeps, type ActorEvent } from '../../actors/index.js';
import { writePidFile } from '../../actors/state-dir.js';
import { LOG_POLL_MS, watchLog } from '../../actors/watch-log.js';
import { removeDir, serviceRef, tempStateDir } from './helpers.js';
import { until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

let stateDir: string;
beforeEach(async () => {
  stateDir = await tempStateDir();
});
afterEach(async () => {
  await removeDir(stateDir);
});

const shards = (n: number) =>
  `\rLoading safetensors checkpoint shards: ${String(n * 25).padStart(3)}% Completed | ${n}/4 [00:0${n}<00:0${4 - n},  1.1s/it]`;

describe('watchLog', () => {
  it("sends LOAD_PROGRESS for this run's lines only, a bar mid-redraw included, each change once", async () => {
    const ref = serviceRef(providerConfig('vllm', 8000), stateDir);
    const file = logFilePath(stateDir, ref.provider);
    await mkdir(dirname(file), { recursive: true });
    // The previous run's last words: finished shards. This run starts after them.
    const previous = `${shards(4)}\nINFO 03-13 08:57:28 [core.py:210] init engine (profile, create kv cache, warmup model) took 9.00 seconds\n`;
    await writeFile(file, previous);
    // A pid file of ours naming a live pid (this test process) and the offset where the run starts.
    await writePidFile(stateDir, ref.provider, {
      pid: process.pid,
      binary: process.execPath,
      logOffset: Buffer.byteLength(previous),
    });

    const clock = new SimulatedClock();
    const events: ActorEvent[] = [];
    const stop = watchLog({ ...ref, pid: process.pid }, resolveDeps({ clock }), (e) => events.push(e));
    // Moves the simulated clock until the file reads have produced `n` events.
    const look = (n: number) =>
      until(
        async () => {
          clock.increment(LOG_POLL_MS);
          await new Promise((r) => setTimeout(r, 5));
          return events.length >= n;
        },
        { what: `${n} LOAD_PROGRESS events`, timeoutMs: 5_000 },
      );

    // One write, so a look cannot fall between the milestone and the bar.
    await appendFile(
      file,
      `(EngineCore_DP0 pid=7) INFO 03-13 08:55:31 [gpu_model_runner.py:1595] Starting to load model m...\n${shards(0)}${shards(1)}`,
    );
    await look(1);
    expect(events).toEqual([
      { type: 'LOAD_PROGRESS', phase: 'load', percent: 25, text: 'Loading safetensors checkpoint shards 1/4' },
    ]);

    // Looks that find nothing new send nothing: the next event is the next redraw, not a repeat.
    for (let i = 0; i < 4; i++) clock.increment(LOG_POLL_MS);
    await appendFile(file, shards(2));
    await look(2);
    expect(events.map((e) => (e.type === 'LOAD_PROGRESS' ? e.percent : null))).toEqual([25, 50]);

    stop();
    await appendFile(file, `${shards(3)}\n`);
    // Stopped: no further look (a bounded wait for something that must not happen).
    for (let i = 0; i < 4; i++) clock.increment(LOG_POLL_MS);
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toHaveLength(2);
  });
});
