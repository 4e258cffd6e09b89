// The handle over a service actor the registry spawned: ENSURE and wait for a usable state, report a
// broken request, stop. The same waiting rules as createService (service-wait.ts), applied to a child
// of the registry instead of a root actor, so the same code drives the real machine and a test's fake.
import type { AnyActorRef } from 'xstate';
import type { OperatingMode, ProviderConfig } from '../config/index.js';
import { createProvider, type ModelProvider } from '../adapters/index.js';
import type { ServiceHandle } from './registry.js';
import { errorFromSnapshot, hasFailed, isSettled, isUsable, waitForService } from './service-wait.js';
import { isStartPulling } from './status.js';

export interface BindingOptions {
  createAdapter?: (provider: ProviderConfig, opts: { mode: OperatingMode }) => ModelProvider;
  /** Upper bound on one ensureHealthy wait; the machine's own timeouts normally end it first. */
  timeoutMs?: number;
}

const timers = {
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown): void => clearTimeout(handle as NodeJS.Timeout),
};

// Generous: a crash mid-request may cost a backoff and a whole restart before the service is usable.
function defaultTimeoutMs(p: ProviderConfig): number {
  const l = p.lifecycle;
  return ((l.startTimeoutSeconds + l.modelLoadTimeoutSeconds) * (l.maxRestarts + 1) + 60) * 1000;
}

/** Binds a spawned service actor to the ServiceHandle API the registry and the retry layer use. */
export function bindServiceRef(ref: AnyActorRef, provider: ProviderConfig, mode: OperatingMode, options: BindingOptions = {}): ServiceHandle & { close(): Promise<void> } {
  const createAdapter = options.createAdapter ?? createProvider;
  const actor = ref as unknown as Parameters<typeof waitForService>[0];
  let adapter: ModelProvider | undefined;
  const handOut = (): ModelProvider => (adapter ??= createAdapter(provider, { mode }));

  async function ensureHealthy({ signal }: { signal?: AbortSignal } = {}): Promise<ModelProvider> {
    if (isUsable(actor.getSnapshot())) return handOut();
    ref.send({ type: 'ENSURE' });
    const s = await waitForService(actor, timers, {
      done: isSettled,
      boundMs: options.timeoutMs ?? defaultTimeoutMs(provider),
      // A pull is bounded by its own progress (the pull actor fails a stalled download), not by us.
      extendWhile: (x) => x.matches({ healthy: { model: 'pulling' } }) || isStartPulling(x.value),
      ...(signal ? { signal } : {}),
    });
    if (isUsable(s)) return handOut();
    throw errorFromSnapshot(s);
  }

  return {
    ensureHealthy,
    requestFailed(error?: unknown) {
      const code = (error as { code?: unknown } | undefined)?.code;
      ref.send({ type: 'REQUEST_FAILED', ...(typeof code === 'string' ? { detail: code } : {}) });
    },
    async stop({ signal }: { signal?: AbortSignal } = {}) {
      if (actor.getSnapshot().matches('stopped')) return;
      ref.send({ type: 'STOP' });
      const s = await waitForService(actor, timers, {
        done: (x) => x.status !== 'active' || x.matches('stopped') || hasFailed(x),
        ...(signal ? { signal } : {}),
      });
      if (s.matches('failed')) throw errorFromSnapshot(s);
    },
    async close() {
      const a = adapter;
      adapter = undefined;
      await a?.close();
    },
  };
}
