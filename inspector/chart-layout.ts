// Where a chart's boxes, edges and labels go, computed by ELK (elkjs, the layout engine of Stately's own
// visualizer): layered layout over the whole state hierarchy at once, so compound states become boxes
// around their children, edges route around the boxes they do not touch, and edge labels are placed by
// ELK as objects with a size, never on top of each other. elkjs (1.6 MB) loads on the first layout only.
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { AnyStateMachine } from 'xstate';
import { chartGraph, type ChartState } from './chart.js';

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface ChartNode extends ChartState, Box {
  /** Where the state's name is drawn: centred in a leaf, along the top of a box with children. */
  title: Box & { text: string };
}
export interface ChartEdge {
  from: string;
  to: string;
  events: string[];
  /** STOP only: drawn faint and without a label (it leaves almost every state). */
  stop: boolean;
  /** SVG path data of the orthogonal route. */
  path: string;
  label?: Box & { text: string };
}
export interface Chart {
  machine: string;
  width: number;
  height: number;
  /** Parents before their children, so drawing in order nests the boxes. */
  nodes: ChartNode[];
  edges: ChartEdge[];
  reentries: string[];
}

// Labels are drawn in a monospace font at these sizes, and the page pins each text to the width
// measured here (SVG textLength), so what ELK reserved is what the browser draws.
export const LABEL_FONT = { edge: 11, state: 13, region: 11 } as const;
const CHAR_WIDTH = 0.6;
const LINE_HEIGHT = 1.35;
const measure = (text: string, size: number) => ({
  w: Math.ceil(text.length * size * CHAR_WIDTH),
  h: Math.ceil(size * LINE_HEIGHT),
});
const LEAF_PAD = 12;
const LEAF_H = 30;
const TITLE_PAD = 8;

/** More than two events read as the first two and a count; the edge's tooltip has them all. */
const edgeText = (events: string[]) =>
  events.length > 2 ? `${events.slice(0, 2).join(' / ')} +${events.length - 2}` : events.join(' / ');

const LAYOUT: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.spacing.nodeNode': '28',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeLabel': '3',
  'elk.spacing.labelLabel': '6',
  'elk.edgeLabels.placement': 'CENTER',
  // The definition's order is the lifecycle's (stopped, detecting, starting, healthy ...): edges against
  // it are the ones drawn going back up, so the chart reads top-down like the machine file.
  'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
};

type ElkLayout = { layout(graph: ElkNode): Promise<ElkNode> };
let elk: Promise<ElkLayout> | undefined;
async function loadElk(): Promise<ElkLayout> {
  elk ??= import('elkjs/lib/elk.bundled.js').then((m) => {
    const Elk = (m.default ?? m) as unknown as new () => ElkLayout;
    return new Elk();
  });
  return elk;
}

const parentOf = (id: string) => (id.includes('.') ? id.slice(0, id.lastIndexOf('.')) : '');
// The innermost state that holds both ends (ELK wants an edge in the graph that contains it).
function containerOf(a: string, b: string): string {
  let c = parentOf(a);
  while (c !== '' && !b.startsWith(`${c}.`)) c = parentOf(c);
  return c;
}
const round = (n: number) => Math.round(n * 10) / 10;

export async function layoutChart(machine: AnyStateMachine, { signal }: { signal?: AbortSignal } = {}): Promise<Chart> {
  signal?.throwIfAborted();
  const graph = chartGraph(machine);
  const hasChildren = new Set(graph.states.flatMap((s) => (s.parent ? [s.parent] : [])));
  const elkNodes = new Map<string, ElkNode>([['', { id: '', layoutOptions: LAYOUT, children: [], edges: [] }]]);
  const titles = new Map<string, { w: number; h: number }>();
  for (const s of graph.states) {
    const title = measure(s.key, s.region ? LABEL_FONT.region : LABEL_FONT.state);
    titles.set(s.id, title);
    const node: ElkNode = hasChildren.has(s.id)
      ? {
          id: s.id,
          children: [],
          edges: [],
          layoutOptions: {
            'elk.padding': `[top=${title.h + TITLE_PAD * 2},left=${LEAF_PAD},bottom=${LEAF_PAD},right=${LEAF_PAD}]`,
            'elk.nodeSize.constraints': 'MINIMUM_SIZE',
            'elk.nodeSize.minimum': `(${title.w + LEAF_PAD * 2}, ${title.h + LEAF_H})`,
          },
        }
      : { id: s.id, width: Math.max(title.w + LEAF_PAD * 2, 64), height: LEAF_H };
    elkNodes.set(s.id, node);
    elkNodes.get(s.parent ?? '')?.children?.push(node);
  }
  const edges = graph.transitions.map((t, i) => {
    const stop = t.events.length === 1 && t.events[0] === 'STOP';
    const text = edgeText(t.events);
    const edge: ElkExtendedEdge = {
      id: `e${i}`,
      sources: [t.from],
      targets: [t.to],
      ...(stop
        ? {}
        : {
            labels: [
              {
                id: `e${i}.label`,
                text,
                width: measure(text, LABEL_FONT.edge).w,
                height: measure(text, LABEL_FONT.edge).h,
              },
            ],
          }),
    };
    elkNodes.get(containerOf(t.from, t.to))?.edges?.push(edge);
    return { t, stop, text, edge };
  });

  const root = await (await loadElk()).layout(elkNodes.get('') as ElkNode);
  signal?.throwIfAborted();

  const placed = new Map<string, ElkNode>();
  const collect = (n: ElkNode) => {
    placed.set(n.id, n);
    n.children?.forEach(collect);
  };
  collect(root);
  const laidEdges = new Map<string, ElkExtendedEdge>();
  for (const n of placed.values()) for (const e of n.edges ?? []) laidEdges.set(e.id, e);

  const nodes: ChartNode[] = graph.states.map((s) => {
    const n = placed.get(s.id) as ElkNode;
    const box = { x: round(n.x ?? 0), y: round(n.y ?? 0), w: round(n.width ?? 0), h: round(n.height ?? 0) };
    const title = titles.get(s.id) as { w: number; h: number };
    const ty = hasChildren.has(s.id) ? box.y + TITLE_PAD : box.y + (box.h - title.h) / 2;
    return {
      ...s,
      ...box,
      title: { text: s.key, x: round(box.x + (box.w - title.w) / 2), y: round(ty), w: title.w, h: title.h },
    };
  });
  const chartEdges: ChartEdge[] = edges.map(({ t, stop, text, edge }) => {
    const laid = laidEdges.get(edge.id);
    const path = (laid?.sections ?? [])
      .map((s) =>
        [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]
          .map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)},${round(p.y)}`)
          .join(' '),
      )
      .join(' ');
    const l = laid?.labels?.[0];
    return {
      from: t.from,
      to: t.to,
      events: t.events,
      stop,
      path,
      ...(l ? { label: { text, x: round(l.x ?? 0), y: round(l.y ?? 0), w: l.width ?? 0, h: l.height ?? 0 } } : {}),
    };
  });
  return {
    machine: graph.machine,
    width: Math.ceil(root.width ?? 0),
    height: Math.ceil(root.height ?? 0),
    nodes,
    edges: chartEdges,
    reentries: graph.reentries,
  };
}
