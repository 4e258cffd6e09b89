// Swapping servers by memory: the gateway (in process, over a real registry that starts the stand-in
// servers) stops idle servers it started until a new one fits, and refuses one that can never fit with
// a typed MEMORY_SHORT naming the model, its need and what is free. RAM from a meminfo file the test
// writes (as the kernel would), GPU memory from the nvidia-smi stand-in on PATH.
import { rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { openRegistry, type Registry } from '../../machines/index.js';
import { createEngine, createGateway } from '../../gateway/index.js';
import { STAGED_GGUF, freePort } from '../servers/harness.js';
import { project, providerYaml, type Project } from '../e2e/project.js';

const VLLM_MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';
const MIB = 1024 * 1024;

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/**
 * The config file names one provider per kind; more servers of a kind are copies of the configured
 * one (`copies`: id -> the provider copied and the model of its own, on a port of its own).
 */
async function gatewayOver(
  yaml: string,
  env: Record<string, string>,
  {
    meminfo,
    copies = {},
  }: { meminfo?: (p: Project) => string; copies?: Record<string, { of: string; model: string }> } = {},
): Promise<{ p: Project; url: string; registry: Registry }> {
  const p = await project(yaml);
  cleanups.push(() => p.cleanup());
  const fullEnv = { ...p.env, ...env };
  const config = await loadConfig({ cwd: p.dir, env: fullEnv });
  for (const [id, { of, model }] of Object.entries(copies)) {
    const port = await freePort();
    config.providers[id] = { ...config.providers[of]!, id, model, port, baseUrl: `http://127.0.0.1:${port}` };
  }
  const registry = openRegistry({ config, env: fullEnv });
  const engine = createEngine(registry, {
    memory: { env: fullEnv, ...(meminfo ? { meminfoPath: meminfo(p) } : {}) },
  });
  const gateway = createGateway({ engine, host: '127.0.0.1', port: 0, version: 'test' });
  const address = await gateway.listen();
  cleanups.push(async () => {
    await gateway.close(0);
    engine.close();
    await registry.dispose();
  });
  return { p, url: `http://127.0.0.1:${address.port}`, registry };
}

async function ask(url: string, model: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }),
  });
}

const states = (registry: Registry) => Object.fromEntries(registry.status().map((s) => [s.id, s.state]));
const meminfoText = (availableMiB: number) =>
  `MemTotal:        8000000 kB\nMemFree:         100000 kB\nMemAvailable:    ${availableMiB * 1024} kB\n`;

describe('gateway: swapping servers by memory', () => {
  it('RAM: stops the idle server it started so the next fits; refuses one that never fits, stopping nothing', async () => {
    const big = join(tmpdir(), `acode-big-${process.pid}.gguf`);
    await writeFile(big, '');
    await truncate(big, 2048 * MIB); // sparse: 2 GiB on paper, nothing on disk
    cleanups.push(() => rm(big, { force: true }));
    const yaml = `providers:\n  active: llamacpp\n${providerYaml('llamacpp', { model: STAGED_GGUF, port: await freePort() })}`;
    let meminfo = '';
    const { url, registry } = await gatewayOver(
      yaml,
      { ACODE_FAKE_TOKENS: '2', ACODE_FAKE_GPU_COUNT: '0' },
      {
        meminfo: (p) => (meminfo = join(p.dir, 'meminfo')),
        copies: { other: { of: 'llamacpp', model: STAGED_GGUF }, huge: { of: 'llamacpp', model: big } },
      },
    );
    // Each small server needs 257 MiB (a 4-byte GGUF + 20 %, rounded up to a MiB, + 256 MiB): 400 MiB
    // free holds one.
    await writeFile(meminfo, meminfoText(400));
    expect((await ask(url, 'llamacpp')).status).toBe(200);
    // The kernel now counts the running server: 400 - 257 MiB left, too little for another.
    await writeFile(meminfo, meminfoText(143));
    const other = await ask(url, 'other');
    expect(other.status, await other.clone().text()).toBe(200);
    expect(states(registry)).toMatchObject({ llamacpp: 'stopped', other: 'healthy' });

    const refused = await ask(url, 'huge');
    expect(refused.status).toBe(503);
    const body = (await refused.json()) as { error: { code: string; message: string; hint: string } };
    expect(body.error.code).toBe('MEMORY_SHORT');
    expect(body.error.message).toMatch(/^huge \(.*acode-big-\d+\.gguf\) needs 2\.\d GiB of memory \(RAM\)/);
    expect(body.error.message).toMatch(/143 MiB is free, 400 MiB with every server acode started stopped/);
    expect(body.error.hint).toMatch(/smaller or more quantized model/);
    expect(states(registry)).toMatchObject({ other: 'healthy' });
    expect(['unspawned', 'stopped']).toContain(states(registry).huge);
  }, 120_000);

  it('GPU: two vLLMs that each reserve 60 % of the GPU are swapped, the idle one stopped first', async () => {
    const yaml =
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port: await freePort() })}` +
      `    gpu: { memory_utilization: 0.6 }\n`;
    const { url, registry } = await gatewayOver(
      yaml,
      { ACODE_FAKE_TOKENS: '2' },
      { copies: { second: { of: 'vllm', model: VLLM_MODEL } } },
    );
    expect((await ask(url, 'vllm')).status).toBe(200);
    const second = await ask(url, 'second');
    expect(second.status, await second.clone().text()).toBe(200);
    expect(states(registry)).toMatchObject({ vllm: 'stopped', second: 'healthy' });
  }, 120_000);
});
