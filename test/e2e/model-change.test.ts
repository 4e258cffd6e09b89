// A one-shot `acode ask` after the user changed `model:` in the config, while the server an earlier
// acode started still runs with the old model: the new process restarts that server with the configured
// model and answers with it, instead of "serves a different model". The built CLI against the vLLM
// stand-in (which lists the model it serves) and the llama-server stand-in (which lists whatever file
// it loaded: the argv in acode's pid file tells).
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readPidFile } from '../../actors/state-dir.js';
import { STAGED_GGUF, expectedChat, freePort } from '../servers/harness.js';
import { alive, project, providerYaml, type Project } from './project.js';

const PROMPT = 'say hi';

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

interface Case {
  kind: 'vllm' | 'llamacpp';
  /** The model before and after the edit (llama-server: B is a copy of the staged file in the project). */
  models(dir: string): Promise<[string, string]>;
}

const CASES: Case[] = [
  { kind: 'vllm', models: async () => ['Qwen/Qwen2.5-0.5B-Instruct', 'Qwen/Qwen2.5-1.5B-Instruct'] },
  {
    kind: 'llamacpp',
    models: async (dir) => {
      const other = join(dir, 'other.gguf');
      await copyFile(STAGED_GGUF, other);
      return [STAGED_GGUF, other];
    },
  },
];

const configYaml = (kind: string, port: number, model: string): string =>
  `providers:\n  active: ${kind}\n${providerYaml(kind, { model, port })}`;

/** The pid and argv the project's pid file for this server records now. */
async function pidRecord(p: Project, kind: Case['kind'], port: number): Promise<{ pid: number; args: string[] }> {
  const record = await readPidFile(p.stateDir, { id: kind, kind, host: '127.0.0.1', port });
  if (!record) throw new Error(`no ${kind} pid file in ${p.stateDir}`);
  return { pid: record.pid, args: record.args ?? [] };
}

describe('model change between two acode runs (built CLI, stand-in servers)', { timeout: 120_000 }, () => {
  it.each(CASES)(
    '$kind: `acode ask` restarts the server acode started with the old model and answers with the configured one',
    async ({ kind, models }) => {
      const port = await freePort();
      const p = await project('');
      projects.push(p);
      const [modelA, modelB] = await models(p.dir);
      const file = join(p.dir, '.agent', 'config.yml');
      await writeFile(file, configYaml(kind, port, modelA));
      const started = await p.acode(['providers', 'start', kind, '--json']);
      expect(started.code, started.stderr).toBe(0);
      const before = await pidRecord(p, kind, port);
      expect(before.args).toContain(modelA);

      await writeFile(file, configYaml(kind, port, modelB));
      const r = await p.acode(['ask', PROMPT]);
      expect(r.stderr).not.toMatch(/serves a different model/);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${expectedChat({ model: modelB, messages: [{ role: 'user', content: PROMPT }] }).text}\n`);

      const after = await pidRecord(p, kind, port);
      expect(after.pid).not.toBe(before.pid);
      expect(after.args).toContain(modelB);
      expect(alive(before.pid)).toBe(false);
      expect(alive(after.pid)).toBe(true);
    },
  );
});
