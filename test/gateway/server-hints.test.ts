// num_ctx and keep_alive per backend (gateway/server-hints.ts), the Ollama wire that carries them, the
// residency that turns keep_alive into an idle stop, and the counted usage (gateway/usage.ts).
import { describe, expect, it } from 'vitest';
import { parseConfig, type AcodeConfig } from '../../config/index.js';
import { resolveRaw } from '../../config/resolve.js';
import type { ChatRequest, ModelProvider, StreamChunk, Usage } from '../../adapters/index.js';
import { ollamaWire } from '../../adapters/ollama-wire.js';
import { applyHints, keepAliveSeconds, withContext, type HintDeps } from '../../gateway/server-hints.js';
import { Residency } from '../../gateway/residency.js';
import { UsageCounter } from '../../gateway/usage.js';
import type { ProviderStatus, Registry } from '../../machines/index.js';

function config(yaml: string): AcodeConfig {
  return resolveRaw(parseConfig(yaml, '/p/.agent/config.yml'), undefined);
}

const llama = (lifecycle = 'managed', args = '[]') =>
  config(
    `providers:\n  active: llamacpp\n  llamacpp:\n    model: m.gguf\n    args: ${args}\n    lifecycle: { mode: ${lifecycle} }\n`,
  );

/** A registry whose llama-server runs with `running` tokens of context; records reconfigures. */
function fakeDeps(
  cfg: AcodeConfig,
  opts: { running?: number; owned?: boolean; inFlight?: number; startFails?: boolean; restartFails?: boolean } = {},
) {
  const started: string[] = [];
  const reconfigured: AcodeConfig[] = [];
  const kept: Array<[string, number | null]> = [];
  const registry = {
    config: cfg,
    healthyAdapter: async () => {
      if (opts.startFails || (opts.restartFails && reconfigured.length === 1)) throw new Error('START_FAILED');
      return { capabilities: { maxContext: opts.running } } as unknown as ModelProvider;
    },
    status: () => [{ id: 'llamacpp', owned: opts.owned ?? true } as ProviderStatus],
    reconfigure: async (next: AcodeConfig) => {
      reconfigured.push(next);
      registry.config = next;
      return { added: [], removed: [], changed: ['llamacpp'], restarting: ['llamacpp'] };
    },
    service: (id: string) => ({ start: () => void started.push(id) }) as unknown as ReturnType<Registry['service']>,
  };
  const residency = {
    requestsTo: () => opts.inFlight ?? 1,
    keepAlive: (id: string, s: number | null) => void kept.push([id, s]),
  };
  return { deps: registry as unknown as HintDeps['registry'], residency, reconfigured, kept, started };
}

const ask = (hints: Partial<ChatRequest>): ChatRequest => ({ messages: [{ role: 'user', content: 'x' }], ...hints });

async function apply(d: ReturnType<typeof fakeDeps>, request: ChatRequest, id = 'llamacpp') {
  const notes: Record<string, string> = {};
  const sent = await applyHints(
    { registry: d.deps, residency: d.residency },
    id,
    request,
    (h, v) => (notes[h] = v),
    new AbortController().signal,
  );
  return { sent, notes };
}

describe('keep_alive as Ollama reads it', () => {
  it('numbers are seconds, Go durations add up, negative is never, anything else is not a duration', () => {
    expect(keepAliveSeconds(300)).toBe(300);
    expect(keepAliveSeconds(0)).toBe(0);
    expect(keepAliveSeconds(-1)).toBeNull();
    expect(keepAliveSeconds('5m')).toBe(300);
    expect(keepAliveSeconds('1h30m')).toBe(5400);
    expect(keepAliveSeconds('-1')).toBeNull();
    expect(keepAliveSeconds('-5m')).toBeNull();
    expect(keepAliveSeconds('0')).toBe(0);
    expect(keepAliveSeconds('soon')).toBeUndefined();
  });
});

describe('num_ctx and keep_alive per backend', () => {
  it('the Ollama wire sends options.num_ctx and keep_alive as asked', () => {
    const body = ollamaWire.chatBody(
      ask({ contextSize: 8192, keepAlive: '10m', sampling: { temperature: 0 } }),
      'llama3.2',
      { continueStyle: 'trailing-assistant' } as never,
      { provider: 'ollama' } as never,
    );
    expect(body).toMatchObject({ options: { num_ctx: 8192, temperature: 0 }, keep_alive: '10m' });
  });

  it('an Ollama provider gets the request as asked, with no note', async () => {
    const d = fakeDeps(config('providers:\n  active: ollama\n  ollama: { model: llama3.2 }\n'));
    const { sent, notes } = await apply(d, ask({ contextSize: 8192, keepAlive: 0 }), 'ollama');
    expect(sent).toMatchObject({ contextSize: 8192, keepAlive: 0 });
    expect(notes).toEqual({});
    expect(d.kept).toEqual([]);
  });

  it('our llama-server with a smaller context: restarted with -c N after the configured args, replacing theirs', async () => {
    const d = fakeDeps(llama('managed', '["-c", "2048", "--flash-attn"]'), { running: 2048 });
    const { sent, notes } = await apply(d, ask({ contextSize: 8192 }));
    expect(sent.contextSize).toBeUndefined();
    expect(d.reconfigured).toHaveLength(1);
    expect(d.reconfigured[0]!.providers.llamacpp!.args).toEqual(['--flash-attn', '-c', '8192']);
    expect(notes).toEqual({ 'x-acode-num-ctx': 'restarted; 8192 (was 2048)' });
  });

  it('never restarts for a context that fits, nor while other requests are in flight, nor a server not ours', async () => {
    const fits = fakeDeps(llama(), { running: 8192 });
    expect((await apply(fits, ask({ contextSize: 4096 }))).notes).toEqual({});
    const busy = fakeDeps(llama(), { running: 2048, inFlight: 2 });
    expect((await apply(busy, ask({ contextSize: 8192 }))).notes['x-acode-num-ctx']).toBe(
      'ignored; llamacpp runs with 2048 and is answering other requests',
    );
    const foreign = fakeDeps(llama(), { running: 2048, owned: false });
    expect((await apply(foreign, ask({ contextSize: 8192 }))).notes['x-acode-num-ctx']).toMatch(
      /^ignored; llamacpp runs with 2048 and acode did not start its server/,
    );
    expect([...fits.reconfigured, ...busy.reconfigured, ...foreign.reconfigured]).toEqual([]);
  });

  it('a server that does not start: no note and no throw, the answer itself reports it or falls back', async () => {
    const d = fakeDeps(llama(), { startFails: true });
    expect(await apply(d, ask({ contextSize: 8192 }))).toEqual({ sent: ask({}), notes: {} });
  });

  it('a larger context that does not start: back to the configured launch, started again, and reported', async () => {
    const d = fakeDeps(llama('managed', '["--flash-attn"]'), { running: 2048, restartFails: true });
    const { notes } = await apply(d, ask({ contextSize: 65536 }));
    expect(d.reconfigured.map((c) => c.providers.llamacpp!.args)).toEqual([
      ['--flash-attn', '-c', '65536'],
      ['--flash-attn'],
    ]);
    expect(d.started).toEqual(['llamacpp']);
    expect(notes).toEqual({ 'x-acode-num-ctx': 'ignored; llamacpp did not start with 65536; back to 2048' });
  });

  it('monitored: num_ctx and keep_alive are reported, not applied', async () => {
    const d = fakeDeps(llama('monitored'), { running: 2048 });
    const { notes } = await apply(d, ask({ contextSize: 8192, keepAlive: '5m' }));
    expect(notes).toEqual({
      'x-acode-num-ctx': 'ignored; llamacpp is monitored in local-only mode: acode may not restart it',
      'x-acode-keep-alive': 'ignored; llamacpp is monitored: acode never stops its server',
    });
    expect(d.reconfigured).toEqual([]);
    expect(d.kept).toEqual([]);
  });

  it('managed: keep_alive becomes the idle stop (0 once idle, -1 never, a duration its seconds)', async () => {
    const d = fakeDeps(llama(), { running: 4096 });
    await apply(d, ask({ keepAlive: 0 }));
    await apply(d, ask({ keepAlive: -1 }));
    await apply(d, ask({ keepAlive: '2m' }));
    expect(d.kept).toEqual([
      ['llamacpp', 0],
      ['llamacpp', null],
      ['llamacpp', 120],
    ]);
  });

  it('withContext: vLLM gets --max-model-len; other kinds are left as they are', () => {
    const cfg = config('providers:\n  active: vllm\n  vllm:\n    model: Qwen/Qwen2.5-0.5B-Instruct\n');
    expect(withContext(cfg, 'vllm', 16384).providers.vllm!.args).toEqual(['--max-model-len', '16384']);
    expect(withContext(cfg, 'ollama', 16384)).toBe(cfg);
  });
});

describe('residency with keep_alive', () => {
  it('stops an idle server of ours as keep_alive says, whatever idle_stop_seconds says', async () => {
    let now = 0;
    const stopped: string[] = [];
    const registry = {
      config: llama(),
      status: () => [{ id: 'llamacpp', owned: true, state: 'healthy' } as ProviderStatus],
      service: () => ({ stop: async () => void stopped.push('llamacpp') }),
    } as unknown as Registry;
    const residency = new Residency(registry, undefined, undefined, () => now);
    try {
      residency.begin('llamacpp')();
      expect(await residency.stopIdle()).toEqual([]); // no idle_stop_seconds configured
      residency.keepAlive('llamacpp', null);
      now = 1e9;
      expect(await residency.stopIdle()).toEqual([]);
      residency.keepAlive('llamacpp', 0);
      expect(await residency.stopIdle()).toEqual(['llamacpp']);
    } finally {
      residency.close();
    }
  });
});

describe('counted usage', () => {
  const text = (t: string): StreamChunk => ({ type: 'text', text: t });
  const final = (usage?: Usage): StreamChunk & { type: 'final' } => ({
    type: 'final',
    finishReason: 'stop',
    toolCalls: [],
    model: 'm',
    ...(usage ? { usage } : {}),
  });

  it("keeps the server's usage; counts streamed chunks where it sent none; a restart starts the count over", () => {
    const counter = new UsageCounter(ask({}));
    const server = { promptTokens: 9, completionTokens: 3, totalTokens: 12 };
    expect(counter.complete(final(server)).usage).toBe(server);
    for (const t of ['a', 'b', 'c']) counter.see(text(t));
    counter.see({ type: 'restarted', reason: 'crash', attempt: 1 });
    for (const t of ['a', 'b']) counter.see(text(t));
    expect(counter.complete(final()).usage).toEqual({ promptTokens: 1, completionTokens: 2, totalTokens: 3 });
  });

  it('a whole answer in one chunk: the characters/4 estimate, prompt from messages and tools', () => {
    const counter = new UsageCounter({
      messages: [{ role: 'user', content: 'x'.repeat(40) }],
      tools: [{ name: 't', parameters: {} }],
    });
    counter.see(text('y'.repeat(100)));
    const usage = counter.complete(final()).usage!;
    expect(usage.completionTokens).toBe(25);
    expect(usage.promptTokens).toBe(Math.ceil((40 + JSON.stringify([{ name: 't', parameters: {} }]).length) / 4));
  });
});
