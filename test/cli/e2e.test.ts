// Runs the BUILT binary (dist/cli/main.js) the way a user does. Build first: npx tsc -p tsconfig.json
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBuilt } from './helpers.js';
import { tempDir } from '../support/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

async function writeConfig(yaml: string, root = dir): Promise<string> {
  await mkdir(join(root, '.agent'), { recursive: true });
  const file = join(root, '.agent', 'config.yml');
  await writeFile(file, yaml);
  return file;
}

describe('acode (built)', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const r = await runBuilt(['--version'], { cwd: dir });
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('--help lists every command, and no stub of one that does not exist', async () => {
    const r = await runBuilt(['--help'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: acode/);
    expect(r.stdout).toMatch(/--config <path>/);
    const commands = [...r.stdout.split('Commands:')[1]!.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
    expect(commands).toEqual([
      'ask',
      'config',
      'provider',
      'providers',
      'models',
      'status',
      'tui',
      'gpus',
      'serve',
      'demo',
      'replay',
      'inspect',
      'help',
    ]);
  });

  it('an unknown command is a usage error with exit 2', async () => {
    const r = await runBuilt(['frobnicate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error\[USAGE\]: unknown command 'frobnicate'\nhint: Run `acode --help`/);
  });

  it('config validate without a file says defaults apply', async () => {
    const r = await runBuilt(['config', 'validate'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no config file .*defaults apply/);
  });

  it('config validate prints "<file>: valid" from a subdirectory', async () => {
    const file = await writeConfig('providers:\n  active: vllm\n  vllm:\n    model: m\n');
    const sub = join(dir, 'src', 'lib');
    await mkdir(sub, { recursive: true });
    const r = await runBuilt(['config', 'validate'], { cwd: sub });
    expect(r).toEqual({ code: 0, stdout: `${file}: valid\n`, stderr: '' });
  });

  it('config validate prints every problem with file:line:column, exit 2, no stack', async () => {
    const file = await writeConfig('mode: offline\nproviders:\n  active: ghost\n  vllm:\n    port: 70000\n');
    const r = await runBuilt(['config', 'validate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`error[CONFIG_INVALID]: ${file} is not valid (3 problems):`);
    expect(lines.slice(1, 4)).toEqual([
      `  ${file}:1:7: mode: must be one of local-only, burst, airgapped, got "offline"`,
      `  ${file}:3:11: providers.active: 'ghost' names no provider; configured ids: ollama, vllm, llamacpp, lmstudio`,
      `  ${file}:5:11: providers.vllm.port: must be an integer port from 1 to 65535, got 70000`,
    ]);
    expect(lines[4]).toMatch(/^hint: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('config validate --json puts the problems on stdout', async () => {
    await writeConfig('providers:\n  vllm:\n    gpu: { memory_utilization: 1.2 }\n');
    const r = await runBuilt(['config', 'validate', '--json'], { cwd: dir });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { valid: boolean; errors: { line: number; column: number; path: string }[] };
    expect(doc.valid).toBe(false);
    expect(doc.errors).toMatchObject([{ line: 3, column: 32, path: 'providers.vllm.gpu.memory_utilization' }]);
  });

  it('a secret in the file is CONFIG_SECRET naming the env var', async () => {
    await writeConfig('providers:\n  vllm:\n    hf_token: hf_abc\n');
    const r = await runBuilt(['config', 'validate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[CONFIG_SECRET\]/);
    expect(r.stderr).toMatch(/:3:5: providers\.vllm\.hf_token: looks like a secret; set HF_TOKEN/);
    expect(r.stderr).toMatch(/hint: .*HF_TOKEN/);
    expect(r.stderr).not.toContain('hf_abc');
  });

  it('--config naming a missing file is CONFIG_NOT_FOUND, exit 2', async () => {
    const r = await runBuilt(['--config', 'nope.yml', 'config', 'show'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error\[CONFIG_NOT_FOUND\]: Config file .*nope\.yml \(from --config\) does not exist\.\nhint: /,
    );
  });

  it('config show applies env overrides and masks secrets', async () => {
    await writeConfig('providers:\n  active: ollama\n  vllm: { port: 8001 }\n');
    const env = {
      OLLAMA_HOST: '127.0.0.1:7777',
      VLLM_PORT: '8100',
      HF_TOKEN: 'hf_supersecretvalue',
      ACODE_PROVIDER: 'vllm',
    };
    const text = await runBuilt(['config', 'show'], { cwd: dir, env });
    expect(text.code).toBe(0);
    expect(text.stdout).not.toContain('hf_supersecretvalue');
    expect(text.stdout).toMatch(/# env: OLLAMA_HOST=127\.0\.0\.1:7777 overrides/);
    expect(text.stdout).toMatch(/HF_TOKEN: "\*\*\*"/);
    expect(text.stdout).toMatch(/active: vllm/);
    const json = await runBuilt(['config', 'show', '--json'], { cwd: dir, env });
    const doc = JSON.parse(json.stdout) as {
      active: string;
      providers: Record<string, { port: number; baseUrl: string }>;
      secrets: Record<string, string>;
    };
    expect(doc.active).toBe('vllm');
    expect(doc.providers.ollama).toMatchObject({ port: 7777, baseUrl: 'http://127.0.0.1:7777' });
    expect(doc.providers.vllm).toMatchObject({ port: 8100 });
    expect(doc.secrets).toEqual({ HF_TOKEN: '***' });
    expect(json.stdout).not.toContain('hf_supersecretvalue');
  });

  it('provider set writes providers.active keeping comments; provider list marks it', async () => {
    const original = '# team settings\nproviders:\n  active: ollama   # default\n  vllm:\n    model: "m"  # gpu box\n';
    const file = await writeConfig(original);
    // Env overrides change the resolved config only: none of them may leak into the file.
    const set = await runBuilt(['provider', 'set', 'vllm'], {
      cwd: dir,
      env: { OLLAMA_HOST: '0.0.0.0:9', VLLM_PORT: '8123' },
    });
    expect(set).toEqual({ code: 0, stdout: `active provider: vllm (updated ${file})\n`, stderr: '' });
    expect(await readFile(file, 'utf8')).toBe(original.replace('active: ollama', 'active: vllm'));
    const list = await runBuilt(['provider', 'list'], { cwd: dir });
    expect(list.code).toBe(0);
    const rows = list.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^\s+ID\s+KIND\s+TYPE\s+MODEL\s+BASE URL\s+LIFECYCLE$/);
    expect(rows.filter((r) => r.startsWith('*'))).toEqual([
      expect.stringMatching(/^\*\s+vllm\s+vllm\s+openai-compatible\s+m\s+http:\/\/127\.0\.0\.1:8000\s+managed$/),
    ]);
    const json = await runBuilt(['provider', 'list', '--json'], { cwd: dir });
    const entries = JSON.parse(json.stdout) as { id: string; active: boolean }[];
    expect(entries.filter((e) => e.active).map((e) => e.id)).toEqual(['vllm']);
    expect(entries.map((e) => e.id)).toEqual(['ollama', 'vllm', 'llamacpp', 'lmstudio']);
  });

  it('provider set creates .agent/config.yml when there is none', async () => {
    const r = await runBuilt(['provider', 'set', 'lmstudio'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, '.agent', 'config.yml'), 'utf8')).toBe('providers:\n  active: lmstudio\n');
  });

  it('provider set with an unknown id is PROVIDER_UNKNOWN and writes nothing', async () => {
    const original = 'providers:\n  active: ollama\n';
    const file = await writeConfig(original);
    const r = await runBuilt(['provider', 'set', 'vlm'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error\[PROVIDER_UNKNOWN\]: No provider "vlm" is configured in .*config\.yml \(did you mean 'vllm'\?\)\.\nhint: Use one of: ollama, vllm, llamacpp, lmstudio/,
    );
    expect(await readFile(file, 'utf8')).toBe(original);
  });
});
