import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, loadConfig, parseOllamaHost } from '../../config/index.js';
import { tempDir } from '../support/temp-dir.js';

// Expected values follow ollama envconfig.Host(): scheme default http, bare host ⇒ 11434,
// http:// ⇒ 80, https:// ⇒ 443, invalid port ⇒ the default for that scheme.
describe('parseOllamaHost', () => {
  it.each([
    ['', 'http', '127.0.0.1', 11434, ''],
    ['   ', 'http', '127.0.0.1', 11434, ''],
    ['1.2.3.4', 'http', '1.2.3.4', 11434, ''],
    ['example.com', 'http', 'example.com', 11434, ''],
    ['example.com:1234', 'http', 'example.com', 1234, ''],
    [':8080', 'http', '', 8080, ''],
    ['0.0.0.0:11435', 'http', '0.0.0.0', 11435, ''],
    ['http://example.com', 'http', 'example.com', 80, ''],
    ['https://example.com', 'https', 'example.com', 443, ''],
    ['http://example.com:1234', 'http', 'example.com', 1234, ''],
    ['https://example.com:1234/ollama/', 'https', 'example.com', 1234, 'ollama/'],
    ['[::1]:5000', 'http', '::1', 5000, ''],
    ['::1', 'http', '::1', 11434, ''],
    ['[0:0::1]', 'http', '::1', 11434, ''],
    ['example.com:abc', 'http', 'example.com', 11434, ''],
    ['http://example.com:99999', 'http', 'example.com', 80, ''],
    ['example.com:-1', 'http', 'example.com', 11434, ''],
    ['"127.0.0.1:7000"', 'http', '127.0.0.1', 7000, ''],
    ["'localhost'", 'http', 'localhost', 11434, ''],
    ['ollama.com', 'https', 'ollama.com', 443, ''],
  ])('%j → %s://%s:%d', (raw, scheme, host, port, path) => {
    expect(parseOllamaHost(raw)).toEqual({ scheme, host, port, path });
  });
});

describe('OLLAMA_HOST override', () => {
  const base = async () => {
    const { dir, cleanup } = await tempDir();
    const load = (env: Record<string, string>) => loadConfig({ cwd: dir, env });
    return { load, cleanup };
  };

  it.each([
    ['127.0.0.1:7000', '127.0.0.1', 7000, 'http://127.0.0.1:7000'],
    ['0.0.0.0', '0.0.0.0', 11434, 'http://127.0.0.1:11434'],
    [':9999', '0.0.0.0', 9999, 'http://127.0.0.1:9999'],
    ['[::]:11434', '::', 11434, 'http://[::1]:11434'],
    ['[::1]:5000', '::1', 5000, 'http://[::1]:5000'],
    ['https://127.0.0.1', '127.0.0.1', 443, 'https://127.0.0.1:443'],
  ])('%s gives host %s, port %d, baseUrl %s', async (value, host, port, baseUrl) => {
    const { load, cleanup } = await base();
    try {
      const config = await load({ OLLAMA_HOST: value });
      expect(config.providers.ollama).toMatchObject({ host, port, baseUrl });
      expect(config.overrides).toEqual([
        { name: 'OLLAMA_HOST', paths: ['providers.ollama.host', 'providers.ollama.port'], value },
      ]);
    } finally {
      await cleanup();
    }
  });

  it('overrides the resolved config, not the other providers', () => {
    const { providers } = applyEnvOverrides(
      {
        mode: 'local-only',
        active: 'ollama',
        fallback: [],
        providers: {},
      },
      { OLLAMA_HOST: '127.0.0.1:1' },
    );
    expect(providers).toEqual({});
  });
});
