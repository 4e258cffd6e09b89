// Fake I/O for createService tests: promise actors answer from a script (one entry per call, the last
// repeats), callback actors hand their sendBack to the test, and every invocation and adapter call is
// counted, so "zero requests" is a number a test can check.
import { fromCallback, fromPromise } from 'xstate';
import type { AnyEventObject, EventObject } from 'xstate';
import { DEFAULT_LIFECYCLE, DEFAULT_REQUEST_TIMEOUTS } from '../../config/index.js';
import type { LifecycleConfig, OperatingMode, ProviderConfig } from '../../config/index.js';
import type { ModelProvider } from '../../adapters/index.js';
import type { ServiceRef } from '../../actors/index.js';
import type { ServiceActorLogic } from '../../machines/index.js';

export type Answer<T> = T | Error | Promise<T> | 'pending';

export class FakeIo {
  readonly calls: Record<string, number> = {};
  readonly adapterCalls: string[] = [];
  adaptersCreated = 0;
  readonly senders: Record<string, (e: AnyEventObject) => void> = {};
  /** healthPoller in phase 'starting' reports ready at once unless false. */
  autoReady = true;

  constructor(
    readonly script: {
      detect?: Answer<unknown>[];
      spawnServer?: Answer<unknown>[];
      checkModel?: Answer<unknown>[];
      stopServer?: Answer<unknown>[];
      checkGpus?: Answer<unknown>[];
      fetchModel?: Answer<unknown>[];
    } = {},
  ) {}

  count(name: string): number {
    return this.calls[name] ?? 0;
  }

  /** Total actor invocations: every one of them would be I/O in production. */
  total(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }

  private promise<O, I>(name: keyof FakeIo['script']) {
    return fromPromise<O, I>(async () => {
      const n = (this.calls[name] = (this.calls[name] ?? 0) + 1);
      // vLLM's GPU check and model fetch pass unless a test scripts them; every other actor waits.
      const list =
        this.script[name] ??
        (name === 'checkGpus'
          ? [{ gpus: [] }]
          : name === 'fetchModel'
            ? [{ kind: 'cached', downloaded: 0 }]
            : ['pending']);
      const answer = list[Math.min(n - 1, list.length - 1)];
      if (answer === 'pending') return new Promise<O>(() => {});
      if (answer instanceof Error) throw answer;
      if (answer instanceof Promise) return answer as Promise<O>;
      return answer as O;
    });
  }

  private callback<I>(name: string, onStart?: (input: I, send: (e: AnyEventObject) => void) => void) {
    return fromCallback<EventObject, I>(({ input, sendBack }) => {
      this.calls[name] = (this.calls[name] ?? 0) + 1;
      this.senders[name] = sendBack;
      onStart?.(input, sendBack);
      return () => {};
    });
  }

  actors(): ServiceActorLogic {
    return {
      detect: this.promise('detect'),
      spawnServer: this.promise('spawnServer'),
      checkModel: this.promise('checkModel'),
      checkGpus: this.promise('checkGpus'),
      fetchModel: this.promise('fetchModel'),
      watchGpus: this.callback('watchGpus'),
      stopServer: this.promise('stopServer'),
      watchProcess: this.callback('watchProcess'),
      watchLog: this.callback('watchLog'),
      healthPoller: this.callback<ServiceRef & { phase: 'starting' | 'healthy'; maxMisses: number }>(
        'healthPoller',
        (input, send) => {
          if (input.phase === 'starting' && this.autoReady) queueMicrotask(() => send({ type: 'PROBE_OK' }));
        },
      ),
      pullModel: this.callback('pullModel'),
    };
  }

  createAdapter = (provider: ProviderConfig): ModelProvider => {
    this.adaptersCreated++;
    const note = (what: string) => this.adapterCalls.push(what);
    return {
      id: provider.id,
      capabilities: {
        streaming: true,
        tools: false,
        structuredOutput: false,
        embeddings: false,
        vision: false,
        continueFinalMessage: false,
      },
      complete: async () => {
        note('complete');
        throw new Error('not in this test');
      },
      stream: () => {
        note('stream');
        throw new Error('not in this test');
      },
      health: async () => {
        note('health');
        return { ok: true, status: 'ready' };
      },
      listModels: async () => {
        note('listModels');
        return [];
      },
      modelInfo: async (id) => {
        note('modelInfo');
        return { id };
      },
      close: async () => {
        note('close');
      },
    };
  };
}

export function testRef(
  overrides: {
    kind?: 'vllm' | 'ollama';
    mode?: OperatingMode;
    lifecycle?: Partial<LifecycleConfig>;
  } = {},
): ServiceRef {
  const kind = overrides.kind ?? 'vllm';
  const port = kind === 'ollama' ? 11434 : 8000;
  const provider: ProviderConfig = {
    id: kind,
    kind,
    type: kind === 'ollama' ? 'ollama' : 'openai-compatible',
    model: 'test-model',
    host: '127.0.0.1',
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    args: [],
    timeouts: DEFAULT_REQUEST_TIMEOUTS,
    gpu: {},
    lifecycle: { ...DEFAULT_LIFECYCLE, ...overrides.lifecycle },
  };
  return { provider, mode: overrides.mode ?? 'local-only', stateDir: '/nonexistent/acode-test' };
}

/** Lets resolved promises and the machine's reactions run; moves no time. */
export const drain = () => new Promise<void>((resolve) => setImmediate(resolve));
