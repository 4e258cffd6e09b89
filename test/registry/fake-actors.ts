// Fake I/O actors for the REAL service machine: an in-memory "server" that can be up, down or killed,
// so registry + service + retry layer run together with no process and no socket.
import { fromCallback, fromPromise, type EventObject } from 'xstate';
import type {
  ActorContracts,
  DetectResult,
  ModelCheckResult,
  SerializedError,
  ServiceRef,
} from '../../actors/index.js';

export interface FakeServer {
  up: boolean;
  spawns: number;
  /** When set, spawnServer rejects with it (binary missing, port taken ...). */
  spawnError?: SerializedError;
  kill(): void;
  /** Ids of every actor started, in order, for assertions on what was (not) done. */
  log: string[];
}

type In<K extends keyof ActorContracts> = ActorContracts[K]['input'];

/** `preset` sets per-provider behaviour up front (e.g. a spawnError). */
export function fakeServers(preset: Record<string, Partial<FakeServer>> = {}): {
  servers: Map<string, FakeServer>;
  actors: ReturnType<typeof fakeActorsFor>;
} {
  const servers = new Map<string, FakeServer>();
  return { servers, actors: fakeActorsFor(servers, preset) };
}

function fakeActorsFor(servers: Map<string, FakeServer>, preset: Record<string, Partial<FakeServer>>) {
  const watchers = new Map<string, Set<(e: EventObject & Record<string, unknown>) => void>>();
  const server = (ref: ServiceRef): FakeServer => {
    const id = ref.provider.id;
    let s = servers.get(id);
    if (!s) {
      s = {
        up: false,
        spawns: 0,
        log: [],
        kill() {
          this.up = false;
          for (const send of watchers.get(id) ?? [])
            send({ type: 'PROCESS_EXITED', exitCode: null, signal: 'SIGKILL', logTail: [] });
        },
        ...preset[id],
      };
      servers.set(id, s);
    }
    return s;
  };
  return {
    detect: fromPromise<DetectResult, ServiceRef>(async ({ input }) => {
      server(input).log.push('detect');
      return server(input).up ? { kind: 'running' } : { kind: 'absent' };
    }),
    spawnServer: fromPromise<ActorContracts['spawnServer']['output'], In<'spawnServer'>>(async ({ input }) => {
      const s = server(input);
      s.log.push('spawn');
      if (s.spawnError) throw s.spawnError;
      s.spawns++;
      s.up = true;
      return { pid: 1000 + s.spawns, adopted: false };
    }),
    watchProcess: fromCallback<EventObject, In<'watchProcess'>>(({ input, sendBack }) => {
      const set = watchers.get(input.provider.id) ?? new Set();
      watchers.set(input.provider.id, set);
      set.add(sendBack);
      return () => set.delete(sendBack);
    }),
    healthPoller: fromCallback<EventObject, In<'healthPoller'>>(({ input, sendBack }) => {
      if (input.phase !== 'starting') return undefined;
      const t = setTimeout(() => {
        if (server(input).up) sendBack({ type: 'PROBE_OK' });
      }, 0);
      return () => clearTimeout(t);
    }),
    // An in-memory server logs nothing.
    watchLog: fromCallback<EventObject, In<'watchLog'>>(() => undefined),
    checkModel: fromPromise<ModelCheckResult, In<'checkModel'>>(async () => ({ kind: 'ready' })),
    // In-memory servers need no GPU.
    checkGpus: fromPromise<ActorContracts['checkGpus']['output'], In<'checkGpus'>>(async () => ({ gpus: [] })),
    fetchModel: fromPromise<ActorContracts['fetchModel']['output'], In<'fetchModel'>>(async () => ({
      kind: 'cached',
      downloaded: 0,
    })),
    watchGpus: fromCallback<EventObject, In<'watchGpus'>>(() => undefined),
    pullModel: fromCallback<EventObject, In<'pullModel'>>(() => undefined),
    stopServer: fromPromise<ActorContracts['stopServer']['output'], In<'stopServer'>>(async ({ input }) => {
      server(input).log.push('stop');
      server(input).up = false;
      return { signal: 'SIGTERM' };
    }),
  };
}
