// Issue 5, "Done when": the model region with real servers: an Ollama pull with progress to ready, a
// pull that fails mid-way, and vLLM refusing an unknown model id at start.
import { describe, expect, it } from 'vitest';
import { freePort } from '../servers/harness.js';
import { World, eachTestWorld, serversOnPort, top, failureOf } from './helpers.js';

let world: World;
eachTestWorld((w) => (world = w));

const PULL = { ACODE_FAKE_PULL_BYTES: '2000000', ACODE_FAKE_PULL_BPS: '8000000' };

describe('service + real actors: models', { timeout: 60_000 }, () => {
  it('Ollama without the model: healthy/pulling with growing progress, then healthy/ready and the model is listed', async () => {
    const port = await freePort();
    const { service, labels, pulls } = world.service('ollama', port, { env: PULL });
    const adapter = await service.ensureHealthy();
    expect(labels).toEqual([
      'stopped',
      'detecting',
      'starting',
      'healthy/unknown',
      'healthy/checking',
      'healthy/pulling',
      'healthy/checking',
      'healthy/ready',
    ]);
    // e.g. [[0,0],[400000,2000000],[1200000,2000000],[2009236,2009236]]: bytes summed over the layers.
    expect(pulls.some(([c, t]) => t >= 2_000_000 && c > 0 && c < t)).toBe(true);
    const completed = pulls.map(([c]) => c);
    expect(completed).toEqual([...completed].sort((a, b) => a - b));
    const [lastCompleted, lastTotal] = pulls.at(-1)!;
    expect(lastCompleted).toBe(lastTotal);
    expect((await adapter.listModels()).map((m) => m.id)).toContain('llama3.2:latest');
    expect(service.status()).toMatchObject({ model: 'ready', pull: null });
  });

  it('a pull that fails mid-way: progress first, then healthy/missing with the server reason; the server keeps running', async () => {
    const port = await freePort();
    const { service, labels, pulls } = world.service('ollama', port, {
      env: { ...PULL, ACODE_FAKE_PULL_FAIL_AT_PERCENT: '50' },
    });
    const error = await failureOf(service.ensureHealthy());
    expect(error.message).toContain('max retries exceeded');
    expect(labels.slice(-2)).toEqual(['healthy/pulling', 'healthy/missing']);
    expect(pulls.some(([c, t]) => c > 0 && c < t)).toBe(true);
    expect(service.status()).toMatchObject({ state: 'healthy', model: 'missing', owned: true });
    expect(service.status().lastError?.message).toContain('max retries exceeded');
    expect(await serversOnPort(port)).toHaveLength(1);
  });

  it("vLLM with an unknown model id: failed with the server's own reason, nothing left running", async () => {
    const port = await freePort();
    // On the hub stand-in (the start pulls it), unknown to the vLLM stand-in, which exits as vLLM does.
    const { service, labels } = world.service('vllm', port, { provider: { model: 'acode-test/tiny-llm' } });
    const error = await failureOf(service.ensureHealthy());
    expect(error.code).toBe('START_FAILED');
    expect(labels).toEqual(['stopped', 'detecting', 'starting', 'failed']);
    const reason = `${error.message}\n${((service.status().lastError?.details?.logTail as string[] | undefined) ?? []).join('\n')}`;
    expect(reason).toContain("Invalid repository ID or local directory specified: 'acode-test/tiny-llm'");
    expect(top(service)).toBe('failed');
    expect(await serversOnPort(port)).toEqual([]);
  });
});
