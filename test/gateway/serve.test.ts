// `acode serve` as users run it (the built CLI), with the official `openai` and `ollama` JS clients
// pointed at it: listing, whole and streamed answers, tool calls, an Ollama client answered by a vLLM
// backend, a server cold-started by the first request, and one SIGKILLed mid-stream whose client
// stream still completes with the exact text.
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { describe, expect, it } from 'vitest';
import { STAGED_GGUF, expectedChat, freePort } from '../servers/harness.js';
import { alive, project, providerYaml } from './../e2e/project.js';
import { liveGateways } from './live-gateway.js';

const VLLM_MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';
const OLLAMA_MODEL = 'llama3.2:latest';

const gateway = liveGateways();

describe('acode serve (built CLI, stand-in servers, official clients)', () => {
  it('openai client: lists models, cold-starts vLLM on the first request, answers whole, streamed with usage, and with a tool call', async () => {
    const vllmPort = await freePort();
    const ollamaPort = await freePort();
    const { p, url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: vllmPort })}${providerYaml('ollama', { model: OLLAMA_MODEL, port: ollamaPort })}`,
      { ACODE_FAKE_TOKENS: '6', ACODE_FAKE_PULLED: OLLAMA_MODEL },
    );
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'anything', maxRetries: 0 });

    const listed = await client.models.list();
    const ids = listed.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([`vllm/${VLLM_MODEL}`, `ollama/${OLLAMA_MODEL}`]));
    expect(listed.data.find((m) => m.id === `vllm/${VLLM_MODEL}`)).toMatchObject({
      owned_by: 'vllm',
      acode: { state: 'stopped' },
    });
    expect(p.startedPids()).toEqual([]);

    const messages = [{ role: 'user' as const, content: 'hello gateway' }];
    const expected = expectedChat({ model: VLLM_MODEL, messages, tokens: 6 }).text;
    const whole = await client.chat.completions.create({ model: `vllm/${VLLM_MODEL}`, messages, temperature: 0 });
    expect(whole.choices[0]!.message.content).toBe(expected);
    expect(whole.choices[0]!.finish_reason).toBe('stop');
    expect(p.startedPids()).toHaveLength(1);

    const raw = await client.chat.completions
      .create({ model: `vllm/${VLLM_MODEL}`, messages, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(raw.response.headers.get('x-acode-provider')).toBe('vllm');
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of raw.data) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(expected);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: 6 });

    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'weather of a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const called = await client.chat.completions.create({
      model: `vllm/${VLLM_MODEL}`,
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools,
      tool_choice: 'required',
      stream: true,
    });
    const calls: string[] = [];
    for await (const chunk of called)
      for (const c of chunk.choices[0]?.delta.tool_calls ?? []) if (c.function?.name) calls.push(c.function.name);
    expect(calls).toEqual(['get_weather']);

    const unknown = await client.chat.completions.create({ model: 'no-such-model', messages }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).message).toMatch(/no-such-model.*vllm\/Qwen/s);
  }, 120_000);

  it('ollama client: tags, show, and a streamed /api/chat answered by a vLLM backend', async () => {
    const vllmPort = await freePort();
    const { url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: vllmPort })}`,
      { ACODE_FAKE_TOKENS: '5' },
    );
    const ollama = new Ollama({ host: url });
    const tags = await ollama.list();
    expect(tags.models.map((m) => m.name)).toContain(`vllm/${VLLM_MODEL}`);
    const messages = [{ role: 'user', content: 'hi from ollama' }];
    const expected = expectedChat({ model: VLLM_MODEL, messages, tokens: 5 }).text;
    let text = '';
    let last: { done?: boolean; done_reason?: string; eval_count?: number } = {};
    for await (const part of await ollama.chat({ model: `vllm/${VLLM_MODEL}`, messages, stream: true })) {
      text += part.message.content;
      last = part;
    }
    expect(text).toBe(expected);
    expect(last).toMatchObject({ done: true, done_reason: 'stop', eval_count: 5 });
    const show = await ollama.show({ model: `vllm/${VLLM_MODEL}` });
    expect(show.capabilities).toContain('completion');
    const missing = await ollama.chat({ model: 'nope', messages }).catch((e: unknown) => e);
    expect(String(missing)).toMatch(/nope/);
  }, 120_000);

  it('a vLLM SIGKILLed mid-stream: the client stream completes with the exact text, resumed on the same response', async () => {
    const vllmPort = await freePort();
    const { p, url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: vllmPort }, { max_restarts: 10 })}`,
      { ACODE_FAKE_TOKENS: '8', ACODE_FAKE_CRASH_AFTER_TOKENS: '5', ACODE_FAKE_CRASH_MODE: 'sigkill' },
    );
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'survive a crash' }];
    const expected = expectedChat({ model: VLLM_MODEL, messages, tokens: 8 }).text;
    const raw = await client.chat.completions.create({ model: 'vllm', messages, stream: true }).withResponse();
    let text = '';
    let finish: string | null = null;
    for await (const chunk of raw.data) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(expected);
    expect(finish).toBe('stop');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^acode_gateway_resumes_total [1-9]/m);
    expect(metrics).toMatch(/^acode_gateway_requests_total\{provider="vllm",outcome="ok"\} 1$/m);
    const statuses = (await (await fetch(`${url}/acode/status`)).json()) as Array<{
      id: string;
      state: string;
      pid: number;
    }>;
    const status = statuses.find((s) => s.id === 'vllm');
    expect(status).toMatchObject({ id: 'vllm', state: 'healthy' });
    expect(alive(status!.pid)).toBe(true);
    expect(p.startedPids()).toEqual([status!.pid]);
  }, 120_000);

  it("a second acode serve on the same state dir refuses with the first one's pid and address", async () => {
    const { p, url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}`,
    );
    const second = await p.acode(['serve', '--port', String(await freePort())]);
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(new RegExp(`A gateway already runs .*pid \\d+, ${url.replace(/[.:/]/g, '\\$&')}`));
  }, 60_000);
});

describe('acode status and acode providers with a gateway running', () => {
  it('report what the gateway supervises and start/stop through it, never behind its back', async () => {
    const { p } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}`,
    );
    const before = await p.acode(['status', '--json']);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stderr).toMatch(/^\(from acode serve, pid \d+, http:\/\/127\.0\.0\.1:\d+\)$/m);
    expect(JSON.parse(before.stdout)).toEqual([expect.objectContaining({ id: 'vllm', state: 'stopped' })]);

    const started = await p.acode(['providers', 'start', 'vllm', '--json']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toMatch(/started by acode serve, pid \d+/);
    const [report] = JSON.parse(started.stdout) as Array<{ state: string; pid: number; owned: boolean }>;
    expect(report).toMatchObject({ state: 'healthy', owned: true });
    // The gateway's own supervisor started it: the CLI process that asked has exited, the server runs on.
    expect(alive(report!.pid)).toBe(true);
    const during = await p.acode(['providers', 'status', 'vllm', '--json']);
    expect(JSON.parse(during.stdout)).toEqual([expect.objectContaining({ state: 'healthy', pid: report!.pid })]);

    const stopped = await p.acode(['providers', 'stop', 'vllm', '--json']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(JSON.parse(stopped.stdout)).toEqual([expect.objectContaining({ id: 'vllm', action: 'stopped' })]);
    expect(alive(report!.pid)).toBe(false);
  }, 120_000);
});

describe('acode serve: holding clients through a start, and failures', () => {
  it('a slow start sends load progress (SSE reasoning_content) before the answer so clients keep waiting', async () => {
    const { url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}`,
      { ACODE_FAKE_TOKENS: '3', ACODE_FAKE_STARTUP_DELAY_MS: '2500' },
    );
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'vllm', stream: true, messages: [{ role: 'user', content: 'slow' }] }),
    });
    expect(res.status).toBe(200);
    const events = (await res.text())
      .split('\n\n')
      .filter((e) => e.startsWith('data: ') && !e.includes('[DONE]'))
      .map(
        (e) =>
          JSON.parse(e.slice(6)) as { choices: Array<{ delta: { content?: string; reasoning_content?: string } }> },
      );
    const firstContent = events.findIndex((e) => e.choices[0]?.delta.content);
    const progress = events.slice(0, firstContent).map((e) => e.choices[0]?.delta.reasoning_content ?? '');
    expect(progress.join('')).toMatch(/vllm: starting/);
    expect(
      events
        .slice(firstContent)
        .map((e) => e.choices[0]?.delta.content ?? '')
        .join(''),
    ).toBe(expectedChat({ model: VLLM_MODEL, messages: [{ role: 'user', content: 'slow' }], tokens: 3 }).text);
  }, 120_000);

  it("a start that fails answers 503 with the error code and hint, in each protocol's shape", async () => {
    const { url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}`,
      { ACODE_FAKE_EXIT_CODE: '1' },
    );
    const openai = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'vllm', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(openai.status).toBe(503);
    const body = (await openai.json()) as { error: { code: string; message: string; hint: string } };
    expect(body.error.code).toMatch(/^(START_FAILED|CRASH_LOOP)$/);
    expect(body.error.hint.length).toBeGreaterThan(0);
    const ollama = await fetch(`${url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'vllm', stream: false, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(ollama.status).toBe(503);
    expect(await ollama.json()).toMatchObject({
      error: expect.stringMatching(/vllm/),
      code: expect.stringMatching(/^(START_FAILED|CRASH_LOOP|PROVIDER_UNAVAILABLE)$/),
    });
  }, 120_000);

  it('--host off loopback: a warning, and a refusal in airgapped mode; --print-systemd-unit prints a user unit', async () => {
    const p = await project(
      `mode: airgapped\nproviders:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}`,
    );
    try {
      const refused = await p.acode(['serve', '--host', '0.0.0.0', '--port', String(await freePort())]);
      expect(refused.code).toBe(5);
      expect(refused.stderr).toMatch(/^error\[AIRGAP_VIOLATION\]: acode serve --host 0\.0\.0\.0/m);
      const unit = await p.acode(['serve', '--print-systemd-unit', '--port', '11500']);
      expect(unit.code, unit.stderr).toBe(0);
      expect(unit.stdout).toMatch(/^\[Service\]$/m);
      expect(unit.stdout).toMatch(/^ExecStart=\S+node\S* \S+ serve --port 11500 --host 127\.0\.0\.1$/m);
      expect(unit.stdout).toMatch(/^Restart=on-failure$/m);
    } finally {
      await p.cleanup();
    }
  }, 60_000);
});

describe('acode serve: which servers stay up', () => {
  async function states(url: string): Promise<Record<string, string>> {
    const reports = (await (await fetch(`${url}/acode/status`)).json()) as Array<{ id: string; state: string }>;
    return Object.fromEntries(reports.map((r) => [r.id, r.state]));
  }
  async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('serve.max_loaded: 1 swaps servers (the idle one stops first); idle_stop_seconds stops an idle one', async () => {
    const config =
      `serve:\n  max_loaded: 1\nproviders:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() }, { stop_on_exit: true })}` +
      providerYaml(
        'llamacpp',
        { model: STAGED_GGUF, port: await freePort() },
        { idle_stop_seconds: 1, stop_on_exit: true },
      );
    const { url } = await gateway(config, { ACODE_FAKE_TOKENS: '2' });
    const ask = async (model: string) => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      return res.headers.get('x-acode-provider');
    };
    expect(await ask('vllm')).toBe('vllm');
    expect(await states(url)).toMatchObject({ vllm: 'healthy' });
    expect(await ask('llamacpp')).toBe('llamacpp');
    expect(await states(url)).toMatchObject({ vllm: 'stopped', llamacpp: 'healthy' });
    await until(async () => (await states(url)).llamacpp === 'stopped', 'llamacpp stops after 1 s idle');
  }, 120_000);
});

describe('acode serve: falling back through the request machine', () => {
  it('a provider whose server dies before the answer starts: the next in the fallback order answers on the same response', async () => {
    const { startTestServer } = await import('../servers/harness.js');
    const crashing = await startTestServer('vllm', { model: VLLM_MODEL, knobs: { crashAfterTokens: 0 } });
    const answering = await startTestServer('llama-server', { model: STAGED_GGUF, knobs: { tokens: 4 } });
    try {
      const { url } = await gateway(
        `providers:\n  active: vllm\n` +
          providerYaml('vllm', { model: VLLM_MODEL, port: crashing.port }, { mode: 'monitored' }) +
          providerYaml('llamacpp', { model: STAGED_GGUF, port: answering.port }, { mode: 'monitored' }) +
          'fallback: [llamacpp]\n',
      );
      const messages = [{ role: 'user', content: 'fall back' }];
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'vllm', stream: true, messages }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-acode-provider')).toBe('llamacpp');
      const text = (await res.text())
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .map(
          (e) =>
            (JSON.parse(e.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ??
            '',
        )
        .join('');
      expect(text).toBe(expectedChat({ model: STAGED_GGUF, messages, tokens: 4 }).text);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^acode_gateway_fallbacks_total\{provider="vllm"\} 1$/m);
    } finally {
      await crashing.stop();
      await answering.stop();
    }
  }, 120_000);
  it('a request with tools skips the provider whose model its server says has none, before any completion', async () => {
    const { startTestServer } = await import('../servers/harness.js');
    const noTools = await startTestServer('ollama', { model: 'gemma2:2b' });
    const withTools = await startTestServer('llama-server', { model: STAGED_GGUF, knobs: { tokens: 4 } });
    try {
      const { url } = await gateway(
        `providers:\n  active: ollama\n` +
          providerYaml('ollama', { model: 'gemma2:2b', port: noTools.port }, { mode: 'monitored' }) +
          providerYaml('llamacpp', { model: STAGED_GGUF, port: withTools.port }, { mode: 'monitored' }) +
          'fallback: [llamacpp]\n',
      );
      const tools = [{ type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } }];
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'ollama', messages: [{ role: 'user', content: 'what time is it' }], tools }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-acode-provider')).toBe('llamacpp');
      expect(noTools.logs()).toContain('"/api/show"');
      expect(noTools.logs()).not.toContain('"/api/chat"');
    } finally {
      await noTools.stop();
      await withTools.stop();
    }
  }, 120_000);
});
