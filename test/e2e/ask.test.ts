// `acode ask` end to end: the built CLI as a child process, the stand-in servers on PATH, free ports.
// Build first: npx tsc -p tsconfig.json
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STAGED_GGUF, expectedChat, freePort, startTestServer, type TestServer } from '../servers/harness.js';
import { project, providerYaml, type Project } from './project.js';

const VLLM_MODEL = 'meta-llama/Llama-2-7b-hf';
const LLAMA_MODEL = STAGED_GGUF;
const PROMPT = 'write a haiku about local servers';
const expected = (model: string, tokens?: number) =>
  expectedChat({ model, messages: [{ role: 'user', content: PROMPT }], ...(tokens !== undefined ? { tokens } : {}) }).text;

let projects: Project[] = [];
let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
  servers = [];
});

async function setup(yaml: string): Promise<Project> {
  const p = await project(yaml);
  projects.push(p);
  return p;
}

// Generous bounds: each test runs the CLI once or twice, and CI shares two cores with other test files.
describe('acode ask (built CLI, stand-in servers)', { timeout: 120_000 }, () => {
  it('cold start: starts vLLM, streams the answer to stdout, progress to stderr, exits 0', async () => {
    const port = await freePort();
    const p = await setup(`providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port })}`);
    const r = await p.acode(['ask', PROMPT]);
    expect(r.stderr).toMatch(/vllm: detecting\nvllm: starting\n/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected(VLLM_MODEL)}\n`);
    // stop_on_exit is false: the server acode started outlives the CLI (cleanup kills it by pid).
    expect(p.startedPids()).toHaveLength(1);
  });

  it('answers with the server already running, adopts it and leaves it running', async () => {
    const server = await startTestServer('vllm', { model: VLLM_MODEL });
    servers.push(server);
    const p = await setup(`providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port }, { stop_on_exit: true })}`);
    const r = await p.acode(['ask', '--json', PROMPT]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ text: expected(VLLM_MODEL), provider: 'vllm', model: VLLM_MODEL, retries: 0 });
    expect(out.usage).toMatchObject({ completionTokens: expect.any(Number) });
    expect(out.timings).toMatchObject({ readyMs: expect.any(Number), totalMs: expect.any(Number) });
    expect(out).not.toHaveProperty('fallback');
    expect(r.stderr).not.toMatch(/starting/);
    expect(p.startedPids()).toEqual([]);
    expect(server.child.exitCode).toBeNull();
    expect(server.child.signalCode).toBeNull();
  });

  it('cold start of Ollama with a model to pull: pull progress on stderr, then the answer', async () => {
    const port = await freePort();
    const p = await setup(`providers:\n  active: ollama\n${providerYaml('ollama', { model: 'llama3.2:latest', port }, { stop_on_exit: true })}`);
    const r = await p.acode(['ask', PROMPT], { env: { ACODE_FAKE_PULL_BYTES: '2000000', ACODE_FAKE_PULL_BPS: '8000000', OLLAMA_MODELS: `${p.dir}/models` } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected('llama3.2:latest')}\n`);
    expect(r.stderr).toMatch(/ollama: starting\n/);
    expect(r.stderr).toMatch(/ollama: pulling llama3\.2:latest \d+%\n/);
    expect(p.startedPids()).toEqual([]);
  });

  it('reads the prompt from stdin', async () => {
    const server = await startTestServer('vllm', { model: VLLM_MODEL });
    servers.push(server);
    const p = await setup(`providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port })}`);
    const r = await p.acode(['ask'], { stdin: `${PROMPT}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected(VLLM_MODEL)}\n`);
  });

  it('server SIGKILLed mid-stream: the same complete answer, exit 0, one retry reported', async () => {
    const tokens = 8;
    const crash = { ACODE_FAKE_TOKENS: String(tokens), ACODE_FAKE_CRASH_AFTER_TOKENS: '5', ACODE_FAKE_CRASH_MODE: 'sigkill' };
    const port = await freePort();
    const p = await setup(`providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port }, { stop_on_exit: true })}`);
    const json = await p.acode(['ask', '--json', PROMPT], { env: crash });
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ text: expected(VLLM_MODEL, tokens), provider: 'vllm', retries: 1 });
    expect(out.usage).toMatchObject({ completionTokens: tokens });
    expect(json.stderr).toMatch(/vllm: crashed\n/);

    const text = await p.acode(['ask', PROMPT], { env: crash });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`${expected(VLLM_MODEL, tokens)}\n`);
    expect(text.stderr.match(/retry \d/g)).toEqual(['retry 1']);
    expect(text.stderr).toMatch(/STREAM_INTERRUPTED; resuming the answer/);
    // stop_on_exit: the restarted server was stopped when the CLI exited.
    expect(p.startedPids()).toEqual([]);
  });

  it('a server that cannot start: the fallback provider answers and the reason is printed', async () => {
    const [vllmPort, llamaPort] = [await freePort(), await freePort()];
    const p = await setup(`providers:\n  active: vllm\n${providerYaml('vllm', { model: 'nobody/no-such-model', port: vllmPort })}`
      + `${providerYaml('llamacpp', { model: LLAMA_MODEL, port: llamaPort }, { stop_on_exit: true })}fallback: [llamacpp]\n`);
    const r = await p.acode(['ask', PROMPT]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected(LLAMA_MODEL)}\n`);
    expect(r.stderr).toMatch(/note: vllm could not answer: .*\(START_FAILED\); trying llamacpp\n/);
    expect(r.stderr).toMatch(/answered by llamacpp\n/);

    const j = await p.acode(['ask', '--json', PROMPT]);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ provider: 'llamacpp', fallback: [{ provider: 'vllm', code: 'START_FAILED' }] });
  });

  it('airgapped with the model missing: one error with the pre-stage hint, nothing pulled or started', async () => {
    const server = await startTestServer('ollama');
    servers.push(server);
    const p = await setup(`mode: airgapped\nproviders:\n  active: ollama\n`
      + providerYaml('ollama', { model: 'llama3.2:latest', port: server.port }, { mode: 'monitored' }));
    const r = await p.acode(['ask', PROMPT]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    const errorLines = r.stderr.split('\n').filter((l) => /^(error|hint)/.test(l));
    expect(errorLines).toHaveLength(2);
    expect(errorLines[0]).toMatch(/^error\[MODEL_NOT_FOUND\]: .*llama3\.2:latest/);
    expect(errorLines[1]).toMatch(/^hint: Pre-stage it with `ollama pull llama3\.2:latest`/);
    const tags = await (await fetch(`${server.url}/api/tags`)).json() as { models: unknown[] };
    expect(tags.models).toEqual([]);
    expect(p.startedPids()).toEqual([]);
  });

  it('a server trickling its answer at 1 byte/s: RESPONSE_TIMEOUT from the configured timeouts, exit 6', async () => {
    const server = await startTestServer('vllm', { model: VLLM_MODEL, knobs: { slowBytesPerSecond: 1 } });
    servers.push(server);
    const p = await setup(`providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port }, { mode: 'monitored' })}`
      + '    timeouts: { response_seconds: 1, idle_seconds: 1 }\n');
    const r = await p.acode(['ask', PROMPT]);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error\[RESPONSE_TIMEOUT\]: vllm: .* sent no first token within 1 s/m);
    expect(r.stderr).toMatch(/^hint: .*raise providers\.vllm\.timeouts\.response_seconds\./m);
  });

  it('--schema: the answer is validated JSON, printed whole, and parsed into --json output', async () => {
    const server = await startTestServer('vllm', { model: VLLM_MODEL });
    servers.push(server);
    const p = await setup(`providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port })}`);
    const schema = { type: 'object', properties: { title: { type: 'string' }, lines: { type: 'integer' } }, required: ['title', 'lines'] };
    await writeFile(join(p.dir, 'haiku.schema.json'), JSON.stringify(schema));
    const r = await p.acode(['ask', '--json', '--schema', 'haiku.schema.json', PROMPT]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { text: string; json: Record<string, unknown> };
    expect(JSON.parse(out.text)).toEqual(out.json);
    expect(out.json).toEqual({ title: expect.any(String), lines: expect.any(Number) });
    expect(Number.isInteger(out.json.lines)).toBe(true);
  });

  it('usage errors: no prompt, unreadable schema', async () => {
    const p = await setup(`providers:\n  active: vllm\n`);
    const none = await p.acode(['ask']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error\[USAGE\]: No prompt given\.\nhint: /);
    const bad = await p.acode(['ask', '--schema', 'missing.json', 'hi']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error\[USAGE\]: Cannot read the schema file .*missing\.json\./);
    expect(p.startedPids()).toEqual([]);
  });

  it('an unknown provider id: error listing the configured ones, nothing started', async () => {
    const p = await setup(`providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}`
      + providerYaml('ollama', { model: 'llama3.2:latest', port: await freePort() }));
    const r = await p.acode(['ask', '--provider', 'vlm', PROMPT]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    // The four known ids always exist (with defaults), so they are listed along with the file's.
    expect(r.stderr).toMatch(/^error\[PROVIDER_UNKNOWN\]: No provider "vlm" is configured in .*config\.yml\.\nhint: Use one of: [a-z, ]+\.\n$/);
    const listed = /Use one of: ([a-z, ]+)\./.exec(r.stderr)?.[1]?.split(', ');
    expect(listed).toEqual(expect.arrayContaining(['vllm', 'ollama']));
    expect(p.startedPids()).toEqual([]);
  });
});
