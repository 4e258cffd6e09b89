// Launch argv/env per server kind, binary resolution, loopback-only binding; port probing and holders.
import { connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isAcodeError } from '../../config/index.js';
import { buildLaunch, findPortHolder, isPortFree } from '../../actors/index.js';
import { portInUseError } from '../../actors/port.js';
import { STAGED_GGUF } from '../servers/harness.js';
import { writeCache } from '../servers/lib/hf-cache.js';
import { SERVERS_BIN, freePort, testEnv } from './helpers.js';
import { providerConfig } from '../support/providers.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((done) => server.close(done));
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isAcodeError(error) ? error.code : String(error);
}

describe('buildLaunch', () => {
  it('vLLM: serve <model> on loopback with the GPU flags, then config.args; the env is inherited', async () => {
    const provider = providerConfig('vllm', 8123, {
      args: ['--max-model-len', '4096'],
      gpu: { memoryUtilization: 0.8, tensorParallelSize: 2 },
    });
    const launch = await buildLaunch(provider, 'local-only', testEnv({ HF_TOKEN: 'hf_secret' }));
    expect(launch.binaryPath).toBe(`${SERVERS_BIN}/vllm`);
    expect(launch.args).toEqual([
      'serve',
      'Qwen/Qwen2.5-0.5B-Instruct',
      '--host',
      '127.0.0.1',
      '--port',
      '8123',
      '--gpu-memory-utilization',
      '0.8',
      '--tensor-parallel-size',
      '2',
      '--max-model-len',
      '4096',
    ]);
    expect(launch.env.HF_TOKEN).toBe('hf_secret');
  });

  it('Ollama: `serve` with OLLAMA_HOST (IPv6 bracketed); llama-server: -m <model> --host --port', async () => {
    const ollama = await buildLaunch(providerConfig('ollama', 11500), 'local-only', testEnv());
    expect(ollama.args).toEqual(['serve']);
    expect(ollama.env.OLLAMA_HOST).toBe('127.0.0.1:11500');
    const ollama6 = await buildLaunch(providerConfig('ollama', 11500, { host: '::1' }), 'local-only', testEnv());
    expect(ollama6.env.OLLAMA_HOST).toBe('[::1]:11500');
    const llama = await buildLaunch(
      providerConfig('llamacpp', 8088, { args: ['-c', '2048'] }),
      'local-only',
      testEnv(),
    );
    expect(llama.args).toEqual(['-m', STAGED_GGUF, '--host', '127.0.0.1', '--port', '8088', '-c', '2048']);
  });

  it('the key named by api_key_env reaches the server in the variable it reads, never in argv', async () => {
    const key = 'team-key-0123456789abcdef';
    const vllm = await buildLaunch(
      providerConfig('vllm', 8123, { apiKeyEnv: 'TEAM_VLLM_TOKEN' }),
      'local-only',
      testEnv({ TEAM_VLLM_TOKEN: key, VLLM_API_KEY: 'some-other-key' }),
    );
    expect(vllm.env.VLLM_API_KEY).toBe(key);
    expect(vllm.args.join(' ')).not.toContain(key);
    const llama = await buildLaunch(
      providerConfig('llamacpp', 8088, { apiKeyEnv: 'LLAMA_API_KEY' }),
      'local-only',
      testEnv({ LLAMA_API_KEY: key }),
    );
    expect(llama.env.LLAMA_API_KEY).toBe(key);
    expect(llama.args.join(' ')).not.toContain(key);
    // acode has no key: an inherited one is dropped, or acode's own server would answer it 401.
    const none = await buildLaunch(
      providerConfig('vllm', 8123, { apiKeyEnv: 'TEAM_VLLM_TOKEN' }),
      'local-only',
      testEnv({ VLLM_API_KEY: 'some-other-key' }),
    );
    expect(none.env).not.toHaveProperty('VLLM_API_KEY');
  });

  it('refuses non-loopback hosts, unmanageable kinds, missing models and download flags when airgapped', async () => {
    expect(await codeOf(buildLaunch(providerConfig('vllm', 1, { host: '0.0.0.0' }), 'local-only', testEnv()))).toBe(
      'MODE_FORBIDDEN',
    );
    expect(await codeOf(buildLaunch(providerConfig('vllm', 1, { host: '192.168.1.5' }), 'airgapped', testEnv()))).toBe(
      'AIRGAP_VIOLATION',
    );
    expect(await codeOf(buildLaunch(providerConfig('lmstudio', 1), 'local-only', testEnv()))).toBe('MODE_FORBIDDEN');
    expect(await codeOf(buildLaunch(providerConfig('vllm', 1, { model: undefined }), 'local-only', testEnv()))).toBe(
      'CONFIG_INVALID',
    );
    expect(
      await codeOf(buildLaunch(providerConfig('llamacpp', 1, { args: ['-hf', 'a/b'] }), 'airgapped', testEnv())),
    ).toBe('AIRGAP_VIOLATION');
    // Airgapped needs the model complete in the HF cache (test/actors/vllm-model.test.ts); then vLLM runs offline.
    const env = testEnv();
    writeCache(env, 'Qwen/Qwen2.5-0.5B-Instruct', { weights: true });
    const offline = await buildLaunch(providerConfig('vllm', 1), 'airgapped', env);
    expect(offline.env.HF_HUB_OFFLINE).toBe('1');
  });

  it('BINARY_NOT_FOUND for a missing path names it and the config key', async () => {
    const error = await buildLaunch(
      providerConfig('vllm', 1, { binary: '/nonexistent/vllm' }),
      'local-only',
      testEnv(),
    ).catch((e: unknown) => e);
    expect(isAcodeError(error) && error.code).toBe('BINARY_NOT_FOUND');
    expect(isAcodeError(error) && error.message).toContain('/nonexistent/vllm');
    expect(isAcodeError(error) && error.hint).toContain('providers.vllm.binary');
  });
});

describe('port', () => {
  it('isPortFree and findPortHolder see a listener of this very process', async () => {
    const port = await freePort();
    expect(await isPortFree(port)).toBe(true);
    expect(await findPortHolder(port)).toBeUndefined();
    const server = createServer();
    servers.push(server);
    await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
    expect(await isPortFree(port)).toBe(false);
    const holder = await findPortHolder(port);
    expect(holder?.pid).toBe(process.pid);
    expect(holder?.command).toContain('node');
    expect(holder?.via).toBe('listener');
    expect(portInUseError(providerConfig('vllm', port), holder).hint).toMatch(
      /^Either stop pid \d+ .*, or set providers\.vllm\.port to a free port\.$/,
    );
  });

  it('names the process whose outgoing connection holds the port as its local end, and says to move the server', async () => {
    const target = createServer();
    servers.push(target);
    await new Promise<void>((done) => target.listen(0, '127.0.0.1', done));
    const client = connect((target.address() as { port: number }).port, '127.0.0.1');
    await new Promise<void>((done) => client.once('connect', () => done()));
    try {
      const port = client.localPort!;
      expect(await isPortFree(port)).toBe(false);
      const holder = await findPortHolder(port);
      expect(holder).toMatchObject({ pid: process.pid, via: 'connection' });
      const error = portInUseError(providerConfig('vllm', port), holder);
      expect(error.message).toMatch(
        new RegExp(
          `port ${port} is already in use by a connection of pid ${process.pid} \\(.*node.*\\) that uses it as its local port`,
        ),
      );
      expect(error.hint).toMatch(/^Set providers\.vllm\.port to a port below 32768/);
    } finally {
      client.destroy();
    }
  });

  it('finds an IPv6 listener through /proc/net/tcp6', async () => {
    const port = await freePort();
    const server = createServer();
    servers.push(server);
    await new Promise<void>((done) => server.listen(port, '::1', done));
    expect((await findPortHolder(port))?.pid).toBe(process.pid);
  });
});
