// A one-shot `acode ask` after the user changed `model:` in the config, while the vLLM an earlier acode
// started still runs with the old model: the new process restarts that server with the configured
// model and answers with it, instead of "serves a different model". The built CLI, stand-in vLLM.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedChat, freePort } from '../servers/harness.js';
import { readPidFile } from '../../actors/state-dir.js';
import { alive, project, providerYaml, type Project } from './project.js';

const MODEL_A = 'Qwen/Qwen2.5-0.5B-Instruct';
const MODEL_B = 'Qwen/Qwen2.5-1.5B-Instruct';
const PROMPT = 'say hi';

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

const configYaml = (port: number, model: string): string => `providers:\n  active: vllm\n${providerYaml('vllm', { model, port })}`;

/** The pid and argv the project's vLLM pid file records now. */
async function pidRecord(p: Project, port: number): Promise<{ pid: number; args: string[] }> {
  const record = await readPidFile(p.stateDir, { id: 'vllm', kind: 'vllm', host: '127.0.0.1', port });
  if (!record) throw new Error(`no vllm pid file in ${p.stateDir}`);
  return { pid: record.pid, args: record.args ?? [] };
}

describe('model change between two acode runs (built CLI, stand-in vLLM)', { timeout: 120_000 }, () => {
  it('`acode ask` restarts the vLLM acode started with the old model and answers with the configured one', async () => {
    const port = await freePort();
    const p = await project(configYaml(port, MODEL_A));
    projects.push(p);
    const started = await p.acode(['providers', 'start', 'vllm', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const before = await pidRecord(p, port);
    expect(before.args).toContain(MODEL_A);

    await writeFile(join(p.dir, '.agent', 'config.yml'), configYaml(port, MODEL_B));
    const r = await p.acode(['ask', PROMPT]);
    expect(r.stderr).not.toMatch(/serves a different model/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${expectedChat({ model: MODEL_B, messages: [{ role: 'user', content: PROMPT }] }).text}\n`);

    const after = await pidRecord(p, port);
    expect(after.pid).not.toBe(before.pid);
    expect(after.args).toContain(MODEL_B);
    expect(alive(before.pid)).toBe(false);
    expect(alive(after.pid)).toBe(true);
  });
});
