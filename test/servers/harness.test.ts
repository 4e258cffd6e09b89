import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, freePort, serversBinDir, type TestServer } from './harness.js';

const started: TestServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function start(...args: Parameters<typeof startTestServer>): Promise<TestServer> {
  const s = await startTestServer(...args);
  started.push(s);
  return s;
}

describe('harness', () => {
  it('exposes the bin dir with the three shims', async () => {
    const { existsSync } = await import('node:fs');
    for (const n of ['ollama', 'vllm', 'llama-server']) expect(existsSync(`${serversBinDir}/${n}`)).toBe(true);
  });

  it('freePort returns a bindable port', async () => {
    const p = await freePort();
    expect(p).toBeGreaterThan(0);
  });

  it.each(['ollama', 'vllm', 'llama-server'] as const)('starts %s and reports its ready line', async (kind) => {
    const s = await start(kind);
    const ready = { ollama: /Listening on 127\.0\.0\.1:\d+ \(version/, vllm: /Application startup complete\./, 'llama-server': /server is listening on http:\/\/127\.0\.0\.1:\d+/ }[kind];
    await s.waitForLog(ready);
    expect(s.pid).toBe(s.child.pid);
    const info = await s.stop();
    expect(info).toEqual({ code: 0, signal: null });
  });
});
