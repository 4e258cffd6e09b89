// The TUI's `up` and `restarts` are the server's, not the watcher's: a watcher that adopts a server acode
// started an hour ago (and restarted twice) shows an hour and 2, not the seconds since it began watching.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidFilePath, type PidFile } from '../../actors/index.js';
import { writePidFile } from '../../actors/state-dir.js';
import { processStartedAt } from '../../actors/proc.js';
import { openWatch, type Watch } from '../../cli/commands/status-watch.js';
import type { CliDeps } from '../../cli/deps.js';
import { startTestServer, type TestServer } from '../servers/harness.js';
import { config, providerConfig } from '../registry/fixtures.js';
import { until } from '../support/processes.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function deps(stateDir: string, ac: AbortController): CliDeps {
  const sink = { write: () => true };
  return {
    config: {
      locate: async () => {
        throw new Error('unused');
      },
      load: async () => {
        throw new Error('unused');
      },
    },
    stdout: sink,
    stderr: sink,
    env: { ACODE_STATE_DIR: stateDir, PATH: process.env.PATH ?? '' },
    cwd: stateDir,
    signal: ac.signal,
  };
}

async function watching(server: TestServer, stateDir: string): Promise<Watch> {
  const provider = providerConfig('vllm', {
    port: server.port,
    model: server.model,
    lifecycle: { ...providerConfig('vllm').lifecycle, healthCheckIntervalSeconds: 60 },
  });
  const cfg = config(['vllm']);
  cfg.providers.vllm = provider;
  const ac = new AbortController();
  const watch = openWatch(cfg, [provider], deps(stateDir, ac));
  cleanups.push(async () => {
    ac.abort();
    await watch.close();
  });
  await watch.ready;
  await until(() => watch.views()[0]?.state === 'healthy' && watch.views()[0]?.uptimeMs !== undefined, {
    what: 'healthy with an uptime',
  });
  return watch;
}

describe('status --watch / tui: up and restarts', { timeout: 30_000 }, () => {
  it('counts up from the pid file\u2019s startedAt and shows the restarts recorded there', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'acode-watch-facts-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const server = await startTestServer('vllm');
    cleanups.push(() => server.stop());
    // As a start by another acode process an hour ago, restarted twice within the window since.
    const address = { id: 'vllm', kind: 'vllm' as const, host: '127.0.0.1', port: server.port };
    await writePidFile(stateDir, address, { pid: server.pid, binary: 'vllm' });
    const now = Date.now();
    const record = JSON.parse(await readFile(pidFilePath(stateDir, address), 'utf8')) as PidFile;
    await writeFile(
      pidFilePath(stateDir, address),
      JSON.stringify({
        ...record,
        startedAt: new Date(now - 3_600_000).toISOString(),
        restarts: [new Date(now - 20_000).toISOString(), new Date(now - 10_000).toISOString()],
      }),
    );
    const view = (await watching(server, stateDir)).views()[0]!;
    expect(view.owned).toBe(true);
    expect(view.uptimeMs).toBeGreaterThanOrEqual(3_600_000);
    expect(view.restartsInWindow).toBe(2);
  });

  it('a server acode did not start: up from /proc\u2019s start time of the port\u2019s holder, restarts unknown (0)', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'acode-watch-facts-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const server = await startTestServer('vllm');
    cleanups.push(() => server.stop());
    const started = await processStartedAt(server.pid);
    expect(started).toBeDefined();
    const watch = await watching(server, stateDir);
    const before = Date.now();
    const view = watch.views()[0]!;
    const after = Date.now();
    expect(view.owned).toBe(false);
    // The server's age, counted from its process start (10 ms /proc ticks), not from when the watcher saw it healthy.
    expect(view.uptimeMs!).toBeGreaterThanOrEqual(before - started! - 10);
    expect(view.uptimeMs!).toBeLessThanOrEqual(after - started! + 10);
    expect(view.restartsInWindow).toBe(0);
  });

  it('reads a process start time from /proc in epoch ms (this process started before the test ran)', async () => {
    const started = await processStartedAt(process.pid);
    expect(started).toBeLessThanOrEqual(Date.now());
    // /proc counts in 10 ms ticks; the runtime's own origin is a moment after exec.
    expect(Math.abs(started! - performance.timeOrigin)).toBeLessThan(5_000);
  });
});
