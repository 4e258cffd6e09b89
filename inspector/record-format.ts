// The JSONL recording: one line per inspection event, in the order XState emitted them. `t` is wall
// clock ms (the service machine reads the same clock for restart windows); `actor` is the system id
// when there is one (`service.vllm`), else the parent's name + `/` + the actor's id.
import type { InspectionEvent } from 'xstate';
import type { Env } from '../config/index.js';
import { toPlain } from './serialize.js';

export const RECORDING_VERSION = 1;

export interface HeaderRecord {
  kind: 'header';
  version: number;
  t: number;
  tool: 'acode';
}
export interface ActorRecord {
  kind: 'actor';
  t: number;
  actor: string;
  parent?: string;
  src?: string;
}
export interface EventRecord {
  kind: 'event';
  t: number;
  actor: string;
  source?: string;
  event: { type: string } & Record<string, unknown>;
}
export interface SnapshotRecord {
  kind: 'snapshot';
  t: number;
  actor: string;
  /** The type of the event that produced it. */
  event: string;
  status: string;
  /** State value, for machine actors. */
  value?: unknown;
  /** The machine's context, on an actor's first snapshot only (it holds the input a replay needs). */
  context?: Record<string, unknown>;
  output?: unknown;
  error?: unknown;
}
export type InspectionRecord = HeaderRecord | ActorRecord | EventRecord | SnapshotRecord;

type RefLike = {
  id: string;
  sessionId: string;
  systemId?: string;
  src?: unknown;
  _parent?: RefLike;
  logic?: { id?: string };
};

/** Names actors stably across runs (session ids are not). */
export function actorName(ref: RefLike | undefined): string | undefined {
  if (!ref) return undefined;
  if (ref.systemId) return ref.systemId;
  const parent = actorName(ref._parent);
  if (parent === undefined) return ref.logic?.id ?? 'root';
  return `${parent}/${ref.id}`;
}

/** Converts one XState inspection event; microsteps, actions and transitions are left out (derivable). */
export function toRecord(
  e: InspectionEvent,
  t: number,
  env: Env,
  firstSnapshot: (actor: string) => boolean,
): InspectionRecord | undefined {
  const ref = e.actorRef as unknown as RefLike;
  const actor = actorName(ref) ?? 'unknown';
  switch (e.type) {
    case '@xstate.actor': {
      const parent = actorName(ref._parent);
      return {
        kind: 'actor',
        t,
        actor,
        ...(parent ? { parent } : {}),
        ...(typeof ref.src === 'string' ? { src: ref.src } : {}),
      };
    }
    case '@xstate.event': {
      const source = actorName(e.sourceRef as unknown as RefLike | undefined);
      return { kind: 'event', t, actor, ...(source ? { source } : {}), event: toPlain(e.event, env) };
    }
    case '@xstate.snapshot': {
      const s = e.snapshot as { status: string; value?: unknown; context?: unknown; output?: unknown; error?: unknown };
      const out: SnapshotRecord = { kind: 'snapshot', t, actor, event: e.event.type, status: s.status };
      if (s.value !== undefined) out.value = toPlain(s.value, env);
      if (s.context !== undefined && firstSnapshot(actor)) out.context = toPlain(s.context, env);
      if (s.output !== undefined) out.output = toPlain(s.output, env);
      if (s.error !== undefined) out.error = toPlain(s.error, env);
      return out;
    }
    default:
      return undefined;
  }
}

/** Parses a recording; a line that is not JSON names its line number. */
export function parseRecording(text: string, file = 'recording'): InspectionRecord[] {
  const records: InspectionRecord[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as InspectionRecord);
    } catch {
      throw new SyntaxError(`${file}:${i + 1}: not a JSON line`);
    }
  }
  return records;
}
