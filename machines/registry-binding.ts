// The handle over a service actor the registry spawned: ENSURE and wait for a usable state, report a
// broken request, stop. It reads only the service machine's contract (state names, context.lastError),
// so the same code drives the real machine and a test's fake.
import { waitFor, type AnyActorRef } from 'xstate';
import { AcodeError, type OperatingMode, type ProviderConfig } from '../config/index.js';
import { createProvider, type ModelProvider } from '../adapters/index.js';
import type { SerializedError } from '../actors/index.js';
import type { ServiceHandle } from './registry.js';

interface SnapshotLike {
  value: unknown;
  status: string;
  context: { lastError?: SerializedError | null };
  matches(value: unknown): boolean;
}

export interface BindingOptions {
  createAdapter?: (provider: ProviderConfig, opts: { mode: OperatingMode }) => ModelProvider;
  /** Upper bound on one ensureHealthy wait; the machine's own timeouts normally end it first. */
  timeoutMs?: number;
}

// Usable: healthy, model ready, and not in the middle of re-checking a server a request found gone.
function usable(s: SnapshotLike): boolean {
  if (!s.matches({ healthy: { model: 'ready' } })) return false;
  const v = s.value as { healthy?: { probe?: unknown } };
  return v.healthy?.probe !== 'reprobing';
}

// States in which waiting longer will not help: the machine waits for the user (or a poll) there.
function settledBad(s: SnapshotLike): boolean {
  return s.status !== 'active' || s.matches('failed') || s.matches('unavailable') || s.matches('stopped')
    || s.matches({ healthy: { model: 'missing' } });
}

export function errorFrom(provider: ProviderConfig, s: SnapshotLike): AcodeError {
  const e = s.context.lastError;
  if (e) return new AcodeError(e.code as AcodeError['code'], e.message, e.hint, { details: { provider: provider.id, ...e.details } });
  return new AcodeError('PROVIDER_UNAVAILABLE', `${provider.id} is not available (${JSON.stringify(s.value)}).`,
    `Run \`acode providers status ${provider.id}\` to see why.`, { details: { provider: provider.id } });
}

function defaultTimeoutMs(p: ProviderConfig): number {
  const l = p.lifecycle;
  return ((l.startTimeoutSeconds + l.modelLoadTimeoutSeconds) * (l.maxRestarts + 1) + 60) * 1000;
}

/** Binds a spawned service actor to the ServiceHandle API the registry and the retry layer use. */
export function bindServiceRef(ref: AnyActorRef, provider: ProviderConfig, mode: OperatingMode, options: BindingOptions = {}): ServiceHandle & { close(): void } {
  const createAdapter = options.createAdapter ?? createProvider;
  let adapter: ModelProvider | undefined;
  const snapshot = (): SnapshotLike => ref.getSnapshot() as SnapshotLike;

  async function ensureHealthy({ signal }: { signal?: AbortSignal } = {}): Promise<ModelProvider> {
    if (!usable(snapshot())) {
      ref.send({ type: 'ENSURE' });
      try {
        await waitFor(ref, (s) => usable(s as SnapshotLike) || settledBad(s as SnapshotLike),
          { timeout: options.timeoutMs ?? defaultTimeoutMs(provider), ...(signal ? { signal } : {}) });
      } catch (error) {
        if (signal?.aborted) throw new AcodeError('ABORTED', `${provider.id}: waiting for the server was cancelled.`, 'Run the command again when you are ready.', { cause: error });
        throw new AcodeError('PROVIDER_UNAVAILABLE', `${provider.id} did not become healthy in time.`,
          `Run \`acode providers status ${provider.id}\` and check its log.`, { cause: error, details: { provider: provider.id } });
      }
      const s = snapshot();
      if (!usable(s)) throw errorFrom(provider, s);
    }
    adapter ??= createAdapter(provider, { mode });
    return adapter;
  }

  return {
    ensureHealthy,
    requestFailed(error?: unknown) {
      const code = (error as { code?: unknown } | undefined)?.code;
      ref.send({ type: 'REQUEST_FAILED', ...(typeof code === 'string' ? { detail: code } : {}) });
    },
    async stop({ signal }: { signal?: AbortSignal } = {}) {
      ref.send({ type: 'STOP' });
      await waitFor(ref, (s) => { const x = s as SnapshotLike; return x.status !== 'active' || x.matches('stopped') || x.matches('failed'); },
        { timeout: (provider.lifecycle.startTimeoutSeconds + 30) * 1000, ...(signal ? { signal } : {}) });
    },
    close() {
      void adapter?.close();
    },
  };
}
