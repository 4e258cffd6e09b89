// `acode serve` as users run it (the built CLI): one gateway per state dir, `acode status` and
// `acode providers` through a running gateway, load progress while a client waits on a start, failed
// starts, --host, the systemd unit, swapping and idle stops, and fallback through the request machine.
// What every client sees against every server kind (listings, chat, streams, tools, embeddings, a
// SIGKILL mid-stream, a cold start) is the client matrix: client-matrix.test.ts.
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { STAGED_GGUF, expectedChat, freePort } from '../servers/harness.js';
import { alive, project, providerYaml } from './../e2e/project.js';
import { liveGateways, sseContent } from './live-gateway.js';

const VLLM_MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';

const gateway = liveGateways();

describe('acode serve (built CLI, stand-in servers)', () => {
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
  it('a slow start sends load progress (SSE reasoning_content) before the answer so clients keep waiting; the trailers name the provider', async () => {
    const { url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}`,
      { ACODE_FAKE_TOKENS: '3', ACODE_FAKE_STARTUP_DELAY_MS: '2500' },
    );
    const res = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'vllm', stream: true, messages: [{ role: 'user', content: 'slow' }] }),
    });
    expect(res.statusCode).toBe(200);
    // The headers went out with the first progress frame, before the provider was healthy: a trailer says it.
    expect(res.headers['x-acode-provider']).toBeUndefined();
    const events = (await res.body.text())
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
    expect(res.trailers).toMatchObject({ 'x-acode-provider': 'vllm', 'x-acode-retries': '0' });
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
      const text = sseContent(await res.text());
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
