// `acode config validate` on a file that parses but describes a setup `acode ask` refuses: a warning
// with ask's own message and hint, exit code 0, and the same list in --json.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../servers/lib/free-port.js';
import { runInProcess } from './helpers.js';
import { tempDir } from '../support/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

async function writeConfig(yaml: string): Promise<string> {
  await mkdir(join(dir, '.agent'), { recursive: true });
  const file = join(dir, '.agent', 'config.yml');
  await writeFile(file, yaml);
  return file;
}

const env = () => ({ PATH: '', ACODE_STATE_DIR: join(dir, '.state') });

describe('config validate warns about what ask would refuse', () => {
  it('vLLM without a model: valid, exit 0, a warning with the hint ask prints', async () => {
    // A free port: ask must find no server there and try to start one.
    const file = await writeConfig(`providers:\n  active: vllm\n  vllm:\n    port: ${await freePort()}\n`);
    const r = await runInProcess(['config', 'validate'], { cwd: dir, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `${file}: valid`,
        '1 warning: `acode ask` would refuse this (exit code 0: warnings do not fail validation):',
        '  warning[CONFIG_INVALID]: vllm: no model is configured, and vllm needs one to start.',
        '  hint: Set providers.vllm.model in .agent/config.yml.',
        '',
      ].join('\n'),
    );
    // The same refusal, word for word, is what ask stops with.
    const ask = await runInProcess(['ask', 'hi'], { cwd: dir, env: env() });
    expect(ask.stderr).toContain(
      'error[CONFIG_INVALID]: vllm: no model is configured, and vllm needs one to start.\nhint: Set providers.vllm.model in .agent/config.yml.',
    );
  });

  it('checks the fallbacks too, and lists the warnings in --json', async () => {
    await writeConfig(
      'mode: local-only\nfallback: [llamacpp, far]\nproviders:\n  active: ollama\n  llamacpp:\n    model: /nonexistent/tiny.gguf\n' +
        '  far:\n    type: openai-compatible\n    base_url: http://10.1.2.3:8000\n',
    );
    const r = await runInProcess(['config', 'validate', '--json'], { cwd: dir, env: env() });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      valid: boolean;
      warnings: { provider: string; code: string; hint: string }[];
    };
    expect(doc.valid).toBe(true);
    expect(doc.warnings).toEqual([
      expect.objectContaining({
        provider: 'llamacpp',
        code: 'MODEL_NOT_FOUND',
        message: 'llamacpp: the model file /nonexistent/tiny.gguf does not exist.',
      }),
      expect.objectContaining({
        provider: 'far',
        code: 'MODE_FORBIDDEN',
        hint: 'Use a provider on 127.0.0.1, or change mode: in .agent/config.yml.',
      }),
    ]);
  });

  it('a config ask can use prints no warning', async () => {
    const file = await writeConfig('providers:\n  active: vllm\n  vllm:\n    model: m\n');
    const r = await runInProcess(['config', 'validate', '--json'], { cwd: dir, env: env() });
    expect(JSON.parse(r.stdout)).toMatchObject({ file, valid: true, warnings: [] });
    expect((await runInProcess(['config', 'validate'], { cwd: dir, env: env() })).stdout).toBe(`${file}: valid\n`);
  });
});
