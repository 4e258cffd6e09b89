// CLI flags and subcommands of the stand-ins as the real binaries take them: API keys, engine flags that
// are accepted and ignored, Ollama's client subcommands, access logs.

import { spawn } from 'node:child_process';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { serversEnv, type TestServer } from '../servers/harness.js';
import { openaiClient, type Target, using } from './targets.js';

const asTarget = (s: TestServer): Target => ({
  fake: true,
  url: s.url,
  model: s.model,
  key: s.model,
  server: s,
  stop: async () => undefined,
});
const user = [{ role: 'user' as const, content: 'hi' }];

describe.concurrent('process: flags as the real CLIs take them (fake servers only)', () => {
  it('vLLM --api-key guards /v1 (401) and accepts engine flags it does not model', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('vllm', {
      args: [
        '--api-key',
        'k1',
        '--gpu-memory-utilization',
        '0.5',
        '--tensor-parallel-size',
        '1',
        '--max-model-len',
        '2048',
      ],
    });
    const denied = await openaiClient(asTarget(s))
      .models.list()
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    const ok = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'k1', maxRetries: 0 });
    const page = await ok.models.list();
    expect((page.data[0] as unknown as { max_model_len: number }).max_model_len).toBe(2048);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    await s.waitForLog(/"GET \/v1\/models HTTP\/1\.1" 401 Unauthorized/);
  });

  it('llama-server --api-key: 401 Invalid API Key, health and models stay public', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('llama-server', { args: ['--api-key', 'k2', '-ngl', '99', '--jinja'] });
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: user }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: 401, message: 'Invalid API Key', type: 'authentication_error' },
    });
    expect((await fetch(`${s.url}/v1/models`)).status).toBe(200);
    const ok = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'k2', maxRetries: 0 });
    expect((await ok.chat.completions.create({ model: 'x', messages: user })).choices[0]?.finish_reason).toBe('stop');
  });

  it('the optional Ollama client subcommands talk to OLLAMA_HOST (list, pull, errors)', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('ollama', { model: 'qwen2.5:0.5b' });
    const run = (...args: string[]): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve) => {
        const child = spawn('ollama', args, {
          env: { ...process.env, ...serversEnv(), HOME: s.home, OLLAMA_HOST: `127.0.0.1:${s.port}` },
        });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        child.once('close', (code) => resolve({ code, out }));
      });
    const list = await run('list');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^NAME +ID +SIZE +MODIFIED\nqwen2\.5:0\.5b +[0-9a-f]{12} /);
    const bad = await run('pull', 'no-such-model-acode');
    expect(bad).toEqual({ code: 1, out: expect.stringContaining('Error: pull model manifest: file does not exist') });
  });

  it('Ollama answers HEAD / and logs GIN access lines', async (ctx) => {
    const { server } = using(ctx);
    const s = await server('ollama');
    const res = await fetch(`${s.url}/`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    await s.waitForLog(/\[GIN\] .* \| 200 \| .* \| HEAD +"\/"/);
  });
});
