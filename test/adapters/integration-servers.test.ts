// What differs per server, against the stand-ins: readiness semantics while loading (vLLM refuses,
// llama-server answers 503), Ollama's pull stream, and model metadata.
import { afterEach, describe, expect, it } from 'vitest';
import { createProvider, type ModelProvider, type PullProgress } from '../../adapters/index.js';
import { caught, collect, providerConfig } from './fixture-server.js';
import { start, targets, type Running } from './integration-targets.js';

const real = targets().some((t) => t.realUrl !== undefined);
const suite = real ? describe.skip : describe;

suite('stand-in specifics (need knobs)', () => {
  let run: Running | undefined;
  let extra: ModelProvider | undefined;
  afterEach(async () => {
    await extra?.close();
    await run?.stop();
    run = undefined;
    extra = undefined;
  });
  const [ollama, vllm, llama] = targets();

  it('llama-server while loading: health is starting (503 Loading model), a request is SERVER_ERROR 503, then ready', async () => {
    run = await start(llama!, { knobs: { loadDelayMs: 5_000 }, waitReady: false });
    // Connection refused until the process binds (down), then 503 while the model loads (starting).
    let status = 'down';
    const deadline = Date.now() + 10_000;
    while (status === 'down' && Date.now() < deadline) status = (await run.provider.health()).status;
    expect(status).toBe('starting');
    expect(await run.provider.health()).toMatchObject({
      code: 'HTTP_503',
      detail: expect.stringContaining('Loading model'),
    });
    const err = await caught(run.provider.complete({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.details).toMatchObject({ status: 503, serverMessage: 'Loading model' });
    await run.server!.ready();
    expect(await run.provider.health()).toEqual({ ok: true, status: 'ready' });
    const models = await run.provider.listModels();
    expect(models[0]?.contextLength).toBeGreaterThan(0);
  });

  it('vLLM while loading: connection refused, reported as down with the loading note, then ready', async () => {
    run = await start(vllm!, { knobs: { loadDelayMs: 3_000 }, waitReady: false });
    const h = await run.provider.health();
    expect(h).toMatchObject({ ok: false, status: 'down', code: 'CONNECTION_REFUSED' });
    expect(h.detail).toContain('until its model is loaded');
    await run.server!.ready();
    expect(await run.provider.health()).toEqual({ ok: true, status: 'ready' });
    const info = await run.provider.modelInfo(run.model);
    expect(info.contextLength).toBeGreaterThan(0);
    expect(run.provider.capabilities.maxContext).toBe(info.contextLength);
  });

  it('Ollama pull: progress lines, then success; the model is then listed and chat works', async () => {
    run = await start(ollama!);
    const progress = await collect(run.provider.pull!('qwen2.5:0.5b'));
    expect(progress[0]).toEqual({ status: 'pulling manifest' });
    expect(progress.some((p) => p.total !== undefined && p.completed === p.total)).toBe(true);
    expect(progress.at(-1)).toEqual({ status: 'success' });
    expect((await run.provider.listModels()).map((m) => m.id)).toContain('qwen2.5:0.5b');
    const res = await run.provider.complete({ model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.text.length).toBeGreaterThan(0);
    const info = await run.provider.modelInfo('qwen2.5:0.5b');
    expect(info.contextLength).toBeGreaterThan(0);
  });

  it('Ollama pull failing midway (error line inside HTTP 200): PULL_FAILED with the server text', async () => {
    run = await start(ollama!, { knobs: { pullFailAtPercent: 50 } });
    const seen: PullProgress[] = [];
    const err = await caught(async () => {
      for await (const p of run!.provider.pull!('qwen2.5:0.5b')) seen.push(p);
    });
    expect(err.code).toBe('PULL_FAILED');
    expect(err.message).toContain('max retries exceeded');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.some((p) => p.status === 'success')).toBe(false);
  });

  it('Ollama pull of a model the registry does not have: PULL_FAILED', async () => {
    run = await start(ollama!);
    const err = await caught(collect(run.provider.pull!('no-such-model:1b')));
    expect(err.code).toBe('PULL_FAILED');
    expect(err.details).toMatchObject({ model: 'no-such-model:1b' });
  });

  it('Ollama: an unpulled model is MODEL_NOT_FOUND from /api/show', async () => {
    run = await start(ollama!);
    const err = await caught(run.provider.modelInfo('qwen2.5:0.5b'));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toContain('qwen2.5:0.5b');
  });

  it('airgapped: pull is refused before any request reaches the server', async () => {
    run = await start(ollama!);
    extra = createProvider(providerConfig('ollama', 'ollama', run.url, run.model), { mode: 'airgapped' });
    const err = await caught(collect(extra.pull!('qwen2.5:0.5b')));
    expect(err.code).toBe('AIRGAP_VIOLATION');
    expect(run.server!.logs()).not.toMatch(/api\/pull/);
    expect((await run.provider.listModels()).map((m) => m.id)).not.toContain('qwen2.5:0.5b');
  });
});
