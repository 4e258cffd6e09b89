import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, freePort, serversBinDir, serversEnv, type TestServer } from './harness.js';

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
    const ready = {
      ollama: /Listening on 127\.0\.0\.1:\d+ \(version/,
      vllm: /Application startup complete\./,
      'llama-server': /server is listening on http:\/\/127\.0\.0\.1:\d+/,
    }[kind];
    await s.waitForLog(ready);
    expect(s.pid).toBe(s.child.pid);
    const info = await s.stop();
    expect(info).toEqual({ code: 0, signal: null });
  });

  it('serversEnv lets a plain `ollama serve` from PATH start the stand-in, as an orchestrator would', async () => {
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), 'acode-path-'));
    const child = spawn('ollama', ['serve'], {
      env: { ...process.env, ...serversEnv(), HOME: home, OLLAMA_HOST: `127.0.0.1:${port}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 10_000;
      while (!/Listening on 127\.0\.0\.1:\d+/.test(err)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not listening:\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('Ollama is running');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  });
});
