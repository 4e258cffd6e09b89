// `acode providers start|stop` and `acode models list|info` against the stand-in Ollama: the start waits
// through the model pull (progress on stderr), the models come from Ollama's own catalogue.
// Build first: npx tsc -p tsconfig.json
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../servers/harness.js';
import { alive, portFree, project, providerYaml, type Project } from './project.js';

const MODEL = 'llama3.2:latest';

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

describe('acode providers / models (built CLI, stand-in Ollama)', () => {
  it('start pulls the missing model with progress on stderr; models list/info read Ollama; stop leaves nothing', async () => {
    const port = await freePort();
    const p = await project(`providers:\n  active: ollama\n${providerYaml('ollama', { model: MODEL, port })}`);
    projects.push(p);
    // A paced pull (4 MB at 20 MB/s) so progress lines exist between "pulling" and "ready".
    const env = { ACODE_FAKE_PULL_BPS: '20000000' };

    const started = await p.acode(['providers', 'start', 'ollama', '--json'], { env });
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toMatch(/ollama: starting\n(.*\n)*ollama: pulling llama3\.2:latest( \d+%)?\n(.*\n)*ollama: ready\n/);
    const [report] = JSON.parse(started.stdout) as Array<{ state: string; model: string; pid: number; owned: boolean }>;
    expect(report).toMatchObject({ state: 'healthy', model: 'ready', owned: true });

    const list = await p.acode(['models', 'list', '--no-start', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as { provider: string; models: Array<{ id: string; sizeBytes?: number }> };
    expect(listed.provider).toBe('ollama');
    expect(listed.models).toEqual([expect.objectContaining({ id: MODEL, sizeBytes: expect.any(Number) })]);

    const info = await p.acode(['models', 'info']);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/^model: +llama3\.2:latest$/m);
    expect(info.stdout).toMatch(/^provider: +ollama$/m);

    const unknown = await p.acode(['models', 'info', 'no-such-model:7b', '--json']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/^error\[MODEL_NOT_FOUND\]: .*no-such-model:7b/m);

    const stopped = await p.acode(['providers', 'stop', 'ollama']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(new RegExp(`^ollama: stopped \\(pid ${report!.pid}, `));
    expect(alive(report!.pid)).toBe(false);
    expect(await portFree(port)).toBe(true);
  }, 120_000);
});
