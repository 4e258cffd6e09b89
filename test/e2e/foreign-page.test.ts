// A stranger's 10-line HTML 404 page on a provider's port (built CLI): the error message, the status
// line and the fallback note each quote one line of it (its title), never the page.
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startApache404 } from '../adapters/foreign-page.js';
import { STAGED_GGUF, freePort } from '../servers/harness.js';
import { project, providerYaml, type Project } from './project.js';

let projects: Project[] = [];
let strangers: Server[] = [];
afterEach(async () => {
  for (const s of strangers) {
    s.closeAllConnections();
    s.close();
  }
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
  strangers = [];
});

async function strangerOnVllmPort(): Promise<Project> {
  const [port, llamaPort] = [await freePort(), await freePort()];
  strangers.push(await startApache404(port));
  const p = await project(
    `providers:\n  active: vllm\n${providerYaml('vllm', { model: 'meta-llama/Llama-2-7b-hf', port })}` +
      `${providerYaml('llamacpp', { model: STAGED_GGUF, port: llamaPort })}fallback: [llamacpp]\n`,
  );
  projects.push(p);
  return p;
}

const quotesThePage = /<|Apache|requested URL/;

describe('a foreign HTML page on the port is quoted as one line', { timeout: 120_000 }, () => {
  it('provider status: the report and the status line', async () => {
    const p = await strangerOnVllmPort();
    const json = await p.acode(['provider', 'status', '--json']);
    const report = JSON.parse(json.stdout) as { state: string; lastError: { code: string; message: string } };
    expect(report.state).toBe('failed');
    expect(report.lastError.code).toBe('PORT_IN_USE');
    expect(report.lastError.message).toMatch(/: HTTP 404 from \S+: 404 Not Found, which is not the expected server\.$/);
    expect(report.lastError.message).not.toMatch(quotesThePage);
    const plain = await p.acode(['provider', 'status']);
    expect(plain.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(plain.stdout).toContain('404 Not Found');
    expect(plain.stdout).not.toMatch(quotesThePage);
  });

  it('providers start: the error is one message line and one hint line', async () => {
    const p = await strangerOnVllmPort();
    const r = await p.acode(['providers', 'start', 'vllm']);
    expect(r.code).toBe(3);
    const lines = r.stderr.split('\n');
    const at = lines.findIndex((l) => l.startsWith('error[PORT_IN_USE]'));
    expect(lines[at]).toContain('404 Not Found');
    expect(lines[at + 1]).toMatch(/^hint: /);
    expect(r.stderr).not.toMatch(quotesThePage);
  });

  it('ask: the fallback note is one line, and the fallback answers', async () => {
    const p = await strangerOnVllmPort();
    const r = await p.acode(['ask', 'hello']);
    expect(r.code, r.stderr).toBe(0);
    const note = r.stderr.split('\n').find((l) => l.startsWith('note: vllm could not answer'));
    expect(note).toMatch(/404 Not Found, which is not the expected server\. \(PORT_IN_USE\); trying llamacpp$/);
    expect(r.stderr).not.toMatch(quotesThePage);
    expect(r.stderr).toContain('answered by llamacpp');
  });
});
