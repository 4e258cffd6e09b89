// The provider commands when something else holds the configured port: a read reports it (failed,
// PORT_IN_USE) without touching it, a start fails with the same code and exit 3, a stop leaves it alone.
// Build first: npx tsc -p tsconfig.json
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { project, providerYaml, type Project } from './project.js';

let projects: Project[] = [];
let holders: Server[] = [];
afterEach(async () => {
  await Promise.all(holders.map((h) => new Promise((resolve) => h.close(resolve))));
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
  holders = [];
});

// An HTTP server that is not vLLM: every route is 404.
async function stranger(): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(404).end('not here');
  });
  holders.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, hits: () => hits };
}

describe('a stranger on the configured port (built CLI)', () => {
  it('status says failed/PORT_IN_USE with one probe; start fails with exit 3; stop leaves it running', async () => {
    const held = await stranger();
    const p = await project(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: 'meta-llama/Llama-2-7b-hf', port: held.port })}`,
    );
    projects.push(p);

    const status = await p.acode(['providers', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const [report] = JSON.parse(status.stdout) as Array<{
      state: string;
      lastError: { code: string; hint: string } | null;
    }>;
    expect(report).toMatchObject({
      state: 'failed',
      lastError: { code: 'PORT_IN_USE', hint: expect.stringContaining(`port ${held.port}`) },
    });
    expect(held.hits()).toBe(1);

    const start = await p.acode(['providers', 'start', '--json']);
    expect(start.code).toBe(3);
    expect(start.stderr).toMatch(/^error\[PORT_IN_USE\]: /m);
    expect(JSON.parse(start.stdout)).toEqual([expect.objectContaining({ state: 'failed', pid: null })]);
    expect(p.recordedPids()).toEqual([]);

    const stop = await p.acode(['providers', 'stop', '--json']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(JSON.parse(stop.stdout)).toEqual([expect.objectContaining({ action: 'not-running', state: 'failed' })]);
    const after = await p.acode(['providers', 'status', '--json']);
    expect(JSON.parse(after.stdout)).toEqual([expect.objectContaining({ state: 'failed' })]);
  }, 90_000);
});
