// `acode providers start|stop` and `acode models list|info` against the stand-in Ollama: the start waits
// through the model pull (progress on stderr), the models come from Ollama's own catalogue.
// Build first: npx tsc -p tsconfig.json
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startTestServer, type TestServer } from '../servers/harness.js';
import { alive, portFree, project, providerYaml, type Project } from './project.js';

const MODEL = 'llama3.2:latest';

let projects: Project[] = [];
let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
  servers = [];
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
    expect(started.stderr).toMatch(
      /ollama: starting\n(.*\n)*ollama: pulling llama3\.2:latest( \d+%)?\n(.*\n)*ollama: ready\n/,
    );
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

  it("models pull: starts Ollama, pulls with the automatic pull's progress lines, then the model is listed", async () => {
    const port = await freePort();
    const p = await project(`providers:\n  active: ollama\n${providerYaml('ollama', { model: MODEL, port })}`);
    projects.push(p);
    const env = { ACODE_FAKE_PULL_BPS: '20000000' };

    const pulled = await p.acode(['models', 'pull', 'qwen2.5:0.5b'], { env });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stderr).toMatch(
      /ollama: starting\n(.*\n)*ollama: pulling qwen2\.5:0\.5b \d+%\n(.*\n)*ollama: ready\n/,
    );
    expect(pulled.stderr).not.toMatch(/llama3\.2/);
    expect(pulled.stdout).toBe('pulled qwen2.5:0.5b on ollama\n');

    const list = await p.acode(['models', 'list', '--no-start', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const ids = (JSON.parse(list.stdout) as { models: Array<{ id: string }> }).models.map((m) => m.id);
    expect(ids).toContain('qwen2.5:0.5b');

    const again = await p.acode(['models', 'pull', 'qwen2.5:0.5b', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ provider: 'ollama', model: 'qwen2.5:0.5b', pulled: false });

    const missing = await p.acode(['models', 'pull', 'no-such-model:7b']);
    expect(missing.code).toBe(4);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^error\[PULL_FAILED\]: .*no-such-model:7b/m);
  }, 120_000);

  it('models pull in airgapped mode refuses with the pre-stage hint, as the automatic pull does', async () => {
    const server = await startTestServer('ollama');
    servers.push(server);
    const p = await project(
      `mode: airgapped\nproviders:\n  active: ollama\n${providerYaml('ollama', { model: MODEL, port: server.port }, { mode: 'monitored' })}`,
    );
    projects.push(p);
    const r = await p.acode(['models', 'pull', 'qwen2.5:0.5b']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^error\[MODEL_NOT_FOUND\]: ollama: the model qwen2\.5:0\.5b is not present, and airgapped mode does not download models\.\nhint: Pre-stage it with `ollama pull qwen2\.5:0\.5b`/m,
    );
    const tags = (await (await fetch(`${server.url}/api/tags`)).json()) as { models: unknown[] };
    expect(tags.models).toEqual([]);
  }, 60_000);

  it('models pull with llama-server: no pull API, a hint that says how its models come, nothing started', async () => {
    // vLLM pulls from the Hugging Face hub now: test/cli/models-pull-hub.test.ts.
    const p = await project(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: 'meta-llama/Llama-2-7b-hf', port: await freePort() })}` +
        providerYaml('llamacpp', { model: 'qwen2.5-0.5b-instruct-q4_k_m.gguf', port: await freePort() }),
    );
    projects.push(p);
    const llama = await p.acode(['models', 'pull', '--provider', 'llamacpp', 'tiny.gguf']);
    expect(llama.code).toBe(4);
    expect(llama.stderr).toMatch(
      /^error\[PULL_FAILED\]: llamacpp: llama-server has no pull API, .*\nhint: llama-server loads a GGUF file from disk/m,
    );
    expect(p.recordedPids()).toEqual([]);
  });
});
