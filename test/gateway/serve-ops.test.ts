// `acode serve` operations through the built CLI: SIGTERM drains the requests in flight (bounded) and
// stops what the gateway started; streamed answers carry x-acode-* as HTTP trailers; a stale
// gateway.json whose pid another process now has is not a running gateway; servers are swapped by
// memory; the inspector attaches to a running gateway.
import { describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { request } from 'undici';
import { expectedChat, freePort } from '../servers/harness.js';
import { alive, providerYaml } from '../e2e/project.js';
import { liveGateways, sseContent } from './live-gateway.js';

const VLLM_MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';

const gateway = liveGateways();

/** A streamed chat answer read event by event, so a test can act while it is in flight. */
async function openStream(url: string, content: string) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'vllm', stream: true, messages: [{ role: 'user', content }] }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const events: string[] = [];
  let ended = false;
  /** Reads until `until` holds for the events so far (or the stream ends). */
  const readUntil = async (until: (events: string[]) => boolean): Promise<string[]> => {
    while (!ended && !until(events)) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buffered += decoder.decode(value, { stream: true });
      const parts = buffered.split('\n\n');
      buffered = parts.pop()!;
      events.push(...parts.filter((e) => e.startsWith('data: ')).map((e) => e.slice(6)));
    }
    return events;
  };
  const text = () =>
    events
      .filter((e) => e.startsWith('{"id"'))
      .map((e) => (JSON.parse(e) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content)
      .join('');
  return { res, readUntil, text, ended: () => ended };
}

async function providerPid(url: string, id: string): Promise<number> {
  const reports = (await (await fetch(`${url}/acode/status`)).json()) as Array<{ id: string; pid: number }>;
  return reports.find((r) => r.id === id)!.pid;
}

/** Is a new TCP connection to the gateway refused? (A fetch could reuse a kept-alive one.) */
function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

describe('acode serve: SIGTERM', () => {
  it('drains a stream in flight: it completes, new connections are refused, serve exits 0, its server is stopped', async () => {
    const { live, url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() }, { stop_on_exit: true })}`,
      { ACODE_FAKE_TOKENS: '20', ACODE_FAKE_TOKEN_DELAY_MS: '150' },
    );
    const messages = [{ role: 'user', content: 'drain me' }];
    const stream = await openStream(url, 'drain me');
    await stream.readUntil(() => stream.text().length > 0);
    const pid = await providerPid(url, 'vllm');
    expect(alive(pid)).toBe(true);

    live.terminate();
    await live.waitForStderr(/draining 1 request/);
    expect(await refused(url)).toBe(true);
    const events = await stream.readUntil(() => false);
    expect(stream.text()).toBe(expectedChat({ model: VLLM_MODEL, messages, tokens: 20 }).text);
    expect(events.at(-1)).toBe('[DONE]');
    expect(await live.exited).toBe(0);
    expect(alive(pid)).toBe(false);
  }, 120_000);

  it('a stream longer than the drain bound ends with a typed error event, not a silent cut', async () => {
    const { live, url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() }, { stop_on_exit: true })}`,
      { ACODE_FAKE_TOKENS: '100', ACODE_FAKE_TOKEN_DELAY_MS: '200' },
    );
    const stream = await openStream(url, 'too long to drain');
    await stream.readUntil(() => stream.text().length > 0);
    const pid = await providerPid(url, 'vllm');
    const t0 = Date.now();
    live.terminate();
    const events = await stream.readUntil(() => false);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(9_000);
    expect(events.at(-1)).toBe('[DONE]');
    const last = JSON.parse(events.at(-2)!) as { error?: { code?: string; message?: string } };
    expect(last.error).toMatchObject({ code: 'STREAM_INTERRUPTED', message: expect.stringMatching(/shut down/) });
    expect(await live.exited).toBe(0);
    expect(alive(pid)).toBe(false);
  }, 120_000);
});

describe('acode serve: what happened, in headers and trailers', () => {
  it('a stream resumed after a crash says so in its trailers; a whole answer in its headers', async () => {
    const { url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() }, { max_restarts: 10 })}`,
      { ACODE_FAKE_TOKENS: '8', ACODE_FAKE_CRASH_AFTER_TOKENS: '5', ACODE_FAKE_CRASH_MODE: 'sigkill' },
    );
    const messages = [{ role: 'user', content: 'crash and tell' }];
    const expected = expectedChat({ model: VLLM_MODEL, messages, tokens: 8 }).text;
    const streamed = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'vllm', stream: true, messages }),
    });
    expect(streamed.statusCode).toBe(200);
    expect(String(streamed.headers.trailer).split(/,\s*/).sort()).toEqual([
      'x-acode-provider',
      'x-acode-resumed',
      'x-acode-retries',
    ]);
    const body = await streamed.body.text();
    expect(sseContent(body)).toBe(expected);
    expect(streamed.trailers).toMatchObject({
      'x-acode-provider': 'vllm',
      'x-acode-resumed': expect.stringMatching(/^(resume|restart)$/),
      'x-acode-retries': expect.stringMatching(/^[1-9]/),
    });

    const whole = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'vllm', messages }),
    });
    expect(whole.statusCode).toBe(200);
    const answer = (await whole.body.json()) as { choices: Array<{ message: { content: string } }> };
    expect(answer.choices[0]!.message.content).toBe(expected);
    expect(whole.headers).toMatchObject({
      'x-acode-resumed': expect.stringMatching(/^(resume|restart)$/),
      'x-acode-retries': expect.stringMatching(/^[1-9]/),
    });
  }, 120_000);
});

describe('acode inspect with a gateway running', () => {
  it("attaches to the gateway: the page's live stream shows the request machine of a request to it", async () => {
    const { p, url } = await gateway(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}`,
      { ACODE_FAKE_TOKENS: '3' },
    );
    const inspector = p.live(['inspect', '--port', '0']);
    const out = await inspector.waitForStdout(/attached to acode serve \(pid \d+, http:\/\/\S+\)/);
    const page = /acode inspector: (http:\/\/\S+)/.exec(out)![1]!;
    const events = await fetch(`${page}events`);
    expect(events.headers.get('content-type')).toBe('text/event-stream');
    const reader = events.body!.getReader();
    const answer = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'vllm', messages: [{ role: 'user', content: 'watch me' }] }),
    });
    expect(answer.status).toBe(200);
    const decoder = new TextDecoder();
    let seen = '';
    const actors = new Set<string>();
    while (![...actors].some((a) => /^request\.\d+$/.test(a)) || !actors.has('service.vllm')) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the inspector stream ended; it had ${[...actors].join(', ')}`);
      seen += decoder.decode(value, { stream: true });
      for (const line of seen.split('\n').filter((l) => l.startsWith('data: ')))
        actors.add((JSON.parse(line.slice(6)) as { actor: string }).actor);
      seen = seen.slice(seen.lastIndexOf('\n') + 1);
    }
    await reader.cancel();
    // Attached, the inspector supervises nothing itself: the only server is the gateway's.
    expect(p.startedPids()).toHaveLength(1);
  }, 120_000);
});
