// What a machine's chart shows, read from the machine's definition (never a copy of it): every state
// as a box nested in its parent's box (a parallel state's regions as dashed boxes), and its transitions
// as labelled edges between the boxes they leave and enter. Where things go is chart-layout.ts's job.
import type { AnyStateMachine } from 'xstate';

export interface ChartState {
  /** The state's path below the machine, dot-separated: `healthy.model.ready`. */
  id: string;
  key: string;
  /** The enclosing state's id; absent at the top level. */
  parent?: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** One of a parallel state's regions. */
  region: boolean;
  initial: boolean;
}

export interface ChartTransition {
  from: string;
  to: string;
  /** Every event (or `after delay`, `done: actor`, `[guard]`) that takes this transition. */
  events: string[];
}

export interface ChartGraph {
  machine: string;
  states: ChartState[];
  transitions: ChartTransition[];
  /** Transitions into the state they leave or one of its own states (re-entries), as text lines:
   * an edge from a box into itself would only cross its own title. */
  reentries: string[];
}

interface DefTransition {
  eventType: string;
  target?: ReadonlyArray<{ id: string }> | null;
  guard?: unknown;
}
interface DefNode {
  id: string;
  key: string;
  type: ChartState['type'];
  initial?: { target?: Array<{ id: string }> };
  states: Record<string, DefNode>;
  transitions: DefTransition[];
  invoke: Array<{ id: string; src: unknown }>;
}

function walk(node: DefNode, visit: (n: DefNode, parent?: DefNode) => void, parent?: DefNode): void {
  visit(node, parent);
  for (const child of Object.values(node.states)) walk(child, visit, node);
}

// `xstate.done.actor.0.service.detecting` reads better as `done: detect` (the invoked actor's name).
function eventLabel(eventType: string, guard: unknown, invokeSrc: Map<string, string>): string {
  if (eventType === '') {
    const name = typeof guard === 'string' ? guard : (guard as { type?: unknown } | undefined)?.type;
    return typeof name === 'string' ? `[${name}]` : 'always';
  }
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (done) return `${done[1] === 'done' ? 'done' : 'error'}: ${invokeSrc.get(done[2] ?? '') ?? 'actor'}`;
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  return eventType;
}

const within = (id: string, ancestor: string) => ancestor === '' || id === ancestor || id.startsWith(`${ancestor}.`);

export function chartGraph(machine: AnyStateMachine): ChartGraph {
  const definition = machine.definition as unknown as DefNode;
  const rootId = definition.id;
  // `service.healthy.model.ready` → `healthy.model.ready`
  const pathOf = (id: string) => id.replace(/^#/, '').slice(rootId.length + 1);
  const invokeSrc = new Map<string, string>();
  walk(definition, (n) => n.invoke.forEach((i) => invokeSrc.set(i.id, typeof i.src === 'string' ? i.src : 'actor')));

  const states: ChartState[] = [];
  const byPair = new Map<string, ChartTransition>();
  const reentries = new Map<string, Set<string>>();
  walk(definition, (n, parentDef) => {
    const from = pathOf(n.id);
    if (parentDef) {
      const parent = pathOf(parentDef.id);
      states.push({
        id: from,
        key: n.key,
        ...(parent ? { parent } : {}),
        type: n.type,
        region: parentDef.type === 'parallel',
        initial: (parentDef.initial?.target ?? []).some((t) => t.id === n.id),
      });
    }
    // The definition leaves eventless (`always`) transitions out; the state node has them.
    const always = (machine.getStateNodeById(n.id).always ?? []) as unknown as DefTransition[];
    for (const t of [...n.transitions, ...always]) {
      for (const target of t.target ?? []) {
        const to = pathOf(target.id);
        const label = eventLabel(t.eventType, t.guard, invokeSrc);
        if (within(to, from) || within(from, to)) {
          const key = `${from || 'any state'} -> ${to}`;
          reentries.set(key, (reentries.get(key) ?? new Set()).add(label));
          continue;
        }
        const pair = byPair.get(`${from}>${to}`) ?? { from, to, events: [] };
        if (!pair.events.includes(label)) pair.events.push(label);
        byPair.set(`${from}>${to}`, pair);
      }
    }
  });
  return {
    machine: rootId,
    states,
    transitions: [...byPair.values()],
    reentries: [...reentries].map(([k, set]) => `${k}: ${[...set].join(' / ')}`),
  };
}
