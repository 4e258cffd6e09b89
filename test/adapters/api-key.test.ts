// Authenticated servers: the key named by api_key_env goes out as `Authorization: Bearer` on every
// request (health, model lists, chat); a 401/403 is AUTH_FAILED naming the variable, never the key.
import { afterEach, describe, expect, it } from 'vitest';
import { createProvider, isServerGone, type ModelProvider } from '../../adapters/index.js';
import { ERROR_CODES, type ProviderKind } from '../../config/index.js';
import { startTestServer, type TestServer } from '../servers/harness.js';
import { caught, providerConfig, sse, startFixture, type Fixture } from './fixture-server.js';

const KEY = 'k3y-auth-test-0123456789abcdef';
const user = [{ role: 'user' as const, content: 'hi' }];

let server: TestServer | undefined;
let fixture: Fixture | undefined;
const open: ModelProvider[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
  await server?.stop();
  await fixture?.close();
  server = undefined;
  fixture = undefined;
});

function provider(
  kind: ProviderKind,
  url: string,
  model: string,
  env: Record<string, string>,
  apiKeyEnv?: string,
): ModelProvider {
  const type = kind === 'ollama' ? 'ollama' : 'openai-compatible';
  const config = { ...providerConfig(kind, type, url, model), ...(apiKeyEnv ? { apiKeyEnv } : {}) };
  const p = createProvider(config, { env });
  open.push(p);
  return p;
}

describe('API keys', () => {
  it('sends the key from the named variable on health, model listing and chat (Ollama behind a proxy)', async () => {
    fixture = await startFixture((req, res) => {
      if (req.url === '/') return void res.end('Ollama is running');
      if (req.url === '/api/tags') return void res.end(JSON.stringify({ models: [] }));
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(
        `${JSON.stringify({ model: 'm', message: { role: 'assistant', content: 'ok' }, done: true, done_reason: 'stop' })}\n`,
      );
    });
    const p = provider('ollama', fixture.url, 'm', { PROXY_API_KEY: KEY }, 'PROXY_API_KEY');
    expect(await p.health()).toMatchObject({ ok: true });
    await p.listModels();
    expect((await p.complete({ messages: user })).text).toBe('ok');
    expect(fixture.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/', `Bearer ${KEY}`],
      ['/api/tags', `Bearer ${KEY}`],
      ['/api/chat', `Bearer ${KEY}`],
    ]);
  });

  it('sends no Authorization header when the variable is unset or empty', async () => {
    fixture = await startFixture((_req, res) =>
      sse(res, [{ choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: 'stop' }] }, 'data: [DONE]\n\n']),
    );
    await provider('vllm', fixture.url, 'm', { VLLM_API_KEY: '' }, 'VLLM_API_KEY').complete({ messages: user });
    await provider('vllm', fixture.url, 'm', {}, 'VLLM_API_KEY').complete({ messages: user });
    expect(fixture.requests.map((r) => r.headers.authorization)).toEqual([undefined, undefined]);
  });

  it('vLLM with --api-key: works with the key; without it AUTH_FAILED names VLLM_API_KEY, /health stays ready', async () => {
    server = await startTestServer('vllm', { args: ['--api-key', KEY] });
    const good = provider('vllm', server.url, server.model, { VLLM_API_KEY: KEY }, 'VLLM_API_KEY');
    expect((await good.listModels()).map((m) => m.id)).toContain(server.model);
    expect((await good.complete({ messages: user })).text.length).toBeGreaterThan(0);

    const unset = provider('vllm', server.url, server.model, {}, 'VLLM_API_KEY');
    expect(await unset.health()).toMatchObject({ ok: true, status: 'ready' });
    const err = await caught(unset.listModels());
    expect(err).toMatchObject({
      code: 'AUTH_FAILED',
      details: { status: 401, apiKeyEnv: 'VLLM_API_KEY', serverMessage: 'Unauthorized' },
    });
    expect(err.message).toMatch(/requires an API key \(401: Unauthorized\), and VLLM_API_KEY is not set/);
    expect(err.hint).toMatch(/Set VLLM_API_KEY .*providers\.vllm\.api_key_env/);
    expect(isServerGone(err)).toBe(false);
    expect(ERROR_CODES.AUTH_FAILED).toBe(6);
  });

  it('llama-server with LLAMA_API_KEY: a wrong key is AUTH_FAILED naming the variable, and the key is nowhere in the error', async () => {
    server = await startTestServer('llama-server', { env: { LLAMA_API_KEY: KEY } });
    const wrong = 'wrong-key-0123456789';
    const p = provider('llamacpp', server.url, server.model, { TEAM_LLAMA_TOKEN: wrong }, 'TEAM_LLAMA_TOKEN');
    const err = await caught(p.complete({ messages: user }));
    expect(err).toMatchObject({
      code: 'AUTH_FAILED',
      details: { status: 401, apiKeyEnv: 'TEAM_LLAMA_TOKEN', serverMessage: 'Invalid API Key' },
    });
    expect(err.message).toMatch(/refused the API key in TEAM_LLAMA_TOKEN/);
    expect(JSON.stringify({ ...err, message: err.message, hint: err.hint })).not.toContain(wrong);
    const right = provider('llamacpp', server.url, server.model, { TEAM_LLAMA_TOKEN: KEY }, 'TEAM_LLAMA_TOKEN');
    expect((await right.complete({ messages: user })).text.length).toBeGreaterThan(0);
  });

  it('checkAuth finds a wrong key on llama-server, whose /health and /v1/models answer anyone', async () => {
    server = await startTestServer('llama-server', { args: ['--api-key', KEY] });
    const unset = provider('llamacpp', server.url, server.model, {}, 'LLAMA_API_KEY');
    expect(await unset.health()).toMatchObject({ ok: true });
    expect((await unset.listModels()).length).toBe(1);
    expect(await caught(unset.checkAuth!())).toMatchObject({
      code: 'AUTH_FAILED',
      details: { apiKeyEnv: 'LLAMA_API_KEY' },
    });
    await provider('llamacpp', server.url, server.model, { LLAMA_API_KEY: KEY }, 'LLAMA_API_KEY').checkAuth!();
  });

  it('a health route that answers 401 (LM Studio probes /v1/models) is a live server whose key is missing, not down or foreign', async () => {
    server = await startTestServer('vllm', { env: { VLLM_API_KEY: KEY } });
    const health = await provider('lmstudio', server.url, server.model, {}, 'LM_API_TOKEN').health();
    expect(health).toMatchObject({ ok: true, status: 'ready', code: 'AUTH_FAILED' });
    expect(health.detail).toMatch(/LM_API_TOKEN is not set/);
    expect(
      await provider('lmstudio', server.url, server.model, { LM_API_TOKEN: KEY }, 'LM_API_TOKEN').health(),
    ).toEqual({ ok: true, status: 'ready' });
  });

  it('a 403 from a server with no key configured says to configure api_key_env', async () => {
    fixture = await startFixture((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'forbidden by proxy' }));
    });
    const err = await caught(provider('ollama', fixture.url, 'm', {}).listModels());
    expect(err).toMatchObject({ code: 'AUTH_FAILED', details: { status: 403 } });
    expect(err.hint).toMatch(/providers\.ollama\.api_key_env/);
  });
});
