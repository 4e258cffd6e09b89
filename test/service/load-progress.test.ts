// Issue 11 item 4: vLLM refuses connections while it downloads and loads, so only its log says it is
// alive. The real actors and the vLLM stand-in (ACODE_FAKE_LOAD_PROGRESS: progress lines as vLLM and
// huggingface_hub print them, port bound but not listening) with a load longer than start_timeout.
import { describe, expect, it } from 'vitest';
import type { LoadProgress } from '../../actors/index.js';
import { freePort } from '../servers/harness.js';
import { World, eachTestWorld, failureOf, serversOnPort } from './helpers.js';
import { until } from '../support/processes.js';

let world: World;
eachTestWorld((w) => (world = w));

// The stand-in's first progress line comes ~0.8 s after its spawn on a loaded machine (node start-up);
// real vLLM's comes after seconds of Python imports, against a 30 s start timeout.
const START_TIMEOUT_SECONDS = 3;
const LOAD_MS = 6_000;

describe('service + real actors: a vLLM load longer than start_timeout_seconds', { timeout: 60_000 }, () => {
  it('logs its progress, so it stays starting (bounded by model_load_timeout_seconds) and becomes healthy; status shows the progress', async () => {
    const port = await freePort();
    const { service, labels } = world.service('vllm', port, {
      lifecycle: { startTimeoutSeconds: START_TIMEOUT_SECONDS, modelLoadTimeoutSeconds: 20 },
      env: { ACODE_FAKE_LOAD_DELAY_MS: String(LOAD_MS), ACODE_FAKE_LOAD_PROGRESS: '1' },
    });
    const seen: LoadProgress[] = [];
    service.actor.subscribe((s) => {
      const load = service.status().load;
      if (s.matches('starting') && load && seen.at(-1)?.text !== load.text) seen.push(load);
    });
    const started = Date.now();
    await service.ensureHealthy();
    // The load really outlasted the start timeout: without the log, this start would have failed.
    expect(Date.now() - started).toBeGreaterThan(START_TIMEOUT_SECONDS * 1000);
    expect(labels).toEqual([
      'stopped',
      'detecting',
      'starting',
      'healthy/unknown',
      'healthy/checking',
      'healthy/ready',
    ]);
    expect(service.status()).toMatchObject({ state: 'healthy', load: null, lastError: null });
    // What the TUI and --json showed on the way: the shard loading, the engine's warm-up. The start pulled
    // the model into the cache before the spawn (vllm-hub-start.test.ts), so vLLM downloads nothing itself
    // (its download bars are parsed all the same: test/actors/load-progress.test.ts).
    const phases = [...new Set(seen.map((p) => p.phase))];
    expect(phases).toEqual(['load', 'init']);
    expect(seen).toEqual(
      expect.arrayContaining([
        // Which redraws a 250 ms look catches depends on timing; that some bar of the shard loader shows does not.
        expect.objectContaining({
          phase: 'load',
          percent: expect.any(Number),
          text: expect.stringMatching(/^Loading safetensors checkpoint shards \d\/2$/),
        }),
        expect.objectContaining({
          phase: 'init',
          percent: null,
          text: expect.stringContaining('init engine (profile, create kv cache, warmup model) took'),
        }),
      ]),
    );
  });

  it('a server that logs nothing about a load for as long is still cut by start_timeout_seconds, and reaped', async () => {
    const port = await freePort();
    const { service } = world.service('vllm', port, {
      lifecycle: { startTimeoutSeconds: START_TIMEOUT_SECONDS, modelLoadTimeoutSeconds: 20 },
      // Logs a line of its own (`start-up delay ...`), none of vLLM's progress, then waits before it binds.
      env: { ACODE_FAKE_STARTUP_DELAY_MS: String(LOAD_MS) },
    });
    const error = await failureOf(service.ensureHealthy());
    expect(error.code).toBe('START_TIMEOUT');
    await until(async () => (await serversOnPort(port)).length === 0, { what: 'the timed-out server to be gone' });
  });

  it('progress that runs past model_load_timeout_seconds ends in MODEL_LOAD_TIMEOUT, and the process is reaped', async () => {
    const port = await freePort();
    const { service } = world.service('vllm', port, {
      lifecycle: { startTimeoutSeconds: START_TIMEOUT_SECONDS, modelLoadTimeoutSeconds: 1.5 },
      env: { ACODE_FAKE_LOAD_DELAY_MS: '30000', ACODE_FAKE_LOAD_PROGRESS: '1' },
    });
    const error = await failureOf(service.ensureHealthy());
    expect(error.code).toBe('MODEL_LOAD_TIMEOUT');
    // The message says what the log last said (which line depends on timing; the replay pins the wording).
    expect(error.message).toMatch(/still loading after 1\.5 s\. Its log last said: \S/);
    await until(async () => (await serversOnPort(port)).length === 0, { what: 'the timed-out server to be gone' });
  });
});
