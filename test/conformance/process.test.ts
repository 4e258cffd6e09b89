// Process behaviour of the stand-ins as the real servers show it: port conflicts, SIGTERM semantics,
// bad models, offline HF cache, loopback-only binding, strict knob parsing.

import { writeCache } from '../servers/lib/hf-cache.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedChat, freePort, type ServerKind, type TestServer } from '../servers/harness.js';
import { ollamaClient, openaiClient, type Target, using } from './targets.js';

function scratch(defer: (fn: () => unknown) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'acode-proc-'));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
async function occupy(port: number, defer: (fn: () => unknown) => void): Promise<Server> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  defer(() => new Promise((r) => blocker.close(r)));
  return blocker;
}
const asTarget = (s: TestServer): Target => ({
  fake: true,
  url: s.url,
  model: s.model,
  key: s.model,
  server: s,
  stop: async () => undefined,
});
const user = [{ role: 'user' as const, content: 'hi' }];

describe.concurrent('process: port already in use (fake servers only)', () => {
  const messages: Record<ServerKind, (port: number) => RegExp> = {
    ollama: (p) => new RegExp(`^Error: listen tcp 127\\.0\\.0\\.1:${p}: bind: address already in use$`, 'm'),
    vllm: () => /^OSError: \[Errno 98\] Address already in use$/m,
    'llama-server': (p) => new RegExp(`couldn't bind HTTP server socket, hostname: 127\\.0\\.0\\.1, port: ${p}`),
  };
  it.for(['ollama', 'vllm', 'llama-server'] as const)('%s prints the real message and exits 1', async (kind, ctx) => {
    const { server, defer } = using(ctx);
    const port = await freePort();
    await occupy(port, defer);
    const s = await server(kind, { port, waitReady: false });
    expect(await s.exited, s.logs()).toEqual({ code: 1, signal: null });
    expect(s.logs()).toMatch(messages[kind](port));
  });
});

describe.concurrent('process: SIGTERM (fake servers only)', () => {
  it('Ollama cuts an in-flight stream and exits 0', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('ollama', { model: 'llama3.2:latest', knobs: { tokenDelayMs: 40, tokens: 50 } });
    let chunks = 0;
    const run = (async () => {
      for await (const _ of await ollamaClient(asTarget(s)).chat({ model: s.model, messages: user, stream: true })) {
        chunks += 1;
        if (chunks === 1) s.kill('SIGTERM');
      }
    })();
    await expect(run).rejects.toThrow();
    expect(chunks).toBeLessThan(50);
    expect(await s.exited, s.logs()).toEqual({ code: 0, signal: null });
  });

  it('vLLM finishes the in-flight stream, then exits 0', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('vllm', { knobs: { tokenDelayMs: 20, tokens: 15 } });
    let text = '';
    let signalled = false;
    for await (const c of await openaiClient(asTarget(s)).chat.completions.create({
      model: s.model,
      messages: user,
      stream: true,
    })) {
      if (!signalled) s.kill('SIGTERM');
      signalled = true;
      text += c.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe(expectedChat({ model: s.model, messages: user, tokens: 15 }).text);
    expect(await s.exited, s.logs()).toEqual({ code: 0, signal: null });
    expect(s.logs()).toContain('Application shutdown complete.');
  });

  it('llama-server exits 0 when idle', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('llama-server');
    s.kill('SIGTERM');
    expect(await s.exited, s.logs()).toEqual({ code: 0, signal: null });
  });

  it('llama-server with a request in flight freezes it; a second signal exits 1', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('llama-server', { knobs: { tokenDelayMs: 20, tokens: 40 } });
    let deltas = 0;
    let signalled = false;
    const stream = await openaiClient(asTarget(s)).chat.completions.create({
      model: s.model,
      messages: user,
      stream: true,
    });
    const consume = (async () => {
      for await (const c of stream) {
        if (c.choices[0]?.delta.content) deltas += 1;
        if (deltas === 1 && !signalled) s.kill('SIGTERM');
        signalled ||= deltas === 1;
      }
    })().catch(() => undefined);
    await s.waitForLog(/cleaning up before exit/);
    expect(s.child.exitCode).toBeNull();
    s.kill('SIGTERM');
    expect(await s.exited, s.logs()).toEqual({ code: 1, signal: null });
    expect(s.logs()).toContain('Received second interrupt, terminating immediately.');
    await consume;
    expect(deltas).toBeLessThan(40);
  });

  it('ACODE_FAKE_IGNORE_SIGTERM: SIGTERM is logged and ignored; only SIGKILL ends it', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('vllm', { knobs: { ignoreSigterm: true }, stopGraceMs: 300 });
    s.kill('SIGTERM');
    await s.waitForLog(/ignoring it \(ACODE_FAKE_IGNORE_SIGTERM\)/);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect(await s.stop()).toEqual({ code: null, signal: 'SIGKILL' });
  });
});

describe.concurrent('process: models at start (fake servers only)', () => {
  it('vLLM refuses an unknown repository id with the ValueError lines and exit 1', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('vllm', { model: 'acme/does-not-exist', waitReady: false });
    expect((await s.exited).code, s.logs()).toBe(1);
    expect(s.logs()).toContain(
      "ValueError: Invalid repository ID or local directory specified: 'acme/does-not-exist'.",
    );
    expect(s.logs()).toContain('Please verify the following requirements:');
  });

  it('vLLM with HF_HUB_OFFLINE=1 refuses an uncached model and serves a cached one', async (ctx) => {
    const { server, defer } = using(ctx);
    const hf = scratch(defer);
    const off = await server('vllm', {
      model: 'Qwen/Qwen2.5-1.5B-Instruct',
      env: { HF_HUB_OFFLINE: '1', HF_HOME: hf },
      waitReady: false,
    });
    expect((await off.exited).code, off.logs()).toBe(1);
    expect(off.logs()).toContain('offline mode is enabled');
    // What huggingface_hub loads offline: refs/main naming a snapshot with a config and weights.
    writeCache({ HF_HOME: hf }, 'Qwen/Qwen2.5-1.5B-Instruct', { weights: true });
    const on = await server('vllm', { model: 'Qwen/Qwen2.5-1.5B-Instruct', env: { HF_HUB_OFFLINE: '1', HF_HOME: hf } });
    expect(await (await fetch(`${on.url}/v1/models`)).json()).toMatchObject({
      data: [{ id: 'Qwen/Qwen2.5-1.5B-Instruct' }],
    });
  });

  it('vLLM serves a local directory that has a config.json', async (ctx) => {
    const { server, defer } = using(ctx);
    const dir = scratch(defer);
    writeFileSync(join(dir, 'config.json'), '{}');
    const s = await server('vllm', { model: dir });
    expect(await (await fetch(`${s.url}/v1/models`)).json()).toMatchObject({ data: [{ id: dir, root: dir }] });
  });

  it('llama-server exits 1 on a missing model file and serves an existing one', async (ctx) => {
    const { server, defer } = using(ctx);
    const bad = await server('llama-server', { model: '/nonexistent/model.gguf', waitReady: false });
    expect((await bad.exited).code, bad.logs()).toBe(1);
    expect(bad.logs()).toContain('exiting due to model loading error');
    const file = join(scratch(defer), 'tiny.gguf');
    writeFileSync(file, 'GGUF');
    const ok = await server('llama-server', { model: file });
    expect(await (await fetch(`${ok.url}/v1/models`)).json()).toMatchObject({ data: [{ id: file }] });
  });
});

describe.concurrent('process: loopback only, strict knobs (fake servers only)', () => {
  it('refuses to bind beyond loopback', async (ctx) => {
    const { server } = using(ctx);
    const port = await freePort();
    const o = await server('ollama', { env: { OLLAMA_HOST: `0.0.0.0:${port}` }, waitReady: false });
    expect((await o.exited).code, o.logs()).toBe(2);
    expect(o.logs()).toContain('refusing to bind 0.0.0.0');
    const v = await server('vllm', { args: ['--host', '0.0.0.0'], waitReady: false });
    expect((await v.exited).code, v.logs()).toBe(2);
  });

  it('accepts OLLAMA_HOST with a scheme', async (ctx) => {
    const { server } = using(ctx);
    const port = await freePort();
    const s = await server('ollama', { port, env: { OLLAMA_HOST: `http://127.0.0.1:${port}` } });
    expect(s.logs()).toContain(`Listening on 127.0.0.1:${port}`);
  });

  it('exits 2 on an unknown ACODE_FAKE_ variable or a bad value', async (ctx) => {
    const { server } = using(ctx);
    const a = await server('llama-server', { env: { ACODE_FAKE_TYPO: '1' }, waitReady: false });
    expect((await a.exited).code, a.logs()).toBe(2);
    expect(a.logs()).toContain('unknown knob ACODE_FAKE_TYPO');
    const b = await server('ollama', { env: { ACODE_FAKE_HANG: 'sometimes' }, waitReady: false });
    expect((await b.exited).code, b.logs()).toBe(2);
  });
});
