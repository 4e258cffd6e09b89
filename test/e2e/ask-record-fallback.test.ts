// `acode --record FILE ask` where the first provider's server dies on the first token and the fallback
// answers: the recording holds the request machine, and `acode replay FILE` replays it and prints its
// path (selecting -> acquiring -> streaming -> interrupted -> recovering -> falling-back -> ... -> done).
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { STAGED_GGUF, startTestServer, type TestServer } from '../servers/harness.js';
import { project, providerYaml, type Project } from './project.js';

const VLLM_MODEL = 'meta-llama/Llama-2-7b-hf';
const PROMPT = 'write a haiku about local servers';

let servers: TestServer[] = [];
let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(projects.map((p) => p.cleanup()));
  servers = [];
  projects = [];
});

describe('acode --record ask with a fallback, then acode replay', () => {
  it('replays the request machine: vllm crashes mid-stream, llamacpp answers', async () => {
    const crashing = await startTestServer('vllm', { model: VLLM_MODEL, knobs: { crashAfterTokens: 0 } });
    const answering = await startTestServer('llama-server', { model: STAGED_GGUF });
    servers.push(crashing, answering);
    const p = await project(
      `providers:\n  active: vllm\n` +
        providerYaml('vllm', { model: VLLM_MODEL, port: crashing.port }, { mode: 'monitored' }) +
        providerYaml('llamacpp', { model: STAGED_GGUF, port: answering.port }, { mode: 'monitored' }) +
        'fallback: [llamacpp]\n',
    );
    projects.push(p);
    const file = join(p.dir, 'ask.jsonl');

    const r = await p.acode(['--record', file, 'ask', PROMPT]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/trying llamacpp\n/);
    expect(r.stderr).toMatch(/answered by llamacpp\n/);
    expect(await readFile(file, 'utf8')).toContain('"actor":"request.1"');

    const replay = await p.acode(['replay', file]);
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^request\.1: replay matches the recording/m);
    const json = await p.acode(['replay', '--json', file]);
    const request = (JSON.parse(json.stdout) as { actor: string; replayed: string[] }[]).find(
      (x) => x.actor === 'request.1',
    );
    expect(request?.replayed).toEqual([
      'selecting',
      'acquiring',
      'streaming',
      'interrupted',
      'recovering',
      'falling-back',
      'selecting',
      'acquiring',
      'streaming',
      'done',
    ]);
  });
});
