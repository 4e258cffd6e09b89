// What makes a drawn state chart readable, checked on what the browser actually drew (DOM bounding
// boxes, points sampled along each edge's path): no two labels overlap, no edge label sits on a state
// box the edge does not enter or leave, and no edge runs through such a box.
import type { Page } from 'playwright-core';

export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}
export interface DrawnState {
  chart: number;
  id: string;
  box: Rect;
  title: Rect | null;
  text: string;
}
export interface DrawnLabel {
  chart: number;
  from: string;
  to: string;
  box: Rect;
  text: string;
}
export interface DrawnEdge {
  chart: number;
  from: string;
  to: string;
  points: Array<{ x: number; y: number }>;
}
export interface DrawnChart {
  states: DrawnState[];
  labels: DrawnLabel[];
  edges: DrawnEdge[];
}

/** Reads every `svg.chart` on the page: states are `g[data-state]` (a rect and a text), edges and their
 * labels carry `data-from` / `data-to`. */
export async function readDrawnCharts(page: Page): Promise<DrawnChart> {
  // Runs in the browser (the project compiles without the DOM lib: the shapes used are declared here).
  type R = { left: number; top: number; right: number; bottom: number };
  type E = {
    getAttribute(n: string): string | null;
    getBoundingClientRect(): R;
    querySelector(s: string): E | null;
    querySelectorAll(s: string): E[];
    closest(s: string): E | null;
    textContent: string | null;
    getTotalLength(): number;
    getPointAtLength(l: number): { matrixTransform(m: unknown): { x: number; y: number } };
    getScreenCTM(): unknown;
  };
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: E }).document;
    const rect = (e: E | null) => {
      if (!e) return null;
      const r = e.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    };
    const out = { states: [] as DrawnState[], labels: [] as DrawnLabel[], edges: [] as DrawnEdge[] };
    [...doc.querySelectorAll('svg.chart')].forEach((svg, chart) => {
      for (const g of svg.querySelectorAll('g[data-state], g[data-model]')) {
        const box = rect(g.querySelector(':scope > rect'));
        if (box)
          out.states.push({
            chart,
            id: g.getAttribute('data-state') ?? g.getAttribute('data-model') ?? '',
            box,
            title: rect(g.querySelector(':scope > text')),
            text: g.querySelector(':scope > text')?.textContent ?? '',
          });
      }
      for (const t of svg.querySelectorAll('[data-from] text')) {
        const g = t.closest('[data-from]') as E;
        out.labels.push({
          chart,
          from: g.getAttribute('data-from') ?? '',
          to: g.getAttribute('data-to') ?? '',
          box: rect(t) as R,
          text: t.textContent ?? '',
        });
      }
      for (const p of svg.querySelectorAll('g.edge path')) {
        const g = p.closest('[data-from]') as E;
        const length = p.getTotalLength();
        const points: Array<{ x: number; y: number }> = [];
        for (let at = 0; at <= length; at += 3) points.push(p.getPointAtLength(at).matrixTransform(p.getScreenCTM()));
        out.edges.push({ chart, from: g.getAttribute('data-from') ?? '', to: g.getAttribute('data-to') ?? '', points });
      }
    });
    return out;
  });
}

const overlap = (a: Rect, b: Rect, slack = 0.5) =>
  a.left < b.right - slack && b.left < a.right - slack && a.top < b.bottom - slack && b.top < a.bottom - slack;
const inside = (p: { x: number; y: number }, r: Rect, inset: number) =>
  p.x > r.left + inset && p.x < r.right - inset && p.y > r.top + inset && p.y < r.bottom - inset;
/** The edge enters or leaves this state, or one inside it (a box around its end is the edge's too). */
const belongs = (state: string, e: { from: string; to: string }) =>
  [e.from, e.to].some((end) => end === state || end.startsWith(`${state}.`));

/** Every readability fault found, one line each (empty when the chart is readable). */
export function readabilityFaults({ states, labels, edges }: DrawnChart): string[] {
  const faults: string[] = [];
  const titles = states.flatMap((s) => (s.title ? [{ chart: s.chart, what: `state "${s.id}"`, box: s.title }] : []));
  const texts = [
    ...titles,
    ...labels.map((l) => ({ chart: l.chart, what: `label "${l.text}" (${l.from} -> ${l.to})`, box: l.box })),
  ];
  for (const [i, a] of texts.entries()) {
    for (const b of texts.slice(i + 1))
      if (a.chart === b.chart && overlap(a.box, b.box)) faults.push(`${a.what} overlaps ${b.what}`);
  }
  for (const l of labels) {
    for (const s of states) {
      if (s.chart === l.chart && !belongs(s.id, l) && overlap(l.box, s.box))
        faults.push(`label "${l.text}" (${l.from} -> ${l.to}) sits on state "${s.id}"`);
    }
  }
  for (const e of edges) {
    for (const s of states) {
      if (s.chart !== e.chart || belongs(s.id, e)) continue;
      if (e.points.some((p) => inside(p, s.box, 2)))
        faults.push(`edge ${e.from} -> ${e.to} runs through state "${s.id}"`);
    }
  }
  return faults;
}
