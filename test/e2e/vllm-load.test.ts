// Issue 11 item 4 end to end: the built CLI starts a vLLM stand-in whose load (with vLLM's progress
// lines, connections refused meanwhile) outlasts start_timeout_seconds. `providers start` waits it out
// and says what the load is doing; a second `acode status` meanwhile reports the logged progress.
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../servers/harness.js';
import { project, providerYaml, type Project } from './project.js';

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

interface Report {
  id: string;
  state: string;
  load: { phase: string; percent: number | null; text: string } | null;
  lastError: { code: string } | null;
}

describe('acode providers start + status while vLLM loads (built CLI)', () => {
  it('waits past start_timeout_seconds for a load that logs progress, printing it; status shows it meanwhile', async () => {
    const port = await freePort();
    const p = await project(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: 'meta-llama/Llama-2-7b-hf', port }, { start_timeout_seconds: 3, model_load_timeout_seconds: 60 })}`,
    );
    projects.push(p);
    const knobs = { ACODE_FAKE_LOAD_DELAY_MS: '9000', ACODE_FAKE_LOAD_PROGRESS: '1' };
    const start = p.acode(['providers', 'start', 'vllm', '--json'], { env: knobs });

    let seen: Report | undefined;
    for (let i = 0; i < 40 && !seen; i++) {
      const [report] = JSON.parse((await p.acode(['status', '--json'])).stdout) as Report[];
      if (report?.state === 'starting' && report.load) seen = report;
    }
    expect(seen).toMatchObject({
      id: 'vllm',
      state: 'starting',
      lastError: null,
      load: { phase: expect.stringMatching(/^(download|load|init)$/) },
    });

    const started = await start;
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout)).toEqual([
      expect.objectContaining({ id: 'vllm', state: 'healthy', model: 'ready' }),
    ]);
    // acode pulled the weights before the spawn (vllm-hub-start.test.ts): vLLM only loads them.
    expect(started.stderr).toMatch(/vllm: pulling meta-llama\/Llama-2-7b-hf \d+%\n/);
    expect(started.stderr).toMatch(/vllm: starting, loading Loading safetensors checkpoint shards \d+%\n/);
    expect(started.stderr).toMatch(
      /vllm: starting, warming up: init engine \(profile, create kv cache, warmup model\) took/,
    );
    expect(started.stderr).toMatch(/vllm: ready\n/);
  }, 90_000);
});
