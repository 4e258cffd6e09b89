// Ollama pull knobs (size, speed, failure), the model catalogue and the pre-pulled store, through the
// official ollama client.

import type { ProgressResponse } from 'ollama';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asResponseError, fakeTarget, ollamaClient, type Target, using } from './targets.js';

async function pullAll(t: Target, model: string): Promise<ProgressResponse[]> {
  const events: ProgressResponse[] = [];
  for await (const e of await ollamaClient(t).pull({ model, stream: true })) events.push(e);
  return events;
}
const modelLayer = (events: ProgressResponse[]): ProgressResponse[] => {
  const first = events.find((e) => e.digest);
  return events.filter((e) => e.digest === first?.digest);
};

describe.concurrent('knobs: Ollama pull (fake server only)', () => {
  it('ACODE_FAKE_PULL_BYTES: the model layer has that size', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('ollama', { knobs: { pullBytes: 12_345 } });
    const layer = modelLayer(await pullAll(t, 'llama3.2'));
    expect(layer[0]?.total).toBe(12_345);
    expect(layer.at(-1)?.completed).toBe(12_345);
    const listed = (await ollamaClient(t).list()).models.find((m) => m.name === 'llama3.2:latest');
    expect(listed?.size).toBeGreaterThan(12_345);
  });

  it('ACODE_FAKE_PULL_BPS: progress advances at the given speed', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('ollama', { knobs: { pullBytes: 20_000, pullBytesPerSecond: 100_000 } });
    const t0 = Date.now();
    const layer = modelLayer(await pullAll(t, 'llama3.2'));
    // 20 kB at 100 kB/s in 5 kB steps (one per 50 ms): four progress lines, >= 200 ms.
    expect(layer.filter((e) => e.completed).map((e) => e.completed)).toEqual([5_000, 10_000, 15_000, 20_000]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
  });

  it('ACODE_FAKE_PULL_FAIL_AT_PERCENT: the stream carries the error; nothing is installed', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('ollama', { knobs: { pullBytes: 100_000, pullFailAtPercent: 50 } });
    const seen: ProgressResponse[] = [];
    const run = async (): Promise<void> => {
      for await (const e of await ollamaClient(t).pull({ model: 'llama3.2', stream: true })) seen.push(e);
    };
    await expect(run()).rejects.toThrow('max retries exceeded: unexpected EOF');
    const progress = seen.filter((e) => e.completed && e.total).map((e) => e.completed / e.total);
    expect(progress.length).toBeGreaterThan(0);
    // 50 % of all layers' bytes falls inside the big model layer, a little past its own half.
    expect(Math.max(...progress)).toBeLessThan(0.6);
    expect(seen.some((e) => e.status === 'verifying sha256 digest')).toBe(false);
    expect((await ollamaClient(t).list()).models).toEqual([]);
    const err = await ollamaClient(t)
      .pull({ model: 'llama3.2' })
      .catch((e: unknown) => e);
    expect(asResponseError(err).status_code).toBe(500);
  });

  it('ACODE_FAKE_MODELS: only catalogue models can be pulled', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('ollama', { knobs: { models: ['tiny-acode:1b'], pullBytes: 1000 } });
    expect((await pullAll(t, 'tiny-acode:1b')).at(-1)?.status).toBe('success');
    await expect(pullAll(t, 'llama3.2')).rejects.toThrow('pull model manifest: file does not exist');
  });

  it('ACODE_FAKE_PULLED: models are installed at start and survive a restart on the same OLLAMA_MODELS', async (ctx) => {
    const { target, defer } = using(ctx);
    const dir = mkdtempSync(join(tmpdir(), 'acode-ollama-models-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const a = await fakeTarget('ollama', {
      knobs: { pulled: ['qwen2.5:0.5b'], pullBytes: 1000 },
      env: { OLLAMA_MODELS: dir },
    });
    expect((await ollamaClient(a).list()).models.map((m) => m.name)).toEqual(['qwen2.5:0.5b']);
    await pullAll(a, 'llama3.2');
    await a.stop();
    const b = await target('ollama', { env: { OLLAMA_MODELS: dir } });
    expect((await ollamaClient(b).list()).models.map((m) => m.name).sort()).toEqual([
      'llama3.2:latest',
      'qwen2.5:0.5b',
    ]);
  });
});
