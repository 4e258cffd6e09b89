import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_LIFECYCLE,
  DEFAULT_REQUEST_TIMEOUTS,
  findProjectRoot,
  isAcodeError,
  loadConfig,
  locateConfig,
} from '../../config/index.js';
import { tempDir } from '../support/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

async function project(root: string, yaml?: string): Promise<string> {
  await mkdir(join(root, '.agent'), { recursive: true });
  const file = join(root, '.agent', 'config.yml');
  if (yaml !== undefined) await writeFile(file, yaml);
  return file;
}

async function thrown(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (isAcodeError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('finding .agent/config.yml', () => {
  it('uses the nearest parent that has .agent/, like git and .git', async () => {
    const outer = await project(dir, 'providers:\n  active: vllm\n');
    const inner = join(dir, 'pkg');
    const innerFile = await project(inner, 'providers:\n  active: lmstudio\n');
    const deep = join(inner, 'src', 'deep');
    await mkdir(deep, { recursive: true });
    expect(await findProjectRoot(deep)).toBe(inner);
    expect((await loadConfig({ cwd: deep, env: {} })).active).toBe('lmstudio');
    expect((await loadConfig({ cwd: join(dir), env: {} })).file).toBe(outer);
    expect((await locateConfig({ cwd: deep })).file).toBe(innerFile);
  });

  it('stops at the nearest .agent/ even when it has no config.yml (defaults apply)', async () => {
    await project(dir, 'providers:\n  active: vllm\n');
    const inner = join(dir, 'sub');
    await project(inner);
    const config = await loadConfig({ cwd: inner, env: {} });
    expect(config.file).toBeUndefined();
    expect(config.active).toBe('ollama');
    expect(await locateConfig({ cwd: inner })).toEqual({
      file: join(inner, '.agent', 'config.yml'),
      exists: false,
      source: 'search',
    });
  });

  it('uses defaults when no file exists anywhere', async () => {
    const config = await loadConfig({ cwd: dir, env: {} });
    expect(config.active).toBe('ollama');
    expect(config.mode).toBe('local-only');
    expect(config.providers.ollama).toMatchObject({
      kind: 'ollama',
      type: 'ollama',
      host: '127.0.0.1',
      port: 11434,
      baseUrl: 'http://127.0.0.1:11434',
      lifecycle: DEFAULT_LIFECYCLE,
    });
    expect(config.providers.vllm).toMatchObject({ type: 'openai-compatible', port: 8000 });
    expect(config.providers.llamacpp?.port).toBe(8080);
    expect(config.providers.lmstudio?.port).toBe(1234);
  });

  it('--config PATH overrides the search, relative to cwd', async () => {
    await project(dir, 'providers:\n  active: vllm\n');
    await writeFile(join(dir, 'other.yml'), 'providers:\n  active: llamacpp\n');
    expect((await loadConfig({ cwd: dir, env: {}, configPath: 'other.yml' })).active).toBe('llamacpp');
  });

  it('--config naming a missing file is CONFIG_NOT_FOUND', async () => {
    const error = await thrown(loadConfig({ cwd: dir, env: {}, configPath: 'missing.yml' }));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toContain(join(dir, 'missing.yml'));
    expect(error.hint).toMatch(/--config/);
  });

  it('names the real file in validation errors', async () => {
    const file = await project(dir, 'providers:\n  vllm:\n    port: 99999\n');
    const error = await thrown(loadConfig({ cwd: dir, env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.details.errors).toEqual([
      {
        file,
        line: 3,
        column: 11,
        path: 'providers.vllm.port',
        message: 'must be an integer port from 1 to 65535, got 99999',
      },
    ]);
    expect(error.message).toContain(`${file}:3:11: providers.vllm.port:`);
  });
});

describe('resolving', () => {
  it('fills defaults and converts keys to the resolved shape', async () => {
    await project(
      dir,
      [
        'mode: airgapped',
        'fallback: [ollama]',
        'providers:',
        '  active: box',
        '  vllm:',
        '    model: m',
        '    host: "::1"',
        '    binary: /opt/vllm/bin/vllm',
        '    args: ["--max-model-len", "4096"]',
        '    lifecycle: { mode: monitored, max_restarts: 5 }',
        '    timeouts: { response_seconds: 120, idle_seconds: 30 }',
        '    gpu: { memory_utilization: 0.8, tensor_parallel_size: 2 }',
        '  box:',
        '    type: openai-compatible',
        '    base_url: http://127.0.0.1:9000/v1/',
      ].join('\n'),
    );
    const config = await loadConfig({ cwd: dir, env: {} });
    expect(config).toMatchObject({ mode: 'airgapped', fallback: ['ollama'], active: 'box' });
    expect(config.providers.vllm).toEqual({
      id: 'vllm',
      kind: 'vllm',
      type: 'openai-compatible',
      model: 'm',
      host: '::1',
      port: 8000,
      baseUrl: 'http://[::1]:8000',
      binary: '/opt/vllm/bin/vllm',
      args: ['--max-model-len', '4096'],
      lifecycle: { ...DEFAULT_LIFECYCLE, mode: 'monitored', maxRestarts: 5 },
      timeouts: { connectSeconds: 5, responseSeconds: 120, idleSeconds: 30 },
      gpu: { memoryUtilization: 0.8, tensorParallelSize: 2 },
      apiKeyEnv: 'VLLM_API_KEY',
    });
    expect(config.providers.box).toMatchObject({
      kind: 'custom',
      host: '127.0.0.1',
      port: 9000,
      baseUrl: 'http://127.0.0.1:9000',
    });
    expect(config.providers.box?.lifecycle.mode).toBe('external');
  });

  it('api_key_env defaults to the variable each server reads, none for Ollama and custom ids', async () => {
    await project(
      dir,
      [
        'providers:',
        '  llamacpp: { api_key_env: MY_LLAMA_TOKEN }',
        '  ollama: { api_key_env: PROXY_API_KEY }',
        '  box: { type: openai-compatible, base_url: "http://127.0.0.1:9000" }',
        '',
      ].join('\n'),
    );
    const { providers } = await loadConfig({ cwd: dir, env: {} });
    expect(Object.fromEntries(Object.entries(providers).map(([id, p]) => [id, p.apiKeyEnv]))).toEqual({
      ollama: 'PROXY_API_KEY',
      vllm: 'VLLM_API_KEY',
      llamacpp: 'MY_LLAMA_TOKEN',
      lmstudio: 'LM_API_TOKEN',
      box: undefined,
    });
  });

  it('treats empty sections as defaults', async () => {
    await project(dir, 'providers:\n  active: vllm\n  vllm:\n    lifecycle:\n    timeouts:\n    gpu:\n');
    const config = await loadConfig({ cwd: dir, env: {} });
    expect(config.providers.vllm).toMatchObject({
      port: 8000,
      lifecycle: DEFAULT_LIFECYCLE,
      timeouts: DEFAULT_REQUEST_TIMEOUTS,
      gpu: {},
    });
  });

  it('VLLM_PORT and ACODE_PROVIDER override the resolved config', async () => {
    await project(dir, 'providers:\n  active: ollama\n  vllm: { port: 8001 }\n');
    const config = await loadConfig({ cwd: dir, env: { VLLM_PORT: '8100', ACODE_PROVIDER: 'vllm' } });
    expect(config.active).toBe('vllm');
    expect(config.providers.vllm).toMatchObject({ port: 8100, baseUrl: 'http://127.0.0.1:8100' });
    expect(config.overrides?.map((o) => o.name)).toEqual(['VLLM_PORT', 'ACODE_PROVIDER']);
  });

  it('rejects an invalid VLLM_PORT and an unknown ACODE_PROVIDER', async () => {
    const port = await thrown(loadConfig({ cwd: dir, env: { VLLM_PORT: 'tcp://10.0.0.1:8000' } }));
    expect(port.code).toBe('CONFIG_INVALID');
    expect(port.message).toMatch(/VLLM_PORT=tcp:\/\/10.0.0.1:8000 is not a port/);
    const provider = await thrown(loadConfig({ cwd: dir, env: { ACODE_PROVIDER: 'llama' } }));
    expect(provider.code).toBe('PROVIDER_UNKNOWN');
    expect(provider.message).toMatch(/did you mean/);
    expect(provider.hint).toMatch(/ollama, vllm, llamacpp, lmstudio/);
  });
});
