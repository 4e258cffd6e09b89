// A server that exits while starting (built CLI, the stand-ins with a model they cannot load): text
// mode prints the log lines that explain the exit and names the log file; no hint points at "details".
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../servers/harness.js';
import { project, providerYaml, type Project } from './project.js';

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

async function startOne(id: 'vllm' | 'llamacpp', model: string) {
  const port = await freePort();
  const p = await project(`providers:\n  active: ${id}\n${providerYaml(id, { model, port })}`);
  projects.push(p);
  // llama-server's model is a file: one that exists (acode checks that before spawning) but is no model.
  if (id === 'llamacpp') await writeFile(join(p.dir, model), 'not a GGUF file\n');
  const r = await p.acode(['providers', 'start', id]);
  const lines = r.stderr.split('\n');
  const at = lines.findIndex((l) => l.startsWith('error[START_FAILED]'));
  const hint = lines.find((l) => l.startsWith('hint: ')) ?? '';
  const logFile = /\((\/\S+\.log)\)/.exec(hint)?.[1];
  return {
    r,
    excerpt: lines.slice(
      at + 1,
      lines.findIndex((l) => l.startsWith('hint: ')),
    ),
    hint,
    logFile,
  };
}

describe('START_FAILED in text mode', { timeout: 120_000 }, () => {
  // The hub has it (acode pulls it first), the vLLM stand-in does not know it and exits as vLLM does for
  // a model it cannot resolve. An id the hub lacks never gets this far (vllm-hub-start.test.ts).
  it('vLLM with a model id it cannot resolve: the ValueError, then the log file in the hint', async () => {
    const { r, excerpt, hint, logFile } = await startOne('vllm', 'acode-test/tiny-llm');
    expect(r.code).toBe(3);
    expect(excerpt).toEqual([
      "  > ValueError: Invalid repository ID or local directory specified: 'acode-test/tiny-llm'.",
    ]);
    expect(hint).toMatch(/^hint: Fix what its log \(\/\S+\.log\) reports, then run `acode providers start vllm`\.$/);
    expect(logFile !== undefined && existsSync(logFile) && readFileSync(logFile, 'utf8')).toContain(
      'Traceback (most recent call last)',
    );
    expect(r.stderr).not.toContain('details');
  });

  it('llama-server with a model file it cannot load: error loading model and how it ended', async () => {
    const { r, excerpt, logFile } = await startOne('llamacpp', 'no-such-model.gguf');
    expect(r.code).toBe(3);
    expect(excerpt).toEqual([
      '  > llama_model_load: error loading model: llama_model_loader: failed to load model from no-such-model.gguf',
      '  > main: exiting due to model loading error',
    ]);
    expect(logFile !== undefined && readFileSync(logFile, 'utf8')).toContain(
      'main: exiting due to model loading error',
    );
    expect(r.stderr).not.toContain('details');
  });
});
