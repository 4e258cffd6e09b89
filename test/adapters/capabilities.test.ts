// Capabilities come from what the server says about the model, not a hard-coded `true`: Ollama's
// /api/show lists `tools` and `vision` per model (gemma2 has no tools section in its template), and
// the selector then passes over a provider whose model lacks what a request needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider, type ModelProvider } from '../../adapters/index.js';
import { selectProviders } from '../../machines/selector.js';
import { startTestServer, type TestServer } from '../servers/harness.js';
import { config, providerConfig } from '../registry/fixtures.js';
import { realLlama, startRealLlama } from '../real/llama-server.js';

let server: TestServer;
const adapters: ModelProvider[] = [];
beforeAll(async () => {
  server = await startTestServer('ollama', {
    model: 'llama3.2:latest',
    env: { ACODE_FAKE_PULLED: 'llama3.2:latest,gemma2:2b,llava:7b' },
  });
});
afterAll(async () => {
  await Promise.all(adapters.map((a) => a.close()));
  await server.stop();
});

function adapterFor(id: string, model: string): ModelProvider {
  const adapter = createProvider(
    providerConfig(id, { kind: 'ollama', type: 'ollama', model, port: server.port, baseUrl: server.url }),
  );
  adapters.push(adapter);
  return adapter;
}

describe('capabilities learned from the server', () => {
  it('are unknown until the server was asked, then what /api/show reports', async () => {
    const llama = adapterFor('llama', 'llama3.2:latest');
    expect(llama.capabilities).toMatchObject({ tools: undefined, vision: undefined, structuredOutput: undefined });
    await llama.modelInfo('llama3.2:latest');
    expect(llama.capabilities).toMatchObject({ tools: true, vision: false, maxContext: 131072 });
    const gemma = adapterFor('gemma', 'gemma2:2b');
    await gemma.modelInfo('gemma2:2b');
    expect(gemma.capabilities).toMatchObject({ tools: false, vision: false, maxContext: 8192 });
    const llava = adapterFor('llava', 'llava:7b');
    await llava.modelInfo('llava:7b');
    expect(llava.capabilities).toMatchObject({ tools: false, vision: true });
  });

  it('a request needing tools skips the provider whose model lacks them', async () => {
    const gemma = adapterFor('gemma', 'gemma2:2b');
    const llama = adapterFor('llama', 'llama3.2:latest');
    await Promise.all([gemma.modelInfo('gemma2:2b'), llama.modelInfo('llama3.2:latest')]);
    const cfg = config(['gemma', 'llama'], { active: 'gemma', fallback: ['llama'] });
    const capabilities = { gemma: gemma.capabilities, llama: llama.capabilities };
    const withTools = selectProviders({ config: cfg, requirements: { tools: true }, capabilities });
    expect(withTools.order).toEqual(['llama']);
    expect(withTools.refused).toEqual([
      { id: 'gemma', code: 'MODE_FORBIDDEN', reason: 'gemma does not support tool calls' },
    ]);
    // Without the requirement, the preferred provider stays first.
    expect(selectProviders({ config: cfg, capabilities }).order).toEqual(['gemma', 'llama']);
  });
});

// llama-server says what its one model can do on /props: the context it was started with, a vision
// projector (--mmproj), and whether the chat template handles tools (chat_template_caps).
describe('capabilities learned from llama-server /props', () => {
  async function learnedFrom(server: { url: string; port: number; model: string }): Promise<ModelProvider> {
    const adapter = createProvider(
      providerConfig('llama', {
        kind: 'llamacpp',
        type: 'openai-compatible',
        model: server.model,
        port: server.port,
        baseUrl: server.url,
      }),
    );
    adapters.push(adapter);
    expect(adapter.capabilities).toMatchObject({ tools: undefined, vision: undefined });
    await adapter.modelInfo(server.model);
    return adapter;
  }

  it('reports the context, tools from the template and vision from the projector', async () => {
    const plain = await startTestServer('llama-server', { args: ['-c', '3072'] });
    const vision = await startTestServer('llama-server', {
      model: 'gemma-2-2b-it-q4_k_m.gguf',
      knobs: { models: ['gemma-2-2b-it-q4_k_m.gguf'] },
      args: ['--mmproj', 'mmproj.gguf'],
    });
    try {
      expect((await learnedFrom(plain)).capabilities).toMatchObject({ tools: true, vision: false, maxContext: 3072 });
      expect((await learnedFrom(vision)).capabilities).toMatchObject({ tools: false, vision: true, maxContext: 4096 });
    } finally {
      await Promise.all([plain.stop(), vision.stop()]);
    }
  });

  it.skipIf(!realLlama)('the real server: its tiny model has no tool template and no projector', async () => {
    const real = await startRealLlama();
    try {
      const learned = await learnedFrom({ url: real.url, port: Number(new URL(real.url).port), model: real.model });
      expect(learned.capabilities).toMatchObject({ tools: false, vision: false, maxContext: 2048 });
    } finally {
      await real.stop();
    }
  });
});
