// Live inspection records, wherever they come from: this process's bus (its actors' events as records,
// secrets redacted), or the `GET /acode/inspect` stream of a running `acode serve`, so the page shows
// the gateway's services and request machines instead of a second supervisor's.
import type { Env } from '../config/index.js';
import type { InspectionBus } from './bus.js';
import { toRecord, type InspectionRecord } from './record-format.js';

export interface RecordSource {
  subscribe(listener: (record: InspectionRecord) => void): () => void;
}

/** The bus's events as records; each subscriber gets the first snapshot of an actor with its context. */
export function busRecords(bus: InspectionBus, env: Env): RecordSource {
  return {
    subscribe(listener) {
      const seen = new Set<string>();
      const firstSnapshot = (actor: string) => !seen.has(actor) && seen.add(actor) !== undefined;
      return bus.subscribe((event, t) => {
        const record = toRecord(event, t, env, firstSnapshot);
        if (record) listener(record);
      });
    },
  };
}

/**
 * The records a running gateway streams at `<url>/acode/inspect` (Server-Sent Events, one record per
 * `data:` line), read until `signal` aborts or the gateway ends the stream (`onEnd` says why).
 */
export function gatewayRecords(url: string, signal: AbortSignal, onEnd: (why: string) => void): RecordSource {
  const listeners = new Set<(record: InspectionRecord) => void>();
  void (async () => {
    try {
      const res = await fetch(`${url}/acode/inspect`, { signal, headers: { accept: 'text/event-stream' } });
      if (!res.ok || !res.body) return onEnd(`the gateway answered ${res.status} to /acode/inspect`);
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const bytes of res.body) {
        buffered += decoder.decode(bytes as Uint8Array, { stream: true });
        const events = buffered.split('\n\n');
        buffered = events.pop()!;
        for (const e of events) {
          if (!e.startsWith('data: ')) continue;
          const record = JSON.parse(e.slice(6)) as InspectionRecord;
          for (const l of listeners) l(record);
        }
      }
      onEnd('the gateway ended the stream (it stopped)');
    } catch (error) {
      if (!signal.aborted)
        onEnd(`the gateway's stream broke: ${error instanceof Error ? error.message : String(error)}`);
    }
  })();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
