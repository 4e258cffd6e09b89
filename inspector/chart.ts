// The service machine's chart for the offline page, read from the machine definition (never a copy of
// it): top-level states as boxes, the healthy state's model region inside its box, transitions as
// labelled edges, laid out in columns by distance from the initial state.
import { serviceMachine } from '../machines/index.js';

export interface ChartNode { id: string; x: number; y: number; w: number; h: number; initial: boolean }
export interface ChartSubNode { id: string; parent: string; x: number; y: number; w: number; h: number }
export interface ChartEdge { from: string; to: string; label: string; path: string; lx: number; ly: number }
export interface Chart {
  machine: string;
  width: number;
  height: number;
  nodes: ChartNode[];
  /** The model region's states, drawn inside the healthy box. */
  sub: ChartSubNode[];
  edges: ChartEdge[];
  /** Model region transitions, as "from -> to: label" text (drawn as a list, not as edges). */
  subEdges: string[];
}

interface DefNode {
  id: string;
  key: string;
  initial?: { target?: Array<{ key: string }> };
  states: Record<string, DefNode>;
  transitions: Array<{ eventType: string; target?: Array<{ id: string }> | null; guard?: unknown }>;
  invoke: Array<{ id: string; src: unknown }>;
}

const W = 132;
const H = 34;
const SUB_H = 22;
const COL_GAP = 160;
const ROW_GAP = 40;
const MARGIN = 30;

// `service.healthy.model.ready` → ['healthy', 'model', 'ready'] (below the machine id).
const pathOf = (id: string, root: string) => id.replace(/^#/, '').split('.').slice(root.split('.').length);

function labelOf(eventType: string, invokeSrc: Map<string, string>): string {
  if (eventType === '') return 'always';
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (done) return `${done[1] === 'done' ? 'done' : 'error'}: ${invokeSrc.get(done[2] ?? '') ?? 'actor'}`;
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  return eventType;
}

function walk(node: DefNode, visit: (n: DefNode) => void): void {
  visit(node);
  for (const child of Object.values(node.states)) walk(child, visit);
}

export function buildChart(definition: DefNode = serviceMachine.definition as unknown as DefNode): Chart {
  const root = definition.id;
  const tops = Object.keys(definition.states);
  const healthy = definition.states.healthy;
  const subs = Object.keys(healthy?.states.model?.states ?? {});
  const invokeSrc = new Map<string, string>();
  walk(definition, (n) => n.invoke.forEach((i) => invokeSrc.set(i.id, typeof i.src === 'string' ? i.src : 'actor')));

  const labels = new Map<string, Set<string>>();
  const subLabels = new Map<string, Set<string>>();
  walk(definition, (n) => {
    const from = pathOf(n.id, root);
    for (const t of n.transitions) {
      for (const target of t.target ?? []) {
        const to = pathOf(target.id, root);
        const label = labelOf(t.eventType, invokeSrc);
        if (from[0] && to[0] && from[0] !== to[0]) {
          const key = `${from[0]}>${to[0]}`;
          labels.set(key, (labels.get(key) ?? new Set()).add(label));
        } else if (from[1] === 'model' && to[1] === 'model' && from[2] && to[2] && from[2] !== to[2]) {
          const key = `${from[2]}>${to[2]}`;
          subLabels.set(key, (subLabels.get(key) ?? new Set()).add(label));
        }
      }
    }
  });

  // Columns by breadth-first distance from the initial state; unreachable states go last.
  const initial = definition.initial?.target?.[0]?.key ?? tops[0] ?? '';
  const column = new Map<string, number>([[initial, 0]]);
  for (let queue = [initial]; queue.length > 0;) {
    const at = queue.shift() as string;
    for (const key of labels.keys()) {
      const [a, b] = key.split('>') as [string, string];
      if (a === at && !column.has(b)) {
        column.set(b, (column.get(a) ?? 0) + 1);
        queue.push(b);
      }
    }
  }
  const lastCol = Math.max(...column.values()) + 1;
  for (const t of tops) if (!column.has(t)) column.set(t, lastCol);

  const heightOf = (id: string) => (id === 'healthy' ? H + subs.length * (SUB_H + 4) + 6 : H);
  const nodes: ChartNode[] = [];
  const colY = new Map<number, number>();
  for (const id of tops) {
    const col = column.get(id) ?? 0;
    const y = colY.get(col) ?? MARGIN;
    const h = heightOf(id);
    nodes.push({ id, x: MARGIN + col * (W + COL_GAP), y, w: W, h, initial: id === initial });
    colY.set(col, y + h + ROW_GAP);
  }
  const box = new Map(nodes.map((n) => [n.id, n]));
  const hb = box.get('healthy');
  const sub: ChartSubNode[] = hb
    ? subs.map((id, i) => ({ id, parent: 'healthy', x: hb.x + 10, y: hb.y + H + i * (SUB_H + 4), w: W - 20, h: SUB_H }))
    : [];

  const edges: ChartEdge[] = [];
  for (const [key, set] of labels) {
    const [a, b] = key.split('>') as [string, string];
    const p = box.get(a);
    const q = box.get(b);
    if (!p || !q) continue;
    edges.push({ from: a, to: b, label: [...set].join(' / '), ...route(p, q, labels.has(`${b}>${a}`)) });
  }
  const width = Math.max(...nodes.map((n) => n.x + n.w)) + MARGIN;
  const height = Math.max(...nodes.map((n) => n.y + n.h)) + MARGIN;
  const subEdges = [...subLabels].map(([k, set]) => `${k.replace('>', ' -> ')}: ${[...set].join(' / ')}`);
  return { machine: root, width, height, nodes, sub, edges, subEdges };
}

// A cubic curve between two boxes; a pair of opposite edges bends to either side so both stay readable.
function route(p: ChartNode, q: ChartNode, paired: boolean): { path: string; lx: number; ly: number } {
  const sameCol = p.x === q.x;
  const bend = paired ? 14 : 0;
  let x1: number, y1: number, x2: number, y2: number, c1x: number, c1y: number, c2x: number, c2y: number;
  if (sameCol) {
    const down = q.y > p.y;
    x1 = p.x + p.w - 18 + (down ? 0 : -bend * 2); y1 = down ? p.y + p.h : p.y;
    x2 = q.x + q.w - 18 + (down ? 0 : -bend * 2); y2 = down ? q.y : q.y + q.h;
    const out = 60 + bend * 2;
    c1x = x1 + out; c1y = y1; c2x = x2 + out; c2y = y2;
  } else {
    const right = q.x > p.x;
    x1 = right ? p.x + p.w : p.x; y1 = p.y + Math.min(p.h, H) / 2 + (right ? -bend / 2 : bend / 2);
    x2 = right ? q.x : q.x + q.w; y2 = q.y + Math.min(q.h, H) / 2 + (right ? -bend / 2 : bend / 2);
    const dx = (x2 - x1) / 2;
    c1x = x1 + dx; c1y = y1 + (right ? -bend : bend) * 2; c2x = x2 - dx; c2y = y2 + (right ? -bend : bend) * 2;
  }
  // The curve's midpoint (t = 0.5) carries the label.
  const lx = (x1 + 3 * c1x + 3 * c2x + x2) / 8;
  const ly = (y1 + 3 * c1y + 3 * c2y + y2) / 8;
  const r = (n: number) => Math.round(n * 10) / 10;
  return { path: `M${r(x1)},${r(y1)} C${r(c1x)},${r(c1y)} ${r(c2x)},${r(c2y)} ${r(x2)},${r(y2)}`, lx: r(lx), ly: r(ly) };
}
