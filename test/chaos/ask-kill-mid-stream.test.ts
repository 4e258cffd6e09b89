// kill -9 mid-stream during `acode ask`: 100 runs, every answer complete and exactly the server's
// deterministic text, exit 0. Two lanes run side by side, each with one vLLM stand-in that acode
// manages; the crash knob gives every server life 7 tokens (then SIGKILL) and every answer needs 8,
// so each run loses its server mid-answer at least once and must resume on the restarted one.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedChat, freePort } from '../servers/harness.js';
import { ask, askProject } from './ask-run.js';
import { logFilePath, pidFilePath } from './chaos-deps.js';
import { PidLedger, findProcesses, requireBuilt } from './helpers.js';
import { tempDir } from '../support/temp-dir.js';
import { MODELS, providerConfig } from '../support/providers.js';

const RUNS = 100;
const LANES = 2;
const TOKENS = 8;
const KNOBS = {
  ACODE_FAKE_TOKENS: String(TOKENS),
  ACODE_FAKE_CRASH_AFTER_TOKENS: String(TOKENS - 1),
  ACODE_FAKE_CRASH_MODE: 'sigkill',
};
const MODEL = MODELS.vllm;

const ledger = new PidLedger();
const dirs: { dir: string; cleanup: () => Promise<void> }[] = [];
const ports: number[] = [];
beforeAll(() => requireBuilt());
afterAll(async () => {
  // The last server of each lane is still up (stop_on_exit: false): find it by its port, kill by pid.
  for (const port of ports) for (const pid of findProcesses('servers/vllm.js', `--port ${port}`)) ledger.add(pid);
  for (const d of dirs) {
    for (const port of ports) {
      const file = pidFilePath(join(d.dir, 'state'), providerConfig('vllm', port));
      if (existsSync(file)) ledger.add((JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid);
    }
  }
  ledger.killAll();
  await Promise.all(dirs.map((d) => d.cleanup()));
});

describe('chaos: kill -9 mid-stream during acode ask', () => {
  it(`${RUNS} runs: complete answers, exit 0, a crash in every run`, async () => {
    const failures: string[] = [];
    let complete = 0;
    let retries = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        const d = await tempDir(`kill-${lane}`);
        dirs.push(d);
        const port = await freePort();
        ports.push(port);
        await askProject(d.dir, 'vllm', MODEL, port);
        for (let i = lane; i < RUNS; i += LANES) {
          const prompt = `chaos run ${i}`;
          const expected = expectedChat({
            model: MODEL,
            messages: [{ role: 'user', content: prompt }],
            tokens: TOKENS,
          }).text;
          const r = await ask(d.dir, prompt, KNOBS);
          const ok = r.code === 0 && r.json?.text === expected && r.json.finishReason === 'stop' && r.json.retries >= 1;
          if (ok) {
            complete++;
            retries += r.json!.retries;
          } else {
            // The servers' own log says what the CLI could not see (a bind error, a crash at start).
            const log = logFilePath(join(d.dir, 'state'), providerConfig('vllm', port));
            const tail = existsSync(log)
              ? readFileSync(log, 'utf8').split('\n').slice(-40).join('\n')
              : '(no server log)';
            failures.push(
              `run ${i}: exit ${r.code}, text ${JSON.stringify(r.json?.text)} (expected ${JSON.stringify(expected)}), retries ${r.json?.retries}\n${r.stderr.slice(-800)}\nserver log tail:\n${tail}`,
            );
          }
        }
      }),
    );
    console.log(
      `chaos: kill-mid-stream ${complete}/${RUNS} complete (exit 0, exact text), ${retries} mid-answer crashes resumed, ` +
        `${((Date.now() - started) / 1000).toFixed(0)} s, ${LANES} lanes`,
    );
    expect(failures).toEqual([]);
    expect(complete).toBe(RUNS);
  }, 480_000);
});
