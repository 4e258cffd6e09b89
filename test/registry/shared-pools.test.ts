// One connection pool per provider endpoint: detect, the health poller, the model check and the adapter
// an `ask` streams through share it (before: each built its own, three or more per ask), and the
// registry closes it when it lets go of its services. Counted through the pools the registry is given
// and through every TCP connect the process makes to the stand-in server (monitored: detect, poller, ask).
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConnectionPools } from '../../adapters/index.js';
import { openRegistry } from '../../machines/registry.js';
import { startTestServer, type TestServer } from '../servers/harness.js';
import { collect, config, providerConfig, textOf } from './fixtures.js';

const MODEL = 'qwen2.5-0.5b-instruct-q4_k_m.gguf';
let servers: TestServer[] = [];
let connects: number[] = [];
beforeEach(() => {
  connects = [];
  const realConnect = net.Socket.prototype.connect;
  vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    // net.connect() hands connect() its normalised [options, callback] pair.
    const raw = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    connects.push(typeof raw === 'object' && raw !== null ? Number((raw as { port?: unknown }).port) : Number(raw));
    return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

describe('connection pools shared per provider', () => {
  it('an ask opens one pool for its provider, shared by every actor, closed on dispose', async () => {
    const server = await startTestServer('llama-server', { model: MODEL, knobs: { tokens: 4 } });
    servers.push(server);
    connects = []; // the harness's own readiness polls are not the registry's
    const cfg = config(['llamacpp'], { active: 'llamacpp' });
    cfg.providers.llamacpp = providerConfig('llamacpp', {
      model: MODEL,
      port: server.port,
      baseUrl: server.url,
      lifecycle: { ...cfg.providers.llamacpp!.lifecycle, mode: 'monitored' },
    });
    const pools = createConnectionPools();
    const registry = openRegistry({ config: cfg, env: { ACODE_STATE_DIR: server.home, PATH: '' }, pools });
    try {
      const provider = await registry.getDefaultProvider();
      const chunks = await collect(
        provider.stream({ messages: [{ role: 'user', content: 'hi' }], sampling: { maxTokens: 4 } }),
      );
      expect(textOf(chunks).length).toBeGreaterThan(0);
      expect(pools.opened).toBe(1);
      // Keep-alive reuse: fewer connections than the actors that talked to the server (detect, the
      // model check, the poller, the request); each used to open at least one of its own.
      const toServer = connects.filter((p) => p === server.port).length;
      expect(toServer).toBeGreaterThan(0);
      expect(toServer).toBeLessThan(3);
    } finally {
      await registry.dispose();
    }
    // Closed with the registry: the next user of the same endpoint gets a new pool.
    await pools.poolFor({ provider: 'llamacpp', origin: server.url, loopbackOnly: true, connectMs: 1000 }).destroy();
    expect(pools.opened).toBe(2);
  });
});
