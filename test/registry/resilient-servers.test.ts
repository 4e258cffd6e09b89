// The crash-safe layer against the real adapters and the stand-in servers: each server is SIGKILLed
// mid-stream, a clean one takes its port (what the service machine's restart does), and the answer
// must come out whole: resumed on vLLM and Ollama, restarted (with a typed chunk) on llama-server.
import { afterEach, describe, expect, it } from 'vitest';
import { createProvider, type ModelProvider } from '../../adapters/index.js';
import type { ProviderKind } from '../../config/index.js';
import { resilientProvider, RESUME_PATH, type RecoverableService } from '../../machines/request-actors.js';
import type { RetryInfo } from '../../machines/request.machine.js';
import { expectedChat, startTestServer, type ServerKind, type TestServer } from '../servers/harness.js';
import { chatPrompt, promptTokenCount } from '../servers/lib/tokens.js';
import { collect, providerConfig, textOf } from './fixtures.js';

const TOKENS = 8;
const PROMPT = 'tell me about crash-safe streams';
let servers: TestServer[] = [];
let adapters: ModelProvider[] = [];
afterEach(async () => {
  await Promise.all(adapters.map((a) => a.close()));
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
  adapters = [];
});

const CASES: { kind: ProviderKind; server: ServerKind; model: string }[] = [
  { kind: 'vllm', server: 'vllm', model: 'meta-llama/Llama-2-7b-hf' },
  { kind: 'ollama', server: 'ollama', model: 'llama3.2:latest' },
  { kind: 'llamacpp', server: 'llama-server', model: 'qwen2.5-0.5b-instruct-q4_k_m.gguf' },
];

describe.each(CASES)('a $kind stream broken by SIGKILL', ({ kind, server: serverKind, model }) => {
  it(`comes out whole by the ${RESUME_PATH[kind]} path`, async () => {
    const crashing = await startTestServer(serverKind, {
      model,
      knobs: { tokens: TOKENS, crashAfterTokens: 3, crashMode: 'sigkill' },
    });
    servers.push(crashing);
    const adapter = createProvider(providerConfig(kind, { model, port: crashing.port, baseUrl: crashing.url }));
    adapters.push(adapter);
    const failed: unknown[] = [];
    // Stands in for the service machine: the crashed server is replaced by a clean one on the same port.
    const service: RecoverableService = {
      requestFailed: (e) => failed.push(e),
      async ensureHealthy() {
        await crashing.exited;
        servers.push(await startTestServer(serverKind, { model, port: crashing.port, knobs: { tokens: TOKENS } }));
        return adapter;
      },
    };
    const retries: RetryInfo[] = [];
    const chunks = await collect(
      resilientProvider(service, adapter, { onRetry: (r) => retries.push(r) }).stream({
        messages: [{ role: 'user', content: PROMPT }],
      }),
    );

    const want = expectedChat({ model, messages: [{ role: 'user', content: PROMPT }], tokens: TOKENS }).text;
    expect(textOf(chunks)).toBe(want);
    expect(failed).toEqual([expect.objectContaining({ code: 'STREAM_INTERRUPTED' })]);
    expect(retries.map((r) => r.path)).toEqual([RESUME_PATH[kind]]);
    const restarted = chunks.filter((c) => c.type === 'restarted');
    if (RESUME_PATH[kind] === 'resume') {
      expect(restarted).toEqual([]);
      // Nothing duplicated or spliced: the text chunks, concatenated as a consumer would, are the answer.
      expect(chunks.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('')).toBe(want);
    } else {
      expect(restarted).toEqual([{ type: 'restarted', reason: expect.any(String), attempt: 1 }]);
    }
    // Both requests count: the broken one (the prompt, 3 tokens delivered) and the one that finished
    // (a resume sends the 3 back as prompt and generates the other 5; a restart repeats all 8).
    const prompt = promptTokenCount(chatPrompt([{ role: 'user', content: PROMPT }]));
    const usage =
      RESUME_PATH[kind] === 'resume'
        ? { promptTokens: prompt + (prompt + 3), completionTokens: 3 + 5 }
        : { promptTokens: prompt + prompt, completionTokens: 3 + TOKENS };
    expect(chunks.at(-1)).toMatchObject({
      type: 'final',
      usage: { ...usage, totalTokens: usage.promptTokens + usage.completionTokens },
    });
  });
});
