// Ctrl-C while `acode provider status` waits on a server that accepts connections and never answers
// (built CLI): ABORTED, exit 130, whenever it lands; never INTERNAL.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../servers/harness.js';
import { project, providerYaml, type Project } from './project.js';

let projects: Project[] = [];
let servers: { server: Server; sockets: Socket[] }[] = [];
afterEach(async () => {
  for (const s of servers) {
    for (const k of s.sockets) k.destroy();
    s.server.close();
  }
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
  servers = [];
});

/** A listener that takes every connection and says nothing; resolves `connected` on the first one. */
async function silentServer(port: number): Promise<{ connected: Promise<void> }> {
  const sockets: Socket[] = [];
  let first!: () => void;
  const connected = new Promise<void>((resolve) => {
    first = resolve;
  });
  const server = createServer((s) => {
    sockets.push(s);
    first();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  servers.push({ server, sockets });
  return { connected };
}

async function hangingProject(ids: ('vllm' | 'llamacpp')[]): Promise<{ p: Project; connected: Promise<void>[] }> {
  const ports = await Promise.all(ids.map(() => freePort()));
  const connected = (await Promise.all(ports.map((port) => silentServer(port)))).map((s) => s.connected);
  const models = { vllm: 'meta-llama/Llama-2-7b-hf', llamacpp: 'qwen2.5-0.5b-instruct-q4_k_m.gguf' };
  const p = await project(
    `providers:\n  active: ${ids[0]}\n${ids.map((id, i) => providerYaml(id, { model: models[id], port: ports[i]! })).join('')}`,
  );
  projects.push(p);
  return { p, connected };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Ctrl-C during a status read is ABORTED (130)', { timeout: 60_000 }, () => {
  // The health probe waits up to 2 s for an answer: each moment lands inside it.
  it.for([0, 300, 1_000])('provider status, %i ms after the probe connected', async (delayMs) => {
    const { p, connected } = await hangingProject(['vllm']);
    const live = p.live(['provider', 'status']);
    await connected[0];
    await pause(delayMs);
    live.interrupt();
    expect(await live.exited).toBe(130);
    expect(live.stderr()).toMatch(/^error\[ABORTED\]: /);
    expect(live.stderr()).not.toContain('INTERNAL');
  });

  it('providers status over two hanging servers', async () => {
    const { p, connected } = await hangingProject(['vllm', 'llamacpp']);
    const live = p.live(['providers', 'status']);
    await Promise.all(connected);
    live.interrupt();
    expect(await live.exited).toBe(130);
    expect(live.stderr()).toMatch(/^error\[ABORTED\]: /);
  });
});
