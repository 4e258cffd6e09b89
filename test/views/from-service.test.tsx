import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusReport as ServiceStatusReport } from '../../machines/index.js';
import { fromServiceStatus, renderPlainLine, StatusView } from '../../cli/views/index.js';

afterEach(() => cleanup());

// Typed as the machine's own report, so a change to its shape fails the typecheck here.
function machineReport(overrides: Partial<ServiceStatusReport> = {}): ServiceStatusReport {
  return {
    id: 'ollama',
    state: 'healthy',
    model: 'ready',
    modelDetail: 'llama3.2:3b',
    pull: null,
    load: null,
    lifecycle: 'managed',
    mode: 'local-only',
    pid: 4242,
    port: 11434,
    baseUrl: 'http://127.0.0.1:11434',
    owned: true,
    uptimeMs: 61_000,
    restartsInWindow: 1,
    lastError: null,
    degraded: null,
    ...overrides,
  };
}

describe('fromServiceStatus', () => {
  it('maps a healthy, ready report: nulls become absent, the ready detail is the model name', () => {
    const view = fromServiceStatus(machineReport(), { kind: 'ollama' });
    expect(view).toEqual({
      id: 'ollama',
      kind: 'ollama',
      state: 'healthy',
      model: 'llama3.2:3b',
      modelState: 'ready',
      lifecycle: 'managed',
      mode: 'local-only',
      pid: 4242,
      port: 11434,
      baseUrl: 'http://127.0.0.1:11434',
      owned: true,
      uptimeMs: 61_000,
      restartsInWindow: 1,
    });
  });

  it('carries pull progress into the progress bar and the model region', () => {
    const view = fromServiceStatus(
      machineReport({
        model: 'pulling',
        modelDetail: 'pulling 43%',
        pull: { status: 'pulling', completed: 430, total: 1_000, bytesPerSecond: 50 },
      }),
      { model: 'llama3.2:3b' },
    );
    expect(view.modelDetail).toEqual({ completed: 430, total: 1_000, bytesPerSecond: 50 });
    const frame = render(<StatusView reports={[view]} width={80} />).lastFrame() ?? '';
    expect(frame).toContain('llama3.2:3b pulling 43% 50 B/s ETA 0:12');
    expect(frame).toMatch(/pull \[█+░+\] 43%/);
  });

  it('leaves the reason to the error line when a missing model comes with an error', () => {
    const lastError = {
      code: 'ACODE_MODEL_UNKNOWN',
      message: 'no such model',
      hint: 'ollama pull it',
      details: { a: 1 },
    };
    const withError = fromServiceStatus(
      machineReport({ model: 'missing', modelDetail: 'no such model ollama pull it', lastError }),
    );
    expect(withError.modelDetail).toBeUndefined();
    expect(withError.lastError).toEqual({
      code: 'ACODE_MODEL_UNKNOWN',
      message: 'no such model',
      hint: 'ollama pull it',
    });
    const bare = fromServiceStatus(machineReport({ model: 'missing', modelDetail: 'not in the library' }));
    expect(renderPlainLine(bare)).toContain('model_state=missing reason="not in the library"');
  });

  it("shows a starting server's logged load: the phase and line beside the model, its percent as the load bar", () => {
    const starting = { state: 'starting', model: null, modelDetail: null, uptimeMs: null } as const;
    const view = fromServiceStatus(
      machineReport({
        ...starting,
        load: { phase: 'load', percent: 50, text: 'Loading safetensors checkpoint shards 2/4' },
      }),
      { kind: 'vllm', model: 'meta-llama/Llama-2-7b-hf' },
    );
    expect(view.load).toEqual({ text: 'loading Loading safetensors checkpoint shards 2/4', percent: 50 });
    const frame = render(<StatusView reports={[view]} width={100} />).lastFrame() ?? '';
    expect(frame).toContain('meta-llama/Llama-2-7b-hf loading Loading safetensors checkpoint shards 2/4');
    expect(frame).toMatch(/load \[█+░+\] 50%/);
    expect(renderPlainLine(view)).toContain(
      'progress=50% rate=- eta=- load="loading Loading safetensors checkpoint shards 2/4"',
    );
    // A milestone line has no percent: the words, and no bar.
    const milestone = fromServiceStatus(
      machineReport({ ...starting, load: { phase: 'init', percent: null, text: 'GPU KV cache size: 47,024 tokens' } }),
      { model: 'm' },
    );
    expect(milestone.modelDetail).toBeUndefined();
    expect(render(<StatusView reports={[milestone]} width={100} />).lastFrame()).toContain(
      'm warming up GPU KV cache size: 47,024 tokens',
    );
  });

  it('maps a stopped report without pid, uptime or model region', () => {
    const view = fromServiceStatus(
      machineReport({ state: 'stopped', model: null, modelDetail: null, pid: null, uptimeMs: null }),
    );
    expect(view).not.toHaveProperty('pid');
    expect(view).not.toHaveProperty('uptimeMs');
    expect(view).not.toHaveProperty('modelState');
    expect(view).not.toHaveProperty('model');
    expect(view.state).toBe('stopped');
  });
});

describe('a degraded service (a GPU vLLM uses went bad while healthy)', () => {
  it('carries the reason into the view, the TUI row and the plain line', () => {
    const view = fromServiceStatus(machineReport({ id: 'vllm', degraded: '1 of its 1 GPU no longer visible' }), {
      kind: 'vllm',
    });
    expect(view.degraded).toBe('1 of its 1 GPU no longer visible');
    const frame = render(<StatusView reports={[view]} width={100} />).lastFrame() ?? '';
    expect(frame).toContain('degraded: 1 of its 1 GPU no longer visible');
    expect(renderPlainLine(view)).toContain('degraded="1 of its 1 GPU no longer visible"');
    const fine = fromServiceStatus(machineReport({ id: 'vllm' }), { kind: 'vllm' });
    expect(fine.degraded).toBeUndefined();
    expect(renderPlainLine(fine)).not.toContain('degraded');
  });
});
