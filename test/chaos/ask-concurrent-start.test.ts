// Two `acode ask` processes starting the same (stopped) provider at once: 50 runs, both answer, and
// exactly one server process exists afterwards (counted by a /proc scan of the stand-in's command
// line, and matching the pid file). The server is killed between runs so every run races again.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedChat, freePort } from '../servers/harness.js';
import { ask, askProject } from './ask-run.js';
import { pidFilePath } from './chaos-deps.js';
import { PidLedger, findProcesses, requireBuilt } from './helpers.js';
import { pidAlive, until } from '../support/processes.js';
import { tempDir } from '../support/temp-dir.js';
import { MODELS, providerConfig } from '../support/providers.js';

const RUNS = 50;
const MODEL = MODELS.vllm;
const TOKENS = { ACODE_FAKE_TOKENS: '6' };

const ledger = new PidLedger();
let work: { dir: string; cleanup: () => Promise<void> };
let port: number;
beforeAll(async () => {
  requireBuilt();
  work = await tempDir('race');
  port = await freePort();
  await askProject(work.dir, 'vllm', MODEL, port);
});
afterAll(async () => {
  for (const pid of findProcesses('servers/vllm.js', `--port ${port}`)) ledger.add(pid);
  ledger.killAll();
  await work.cleanup();
});

const servers = (): number[] => findProcesses('servers/vllm.js', `--port ${port}`);

describe('chaos: two acode ask processes start the same provider at once', () => {
  it(`${RUNS} runs: both answer, exactly one server process`, async () => {
    const failures: string[] = [];
    const counts = new Map<number, number>();
    for (let i = 0; i < RUNS; i++) {
      const prompts = [`race ${i} a`, `race ${i} b`];
      const results = await Promise.all(prompts.map((p) => ask(work.dir, p, TOKENS)));
      const live = servers();
      live.forEach((pid) => ledger.add(pid));
      counts.set(live.length, (counts.get(live.length) ?? 0) + 1);
      const pidFile = pidFilePath(join(work.dir, 'state'), providerConfig('vllm', port));
      const recorded = existsSync(pidFile) ? (JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid : null;
      results.forEach((r, j) => {
        const expected = expectedChat({
          model: MODEL,
          messages: [{ role: 'user', content: prompts[j]! }],
          tokens: 6,
        }).text;
        if (r.code !== 0 || r.json?.text !== expected)
          failures.push(`run ${i}/${j}: exit ${r.code}, text ${JSON.stringify(r.json?.text)}\n${r.stderr.slice(-600)}`);
      });
      if (live.length !== 1 || live[0] !== recorded)
        failures.push(`run ${i}: server processes ${JSON.stringify(live)}, pid file ${recorded}`);
      // Next run starts from nothing again.
      for (const pid of live) process.kill(pid, 'SIGKILL');
      await until(() => live.every((pid) => !pidAlive(pid)), {
        what: 'the killed server to be gone',
        timeoutMs: 20_000,
      });
    }
    console.log(
      `chaos: concurrent-start ${counts.get(1) ?? 0}/${RUNS} runs with exactly one server process ` +
        `(process counts: ${[...counts].map(([n, c]) => `${n}→${c}`).join(', ')}), ${RUNS * 2 - failures.filter((f) => /\/\d:/.test(f)).length}/${RUNS * 2} answers complete`,
    );
    expect(failures).toEqual([]);
  }, 300_000);
});
