// `acode ask` against authenticated servers (vLLM `--api-key`/VLLM_API_KEY, llama-server LLAMA_API_KEY):
// the managed lifecycle hands the key to the server in its own variable and sends it on every request;
// without it, the answer is AUTH_FAILED naming the variable. The key is never in argv or a state file.
// Build first: npm run build
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedChat, freePort, startTestServer, type TestServer } from '../servers/harness.js';
import { project, providerYaml, type Project } from './project.js';

const VLLM_MODEL = 'meta-llama/Llama-2-7b-hf';
const LLAMA_MODEL = 'qwen2.5-0.5b-instruct-q4_k_m.gguf';
const PROMPT = 'write a haiku about local servers';
const KEY = 'e2e-api-key-0123456789abcdef';

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

function stateText(p: Project): string {
  if (!existsSync(p.stateDir)) return '';
  return readdirSync(p.stateDir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(p.stateDir, f))
    .map((f) => { try { return readFileSync(f, 'utf8'); } catch { return ''; } })
    .join('\n');
}

describe('acode ask against authenticated servers (built CLI, stand-ins)', { timeout: 120_000 }, () => {
  it('managed vLLM with VLLM_API_KEY set: the server requires the key, acode sends it, the answer comes back', async () => {
    const port = await freePort();
    const p = await setup(`providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port })}`);
    const r = await p.acode(['ask', PROMPT], { env: { VLLM_API_KEY: KEY } });
    expect(r.stderr).not.toMatch(/AUTH_FAILED|Unauthorized/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${expectedChat({ model: VLLM_MODEL, messages: [{ role: 'user', content: PROMPT }] }).text}\n`);
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
    const p = await setup(`providers:\n  active: llamacpp\n${providerYaml('llamacpp', { model: LLAMA_MODEL, port, api_key_env: 'TEAM_LLAMA_TOKEN' })}`);
    const r = await p.acode(['ask', '--json', PROMPT], { env: { TEAM_LLAMA_TOKEN: KEY } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ provider: 'llamacpp', text: expect.any(String) });
    const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', body: '{"messages":[]}' });
    expect(chat.status).toBe(401);
    expect(stateText(p) + r.stdout + r.stderr).not.toContain(KEY);
  });

  it('a running vLLM with --api-key and no VLLM_API_KEY in acode\'s env: AUTH_FAILED naming the variable, exit 6', async () => {
    const server = await startTestServer('vllm', { model: VLLM_MODEL, args: ['--api-key', KEY] });
    servers.push(server);
    const p = await setup(`providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: server.port }, { mode: 'monitored' })}`);
    const r = await p.acode(['ask', PROMPT]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/error\[AUTH_FAILED\]: vllm: .* requires an API key \(401: Unauthorized\), and VLLM_API_KEY is not set\./);
    expect(r.stderr).toMatch(/hint: Set VLLM_API_KEY /);
    // The server is ours to use, not a stranger on the port and not down.
    const status = await p.acode(['status', '--json']);
    expect(status.stdout).not.toMatch(/PORT_IN_USE|PROVIDER_UNAVAILABLE/);
    expect(status.stdout).toMatch(/AUTH_FAILED/);
    expect(status.stdout).toMatch(/VLLM_API_KEY/);
  });
});
