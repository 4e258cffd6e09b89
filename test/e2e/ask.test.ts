// `acode ask` end to end: the built CLI as a child process, the stand-in servers on PATH, free ports.
// Build first: npx tsc -p tsconfig.json
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STAGED_GGUF, expectedChat, freePort, startTestServer, type TestServer } from '../servers/harness.js';
import { promptTokenCount, chatPrompt } from '../servers/lib/tokens.js';
import { project, providerYaml, type Project } from './project.js';

const VLLM_MODEL = 'meta-llama/Llama-2-7b-hf';
const LLAMA_MODEL = STAGED_GGUF;
const PROMPT = 'write a haiku about local servers';
const expected = (model: string, tokens?: number) =>
  expectedChat({ model, messages: [{ role: 'user', content: PROMPT }], ...(tokens !== undefined ? { tokens } : {}) })
    .text;

let projects: Project[] = [];
let servers: TestServer[] = [];
let scratch: string[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(projects.map((p) => p.cleanup()));
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
  projects = [];
  servers = [];
  scratch = [];
});

async function setup(yaml: string): Promise<Project> {
  const p = await project(yaml);
  projects.push(p);
  return p;
}

/** A file for a stand-in's request log (ACODE_FAKE_REQUEST_LOG), in a scratch dir removed after the test. */
async function requestLog(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'acode-e2e-requests-'));
  scratch.push(dir);
  return join(dir, 'requests.jsonl');
}

/** The bodies of the chat requests a stand-in logged. */
async function chatBodies(log: string): Promise<Array<Record<string, unknown>>> {
  const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '');
  return lines
    .map((l) => JSON.parse(l) as { path: string; body: Record<string, unknown> })
    .filter((r) => r.path === '/v1/chat/completions' || r.path === '/api/chat')
    .map((r) => r.body);
}

const SYSTEM = 'Answer like a sailor.';
const WITH_SYSTEM = [
  { role: 'system', content: SYSTEM },
  { role: 'user', content: PROMPT },
];

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
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port }, { stop_on_exit: true })}`,
    );
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
    const p = await setup(
      `providers:\n  active: ollama\n${providerYaml('ollama', { model: 'llama3.2:latest', port }, { stop_on_exit: true })}`,
    );
    const r = await p.acode(['ask', PROMPT], {
      env: { ACODE_FAKE_PULL_BYTES: '2000000', ACODE_FAKE_PULL_BPS: '8000000', OLLAMA_MODELS: `${p.dir}/models` },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected('llama3.2:latest')}\n`);
    expect(r.stderr).toMatch(/ollama: starting\n/);
    expect(r.stderr).toMatch(/ollama: pulling llama3\.2:latest \d+%\n/);
    expect(p.startedPids()).toEqual([]);
  });

  it('reads the prompt from stdin', async () => {
    const server = await startTestServer('vllm', { model: VLLM_MODEL });
    servers.push(server);
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port })}`,
    );
    const r = await p.acode(['ask'], { stdin: `${PROMPT}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected(VLLM_MODEL)}\n`);
  });

  it('server SIGKILLed mid-stream: the same complete answer, exit 0, one retry reported', async () => {
    const tokens = 8;
    const crash = {
      ACODE_FAKE_TOKENS: String(tokens),
      ACODE_FAKE_CRASH_AFTER_TOKENS: '5',
      ACODE_FAKE_CRASH_MODE: 'sigkill',
    };
    const port = await freePort();
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port }, { stop_on_exit: true })}`,
    );
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

  it('usage after a resumed stream adds up and counts both requests, the resent text as prompt', async () => {
    const tokens = 8;
    const crash = {
      ACODE_FAKE_TOKENS: String(tokens),
      ACODE_FAKE_CRASH_AFTER_TOKENS: '5',
      ACODE_FAKE_CRASH_MODE: 'sigkill',
    };
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() }, { stop_on_exit: true })}`,
    );
    const r = await p.acode(['ask', '--json', PROMPT], { env: crash });
    expect(r.code, r.stderr).toBe(0);
    const usage = (
      JSON.parse(r.stdout) as { usage: { promptTokens: number; completionTokens: number; totalTokens: number } }
    ).usage;
    const prompt = promptTokenCount(chatPrompt([{ role: 'user', content: PROMPT }]));
    // The broken request: the prompt, 5 tokens delivered. The resumed one: the prompt plus the 5 resent, 3 more.
    expect(usage).toEqual({
      promptTokens: prompt + (prompt + 5),
      completionTokens: 5 + 3,
      totalTokens: 2 * prompt + 13,
    });
  });

  it('after the last retry the error says acode gave up and its hint promises no retry', async () => {
    // Every start of the server dies after 2 tokens: the first request and its 3 retries all break.
    const crash = { ACODE_FAKE_TOKENS: '24', ACODE_FAKE_CRASH_AFTER_TOKENS: '2', ACODE_FAKE_CRASH_MODE: 'sigkill' };
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() }, { stop_on_exit: true, max_restarts: 5 })}`,
    );
    const r = await p.acode(['ask', PROMPT], { env: crash });
    expect(r.code).toBe(6);
    expect(r.stderr.match(/retry \d/g)).toEqual(['retry 1', 'retry 2', 'retry 3']);
    expect(r.stderr).toMatch(/^error\[STREAM_INTERRUPTED\]: vllm: .* acode gave up after 3 retries\.$/m);
    const hint = /^hint: (.*)$/m.exec(r.stderr)?.[1];
    expect(hint).toBe(
      'The server went away or could not be reached 4 times during this request; see why with `acode providers status vllm` and its log, then ask again.',
    );
    expect(p.startedPids()).toEqual([]);
  });

  it('--system, --max-tokens and --temperature reach the vLLM wire; the answer stops at the limit', async () => {
    const log = await requestLog();
    const server = await startTestServer('vllm', { model: VLLM_MODEL, knobs: { requestLog: log } });
    servers.push(server);
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port })}`,
    );
    const r = await p.acode(['ask', '--json', '--system', SYSTEM, '--max-tokens', '5', '--temperature', '0.3', PROMPT]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { text: string; finishReason: string; usage: { completionTokens: number } };
    expect(out).toMatchObject({
      text: expectedChat({ model: VLLM_MODEL, messages: WITH_SYSTEM, maxTokens: 5 }).text,
      finishReason: 'length',
    });
    expect(out.usage.completionTokens).toBe(5);
    const [body] = await chatBodies(log);
    expect(body).toMatchObject({ messages: WITH_SYSTEM, max_tokens: 5, temperature: 0.3, stream: true });
  });

  it('--system, --max-tokens and --temperature reach the Ollama wire as a system message and options', async () => {
    const log = await requestLog();
    const server = await startTestServer('ollama', { model: 'llama3.2:latest', knobs: { requestLog: log } });
    servers.push(server);
    const p = await setup(
      `providers:\n  active: ollama\n${providerYaml('ollama', { model: 'llama3.2:latest', port: server.port }, { mode: 'monitored' })}`,
    );
    const r = await p.acode(['ask', '--system', SYSTEM, '--max-tokens', '4', '--temperature', '0', PROMPT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${expectedChat({ model: 'llama3.2:latest', messages: WITH_SYSTEM, maxTokens: 4 }).text}\n`);
    const [body] = await chatBodies(log);
    expect(body).toMatchObject({ messages: WITH_SYSTEM, options: { num_predict: 4, temperature: 0 } });
  });

  it('--max-tokens holds across a resume: the continuation asks only for what is left', async () => {
    const crash = { ACODE_FAKE_TOKENS: '8', ACODE_FAKE_CRASH_AFTER_TOKENS: '3', ACODE_FAKE_CRASH_MODE: 'sigkill' };
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() }, { stop_on_exit: true })}`,
    );
    const r = await p.acode(['ask', '--json', '--max-tokens', '6', PROMPT], { env: crash });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      text: string;
      finishReason: string;
      retries: number;
      usage: { completionTokens: number };
    };
    expect(out).toMatchObject({
      text: expectedChat({ model: VLLM_MODEL, messages: [{ role: 'user', content: PROMPT }], tokens: 8, maxTokens: 6 })
        .text,
      finishReason: 'length',
      retries: 1,
    });
    expect(out.usage.completionTokens).toBe(6);
  });

  it('--no-stream asks with complete(): the answer prints once complete, a break retries the whole request', async () => {
    const server = await startTestServer('vllm', { model: VLLM_MODEL });
    servers.push(server);
    const ok = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port })}`,
    );
    const r = await ok.acode(['ask', '--no-stream', '--json', PROMPT]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ text: expected(VLLM_MODEL), provider: 'vllm', finishReason: 'stop' });

    // Every start of this server dies after 5 of 8 tokens. A stream would resume and finish; complete()
    // showed nothing, so it retries the whole request, which breaks each time: no partial text printed.
    const crash = { ACODE_FAKE_TOKENS: '8', ACODE_FAKE_CRASH_AFTER_TOKENS: '5', ACODE_FAKE_CRASH_MODE: 'sigkill' };
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() }, { stop_on_exit: true, max_restarts: 5 })}`,
    );
    const broken = await p.acode(['ask', '--no-stream', PROMPT], { env: crash });
    expect(broken.code).toBe(6);
    expect(broken.stdout).toBe('');
    expect(broken.stderr.match(/STREAM_INTERRUPTED; retrying \(retry \d\)/g)).toHaveLength(3);
    expect(broken.stderr).not.toMatch(/resuming/);
  });

  it('bad --max-tokens / --temperature / --system values: USAGE with a hint, nothing started', async () => {
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}`,
    );
    const cases: Array<[string[], RegExp]> = [
      [
        ['--max-tokens', '0'],
        /^error\[USAGE\]: --max-tokens "0" is not a positive integer\.\nhint: Pass the most tokens/,
      ],
      [['--max-tokens', '2.5'], /^error\[USAGE\]: --max-tokens "2\.5" is not a positive integer\./],
      [['--max-tokens', 'lots'], /^error\[USAGE\]: --max-tokens "lots" is not a positive integer\./],
      [
        ['--temperature', '3'],
        /^error\[USAGE\]: --temperature "3" is not a number from 0 to 2\.\nhint: Pass e\.g\. `--temperature 0`/,
      ],
      [['--temperature', '-0.5'], /^error\[USAGE\]: --temperature "-0\.5" is not a number from 0 to 2\./],
      [['--temperature', 'warm'], /^error\[USAGE\]: --temperature "warm" is not a number from 0 to 2\./],
      [['--system', ' '], /^error\[USAGE\]: --system is empty\.\nhint: /],
    ];
    for (const [flags, want] of cases) {
      const r = await p.acode(['ask', ...flags, PROMPT]);
      expect(r.code, `${flags.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(want);
      expect(r.stdout).toBe('');
    }
    expect(p.recordedPids()).toEqual([]);
  });

  it('a server that cannot start: the fallback provider answers and the reason is printed', async () => {
    const [vllmPort, llamaPort] = [await freePort(), await freePort()];
    // On the hub (acode pulls it), unknown to the vLLM stand-in: vLLM itself exits at start.
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: 'acode-test/tiny-llm', port: vllmPort })}` +
        `${providerYaml('llamacpp', { model: LLAMA_MODEL, port: llamaPort }, { stop_on_exit: true })}fallback: [llamacpp]\n`,
    );
    const r = await p.acode(['ask', PROMPT]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected(LLAMA_MODEL)}\n`);
    expect(r.stderr).toMatch(/note: vllm could not answer: .*\(START_FAILED\); trying llamacpp\n/);
    expect(r.stderr).toMatch(/answered by llamacpp\n/);

    const j = await p.acode(['ask', '--json', PROMPT]);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({
      provider: 'llamacpp',
      fallback: [{ provider: 'vllm', code: 'START_FAILED' }],
    });
  });

  it('airgapped with the model missing: one error with the pre-stage hint, nothing pulled or started', async () => {
    const server = await startTestServer('ollama');
    servers.push(server);
    const p = await setup(
      `mode: airgapped\nproviders:\n  active: ollama\n` +
        providerYaml('ollama', { model: 'llama3.2:latest', port: server.port }, { mode: 'monitored' }),
    );
    const r = await p.acode(['ask', PROMPT]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    const errorLines = r.stderr.split('\n').filter((l) => /^(error|hint)/.test(l));
    expect(errorLines).toHaveLength(2);
    expect(errorLines[0]).toMatch(/^error\[MODEL_NOT_FOUND\]: .*llama3\.2:latest/);
    expect(errorLines[1]).toMatch(/^hint: Pre-stage it with `ollama pull llama3\.2:latest`/);
    const tags = (await (await fetch(`${server.url}/api/tags`)).json()) as { models: unknown[] };
    expect(tags.models).toEqual([]);
    expect(p.startedPids()).toEqual([]);
  });

  it('a server trickling its answer at 1 byte/s: RESPONSE_TIMEOUT from the configured timeouts, exit 6', async () => {
    const server = await startTestServer('vllm', { model: VLLM_MODEL, knobs: { slowBytesPerSecond: 1 } });
    servers.push(server);
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port }, { mode: 'monitored' })}` +
        '    timeouts: { response_seconds: 1, idle_seconds: 1 }\n',
    );
    const r = await p.acode(['ask', PROMPT]);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error\[RESPONSE_TIMEOUT\]: vllm: .* sent no first token within 1 s/m);
    expect(r.stderr).toMatch(/^hint: .*raise providers\.vllm\.timeouts\.response_seconds\./m);
  });

  it('--schema: the answer is validated JSON, printed whole, and parsed into --json output', async () => {
    const server = await startTestServer('vllm', { model: VLLM_MODEL });
    servers.push(server);
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port })}`,
    );
    const schema = {
      type: 'object',
      properties: { title: { type: 'string' }, lines: { type: 'integer' } },
      required: ['title', 'lines'],
    };
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
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}` +
        providerYaml('ollama', { model: 'llama3.2:latest', port: await freePort() }),
    );
    const r = await p.acode(['ask', '--provider', 'vlm', PROMPT]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    // The four known ids always exist (with defaults), so they are listed along with the file's.
    expect(r.stderr).toMatch(
      /^error\[PROVIDER_UNKNOWN\]: No provider "vlm" is configured in .*config\.yml \(did you mean 'vllm'\?\)\.\nhint: Use one of: [a-z, ]+\.\n$/,
    );
    const listed = /Use one of: ([a-z, ]+)\./.exec(r.stderr)?.[1]?.split(', ');
    expect(listed).toEqual(expect.arrayContaining(['vllm', 'ollama']));
    expect(p.startedPids()).toEqual([]);
  });
});

// Authenticated servers (vLLM `--api-key`/VLLM_API_KEY, llama-server LLAMA_API_KEY): the managed lifecycle
// hands the key to the server in its own variable and sends it on every request; without it the answer is
// AUTH_FAILED naming the variable. The key is never in argv, a state file or the output.
const KEY = 'e2e-api-key-0123456789abcdef';

function stateText(p: Project): string {
  if (!existsSync(p.stateDir)) return '';
  return readdirSync(p.stateDir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(p.stateDir, f))
    .map((f) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    })
    .join('\n');
}

describe('acode ask against authenticated servers (built CLI, stand-ins)', { timeout: 120_000 }, () => {
  it('managed vLLM with VLLM_API_KEY set: the server requires the key, acode sends it, the answer comes back', async () => {
    const port = await freePort();
    const p = await setup(`providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port })}`);
    const r = await p.acode(['ask', PROMPT], { env: { VLLM_API_KEY: KEY } });
    expect(r.stderr).not.toMatch(/AUTH_FAILED|Unauthorized/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expected(VLLM_MODEL)}\n`);
    const [pid] = p.startedPids();
    expect(pid).toBeDefined();
    // The server really is authenticated (it read VLLM_API_KEY), and the key is not on its command line.
    const unauthenticated = await fetch(`http://127.0.0.1:${port}/v1/models`);
    expect(unauthenticated.status).toBe(401);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(KEY);
    expect(stateText(p)).not.toContain(KEY);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('managed llama-server with api_key_env: TEAM_LLAMA_TOKEN: the key reaches it as LLAMA_API_KEY', async () => {
    const port = await freePort();
    const p = await setup(
      `providers:\n  active: llamacpp\n${providerYaml('llamacpp', { model: LLAMA_MODEL, port, api_key_env: 'TEAM_LLAMA_TOKEN' })}`,
    );
    const r = await p.acode(['ask', '--json', PROMPT], { env: { TEAM_LLAMA_TOKEN: KEY } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ provider: 'llamacpp', text: expect.any(String) });
    const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      body: '{"messages":[]}',
    });
    expect(chat.status).toBe(401);
    expect(stateText(p) + r.stdout + r.stderr).not.toContain(KEY);
  });

  it("a running vLLM with --api-key and no VLLM_API_KEY in acode's env: AUTH_FAILED naming the variable, exit 6", async () => {
    const server = await startTestServer('vllm', { model: VLLM_MODEL, args: ['--api-key', KEY] });
    servers.push(server);
    const p = await setup(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port }, { mode: 'monitored' })}`,
    );
    const r = await p.acode(['ask', PROMPT]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /error\[AUTH_FAILED\]: vllm: .* requires an API key \(401: Unauthorized\), and VLLM_API_KEY is not set\./,
    );
    expect(r.stderr).toMatch(/hint: Set VLLM_API_KEY /);
    // The server is ours to use, not a stranger on the port and not down.
    const status = await p.acode(['status', '--json']);
    expect(status.stdout).not.toMatch(/PORT_IN_USE|PROVIDER_UNAVAILABLE/);
    expect(status.stdout).toMatch(/AUTH_FAILED/);
    expect(status.stdout).toMatch(/VLLM_API_KEY/);
  });
});
