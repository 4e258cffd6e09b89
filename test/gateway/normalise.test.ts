// What clients need, normalised (issue 13 item 5), through the built CLI with the official clients:
// usage on every answer even from a server that sends none, tool calls streamed from a server that
// returns them only whole, and Ollama's num_ctx and keep_alive honoured (passed to Ollama, a restart of
// our llama-server with the larger context, the idle stop) or reported in a header where they cannot be.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { afterEach, describe, expect, it } from 'vitest';
import { STAGED_GGUF, freePort, startTestServer } from '../servers/harness.js';
import { providerYaml, type Project } from '../e2e/project.js';
import { WEATHER_TOOLS, liveGateways } from './live-gateway.js';
import { realLlama, realLlamaSkipReason } from '../real/llama-server.js';

const OLLAMA_MODEL = 'llama3.2:latest';
const EMBEDDER = 'nomic-embed-text:latest';
const WHOLE_TEXT = 'The answer is forty two, said the whole server.';

const gateway = liveGateways();
let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

/**
 * An OpenAI-compatible server as some LM Studio builds and custom servers are: it answers a streamed
 * request with one whole `chat.completion` JSON object, tool calls included, and never sends usage.
 */
async function wholeAnswerServer(): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'whole-model', object: 'model' }] }));
        return;
      }
      const asked = JSON.parse(body) as { tools?: unknown[] };
      const message = asked.tools?.length
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            ],
          }
        : { role: 'assistant', content: WHOLE_TEXT };
      const finish = asked.tools?.length ? 'tool_calls' : 'stop';
      res.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          model: 'whole-model',
          choices: [{ index: 0, message, finish_reason: finish }],
        }),
      );
    });
  });
  servers.push(server);
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return `http://127.0.0.1:${port}`;
}

describe('acode serve: usage and tool calls from a server that answers whole and counts nothing', () => {
  it('openai client: streamed tool calls and include_usage; whole answers carry usage; ollama counts are not 0', async () => {
    const base = await wholeAnswerServer();
    const { url } = await gateway(
      `providers:\n  active: whole\n  whole:\n    type: openai-compatible\n    base_url: ${JSON.stringify(base)}\n    model: whole-model\n`,
    );
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'anything', maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'weather in Paris?' }];

    const called = await client.chat.completions.create({
      model: 'whole',
      messages,
      tools: WEATHER_TOOLS,
      stream: true,
      stream_options: { include_usage: true },
    });
    let name = '';
    let args = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of called) {
      for (const c of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += c.function?.name ?? '';
        args += c.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage !== undefined) usage = chunk.usage;
    }
    expect({ name, args: JSON.parse(args) as unknown, finish }).toEqual({
      name: 'get_weather',
      args: { city: 'Paris' },
      finish: 'tool_calls',
    });
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeGreaterThan(0);

    const streamed = await client.chat.completions.create({
      model: 'whole',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    usage = undefined;
    for await (const chunk of streamed) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage !== undefined) usage = chunk.usage;
    }
    expect(text).toBe(WHOLE_TEXT);
    // Counted: one whole chunk, so the characters/4 estimate (docs/design.md, gateway).
    expect(usage).toEqual({
      prompt_tokens: 2,
      completion_tokens: Math.ceil(WHOLE_TEXT.length / 4),
      total_tokens: 2 + Math.ceil(WHOLE_TEXT.length / 4),
    });

    const whole = await client.chat.completions.create({ model: 'whole', messages: [{ role: 'user', content: 'hi' }] });
    expect(whole.usage).toMatchObject({ completion_tokens: Math.ceil(WHOLE_TEXT.length / 4), prompt_tokens: 1 });

    const ollama = new Ollama({ host: url });
    const answer = await ollama.chat({ model: 'whole', messages: [{ role: 'user', content: 'hello' }] });
    expect(answer).toMatchObject({ prompt_eval_count: 2, eval_count: Math.ceil(WHOLE_TEXT.length / 4) });
  }, 120_000);
});

async function ollamaChat(url: string, body: Record<string, unknown>): Promise<Response> {
  const res = await fetch(`${url}/api/chat`, {
    method: 'POST',
    body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], stream: false, ...body }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return res;
}

/** The bodies a stand-in logged (ACODE_FAKE_REQUEST_LOG) for requests to `path`, in order. */
function bodiesSent(log: string, path: string): Array<Record<string, unknown>> {
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { path: string; body: Record<string, unknown> })
    .filter((r) => r.path === path)
    .map((r) => r.body);
}

/** keep_alive 0 on a server acode started: it is stopped once idle (bounded wait). */
async function expectStoppedOnceIdle(p: Project): Promise<void> {
  const end = Date.now() + 20_000;
  while (p.startedPids().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  expect(p.startedPids(), 'keep_alive 0: stopped once idle').toEqual([]);
}

describe('acode serve: keep_alive on /api/embed', () => {
  const embed = async (url: string, body: Record<string, unknown>): Promise<Response> => {
    const res = await fetch(`${url}/api/embed`, { method: 'POST', body: JSON.stringify({ input: 'hello', ...body }) });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.clone().json()) as { embeddings: number[][] }).embeddings).toHaveLength(1);
    return res;
  };

  it('an Ollama backend gets it as sent', async () => {
    const logs = await mkdtemp(join(tmpdir(), 'acode-norm-'));
    const log = join(logs, 'requests.jsonl');
    try {
      const { url } = await gateway(
        `providers:\n  active: ollama\n${providerYaml('ollama', { model: EMBEDDER, port: await freePort() }, { stop_on_exit: true })}`,
        { ACODE_FAKE_PULLED: EMBEDDER, ACODE_FAKE_REQUEST_LOG: log },
      );
      const res = await embed(url, { model: 'ollama', keep_alive: '10m' });
      expect(res.headers.get('x-acode-keep-alive')).toBeNull();
      const sent = bodiesSent(log, '/api/embed');
      expect(sent.at(-1)).toMatchObject({ model: EMBEDDER, keep_alive: '10m' });
    } finally {
      await rm(logs, { recursive: true, force: true });
    }
  }, 120_000);

  it('our llama-server: keep_alive 0 stops it once idle', async () => {
    const { p, url } = await gateway(
      `providers:\n  active: llamacpp\n${providerYaml('llamacpp', { model: STAGED_GGUF, port: await freePort() }, { stop_on_exit: true })}    args: ["--embeddings"]\n`,
    );
    await embed(url, { model: 'llamacpp' });
    expect(p.startedPids()).toHaveLength(1);
    const res = await embed(url, { model: 'llamacpp', keep_alive: 0 });
    expect(res.headers.get('x-acode-keep-alive')).toBeNull();
    await expectStoppedOnceIdle(p);
  }, 120_000);

  it('a llama-server acode only monitors: the vectors come back, and a header says keep_alive was ignored', async () => {
    const server = await startTestServer('llama-server', { model: STAGED_GGUF, args: ['--embeddings'] });
    try {
      const { url } = await gateway(
        `providers:\n  active: llamacpp\n${providerYaml('llamacpp', { model: STAGED_GGUF, port: server.port }, { mode: 'monitored' })}`,
      );
      const res = await embed(url, { model: 'llamacpp', keep_alive: '1h' });
      expect(res.headers.get('x-acode-keep-alive')).toMatch(/^ignored; llamacpp is monitored: acode never stops/);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe('acode serve: Ollama num_ctx and keep_alive', () => {
  it('an Ollama backend gets both as sent', async () => {
    const logs = await mkdtemp(join(tmpdir(), 'acode-norm-'));
    const log = join(logs, 'requests.jsonl');
    const { url } = await gateway(
      `providers:\n  active: ollama\n${providerYaml('ollama', { model: OLLAMA_MODEL, port: await freePort() }, { stop_on_exit: true })}`,
      { ACODE_FAKE_TOKENS: '3', ACODE_FAKE_PULLED: OLLAMA_MODEL, ACODE_FAKE_REQUEST_LOG: log },
    );
    const ollama = new Ollama({ host: url });
    await ollama.chat({
      model: `ollama/${OLLAMA_MODEL}`,
      messages: [{ role: 'user', content: 'hi' }],
      options: { num_ctx: 8192 },
      keep_alive: '10m',
    });
    const sent = bodiesSent(log, '/api/chat');
    await rm(logs, { recursive: true, force: true });
    expect(sent.at(-1)).toMatchObject({ options: { num_ctx: 8192 }, keep_alive: '10m' });
  }, 120_000);

  it('our llama-server restarts with a larger num_ctx (never for a smaller one); keep_alive 0 stops it once idle', async () => {
    const { p, url } = await gateway(
      `providers:\n  active: llamacpp\n${providerYaml('llamacpp', { model: STAGED_GGUF, port: await freePort() }, { stop_on_exit: true })}`,
      { ACODE_FAKE_TOKENS: '2' },
    );
    const small = await ollamaChat(url, { model: 'llamacpp', options: { num_ctx: 2048 } });
    expect(small.headers.get('x-acode-num-ctx')).toBeNull();
    const [first] = p.startedPids();
    expect(first).toBeDefined();

    const large = await ollamaChat(url, { model: 'llamacpp', options: { num_ctx: 8192 } });
    expect(large.headers.get('x-acode-num-ctx')).toBe('restarted; 8192 (was 4096)');
    const running = p.startedPids();
    expect(running).toHaveLength(1);
    expect(running[0]).not.toBe(first);
    const argv = readFileSync(`/proc/${running[0]}/cmdline`, 'utf8').split('\0');
    expect(argv.slice(argv.indexOf('-c'), argv.indexOf('-c') + 2)).toEqual(['-c', '8192']);

    const again = await ollamaChat(url, { model: 'llamacpp', options: { num_ctx: 8192 }, keep_alive: 0 });
    expect(again.headers.get('x-acode-num-ctx')).toBeNull();
    expect(again.headers.get('x-acode-keep-alive')).toBeNull();
    await expectStoppedOnceIdle(p);
  }, 120_000);

  it('fill in the middle through /api/generate with a suffix honours num_ctx too', async () => {
    const models = await mkdtemp(join(tmpdir(), 'acode-gguf-'));
    try {
      const coder = join(models, 'qwen2.5-coder-0.5b-q4_k_m.gguf');
      await symlink(STAGED_GGUF, coder);
      const { url } = await gateway(
        `providers:\n  active: llamacpp\n${providerYaml('llamacpp', { model: coder, port: await freePort() }, { stop_on_exit: true })}`,
        { ACODE_FAKE_TOKENS: '3' },
      );
      const res = await fetch(`${url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({
          model: 'llamacpp',
          prompt: 'int main() {',
          suffix: '}',
          stream: false,
          options: { num_ctx: 8192 },
        }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('x-acode-num-ctx')).toBe('restarted; 8192 (was 4096)');
      expect(((await res.json()) as { eval_count: number }).eval_count).toBe(3);
    } finally {
      await rm(models, { recursive: true, force: true });
    }
  }, 120_000);

  it('a server acode may not restart or stop: the answer goes on, and headers say why each was ignored', async () => {
    const base = await wholeAnswerServer();
    const { url } = await gateway(
      `providers:\n  active: whole\n  whole:\n    type: openai-compatible\n    base_url: ${JSON.stringify(base)}\n    model: whole-model\n`,
    );
    const res = await ollamaChat(url, { model: 'whole', options: { num_ctx: 32768 }, keep_alive: '1h' });
    expect(((await res.json()) as { message: { content: string } }).message.content).toBe(WHOLE_TEXT);
    expect(res.headers.get('x-acode-num-ctx')).toMatch(/^ignored; whole \(custom\) cannot be asked for a context/);
    expect(res.headers.get('x-acode-keep-alive')).toMatch(/^ignored; whole is external: acode never stops its server/);
  }, 120_000);

  (realLlama ? it : it.skip)(
    `the real llama-server restarts with the asked num_ctx${realLlama ? '' : ` (${realLlamaSkipReason})`}`,
    async () => {
      const port = await freePort();
      const { url } = await gateway(
        `providers:\n  active: llamacpp\n${providerYaml('llamacpp', { binary: realLlama!.binary, model: realLlama!.model, port }, { stop_on_exit: true })}    args: ["-c", "1024", "-t", "1"]\n`,
      );
      const bounded = { options: { num_predict: 4, temperature: 0, num_ctx: 2048 } };
      const res = await ollamaChat(url, { model: 'llamacpp', ...bounded });
      expect(res.headers.get('x-acode-num-ctx')).toBe('restarted; 2048 (was 1024)');
      const props = (await (await fetch(`http://127.0.0.1:${port}/props`)).json()) as {
        default_generation_settings: { n_ctx: number };
      };
      expect(props.default_generation_settings.n_ctx).toBe(2048);
      expect(((await res.json()) as { eval_count: number }).eval_count).toBe(4);
    },
    120_000,
  );
});
