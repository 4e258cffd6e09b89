// One inspection bus per process: every actor is created with `inspect: bus.inspect` (the registry's
// root actor passes it to the whole system), and the recorder, the live page and the Stately
// WebSocket inspector subscribe. A listener that throws never breaks the machines.
import type { InspectionEvent } from 'xstate';

export type InspectionListener = (event: InspectionEvent, t: number) => void;

export interface InspectionBus {
  /** Pass to createActor(..., { inspect }) / openRegistry({ inspect }). */
  readonly inspect: (event: InspectionEvent) => void;
  subscribe(listener: InspectionListener): () => void;
  readonly listenerCount: number;
}

export function createInspectionBus({ now = Date.now }: { now?: () => number } = {}): InspectionBus {
  const listeners = new Set<InspectionListener>();
  return {
    inspect(event) {
      if (listeners.size === 0) return;
      const t = now();
      for (const l of listeners) {
        try {
          l(event, t);
        } catch {
          // inspection is an observer: its failure must not change what the machines do
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get listenerCount() {
      return listeners.size;
    },
  };
}
