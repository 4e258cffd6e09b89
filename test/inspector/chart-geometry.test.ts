// The readability checks the browser test applies to the drawn page, on hand-made geometry: each kind
// of fault is found, and what belongs together (a label on its own edge's box) is not one.
import { describe, expect, it } from 'vitest';
import { readabilityFaults, type DrawnChart } from '../e2e/chart-geometry.js';

const r = (left: number, top: number, w: number, h: number) => ({ left, top, right: left + w, bottom: top + h });
const base = (): DrawnChart => ({
  states: [
    { chart: 0, id: 'a', box: r(0, 0, 100, 30), title: r(30, 8, 40, 14), text: 'a' },
    { chart: 0, id: 'b', box: r(0, 200, 100, 30), title: r(30, 208, 40, 14), text: 'b' },
    { chart: 0, id: 'c', box: r(200, 100, 100, 30), title: r(230, 108, 40, 14), text: 'c' },
  ],
  labels: [{ chart: 0, from: 'a', to: 'b', box: r(60, 100, 50, 14), text: 'GO' }],
  edges: [
    {
      chart: 0,
      from: 'a',
      to: 'b',
      points: [
        { x: 50, y: 30 },
        { x: 50, y: 115 },
        { x: 50, y: 200 },
      ],
    },
  ],
});

describe('readabilityFaults', () => {
  it('finds nothing in a clean chart', () => {
    expect(readabilityFaults(base())).toEqual([]);
  });
  it('finds two labels on each other, a label on a foreign state, an edge through a foreign state', () => {
    const d = base();
    d.labels.push({ chart: 0, from: 'b', to: 'a', box: r(70, 104, 50, 14), text: 'BACK' });
    d.labels.push({ chart: 0, from: 'a', to: 'b', box: r(210, 110, 30, 14), text: 'ON_C' });
    d.edges.push({ chart: 0, from: 'a', to: 'b', points: [{ x: 250, y: 115 }] });
    expect(readabilityFaults(d)).toEqual([
      'state "c" overlaps label "ON_C" (a -> b)',
      'label "GO" (a -> b) overlaps label "BACK" (b -> a)',
      'label "ON_C" (a -> b) sits on state "c"',
      'edge a -> b runs through state "c"',
    ]);
  });
  it("lets a label sit inside the box that holds its edge's end (a compound state)", () => {
    const d = base();
    d.states.push({ chart: 0, id: 'p', box: r(-10, -20, 400, 300), title: r(150, -18, 20, 14), text: 'p' });
    d.states[0]!.id = 'p.a';
    d.labels[0]!.from = 'p.a';
    d.edges[0]!.from = 'p.a';
    expect(readabilityFaults(d)).toEqual([]);
  });
});
