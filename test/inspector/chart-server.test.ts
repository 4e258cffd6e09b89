// The offline inspector's pieces without a browser: the chart comes from a machine's definition (not a
// copy), ELK nests the boxes and keeps them and the labels apart, and the HTTP server answers only on 127.0.0.1 with a strict CSP,
// streaming the bus's records (with the backlog) as Server-Sent Events.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { SERVICE_STATES, requestMachine, serviceMachine } from '../../machines/index.js';
import { registryMachine } from '../../machines/registry.machine.js';
import {
  chartGraph,
  createInspectionBus,
  layoutChart,
  startInspectorServer,
  busRecords,
  type Box,
  type InspectorServer,
} from '../../inspector/index.js';

let servers: InspectorServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('chartGraph', () => {
  it('reads every state of the service machine, nested, and its transitions from the definition', () => {
    const g = chartGraph(serviceMachine);
    expect(g.states.filter((s) => !s.parent).map((s) => s.id)).toEqual([...SERVICE_STATES]);
    const state = (id: string) => g.states.find((s) => s.id === id);
    expect(state('stopped')?.initial).toBe(true);
    expect(state('healthy')?.type).toBe('parallel');
    expect(state('healthy.model')).toMatchObject({ parent: 'healthy', region: true, initial: false });
    expect(state('healthy.model.unknown')).toMatchObject({ parent: 'healthy.model', region: false, initial: true });
    expect(g.states.filter((s) => s.parent === 'healthy.model').map((s) => s.key)).toEqual([
      'unknown',
      'checking',
      'pulling',
      'ready',
      'missing',
    ]);
    const edge = (from: string, to: string) => g.transitions.find((t) => t.from === from && t.to === to)?.events;
    expect(edge('crashed', 'restarting')).toEqual(['after settle']);
    expect(edge('restarting.backingOff', 'starting')).toEqual(['after backoff']);
    expect(edge('detecting', 'starting')).toEqual(['done: detect']);
    expect(edge('detecting', 'starting.proc.watching')).toEqual(['done: detect']);
    expect(edge('healthy', 'crashed')).toEqual(expect.arrayContaining(['PROCESS_EXITED', 'PROBE_FAILED']));
    expect(edge('healthy.model.pulling', 'healthy.model.checking')).toEqual(['PULL_DONE']);
    // Eventless transitions (kept out of the definition's list) are drawn with their guard.
    expect(edge('starting.proc.routing', 'starting.proc.checkingGpus')).toEqual(['[checksGpus]']);
    expect(edge('starting.proc.routing', 'starting.proc.spawning')).toEqual(['always']);
    expect(g.reentries).toContain('any state -> reloading: RECONFIGURE');
  });

  it('follows the machine it is given (another machine, other boxes)', () => {
    const m = createMachine({
      id: 'door',
      initial: 'closed',
      states: { closed: { on: { OPEN: 'open' } }, open: { on: { CLOSE: 'closed' } } },
    });
    const g = chartGraph(m);
    expect(g.states.map((s) => [s.id, s.initial])).toEqual([
      ['closed', true],
      ['open', false],
    ]);
    expect(g.transitions.map((t) => `${t.from}>${t.to}:${t.events.join()}`)).toEqual([
      'closed>open:OPEN',
      'open>closed:CLOSE',
    ]);
  });
});

describe('layoutChart', () => {
  const apart = (a: Box, b: Box) => a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
  const within = (a: Box, b: Box) => a.x >= b.x && a.y >= b.y && a.x + a.w <= b.x + b.w && a.y + a.h <= b.y + b.h;

  it.each([
    ['service', serviceMachine],
    ['request', requestMachine],
    ['registry', registryMachine],
  ])(
    "nests the %s machine's boxes in their parents, apart from their siblings, labels apart",
    async (_name, machine) => {
      const chart = await layoutChart(machine);
      const byId = new Map(chart.nodes.map((n) => [n.id, n]));
      for (const n of chart.nodes) {
        expect(within(n, n.parent ? byId.get(n.parent)! : { x: 0, y: 0, w: chart.width, h: chart.height })).toBe(true);
        expect(within(n.title, n)).toBe(true);
        for (const m of chart.nodes)
          if (m !== n && m.parent === n.parent)
            expect({ a: n.id, b: m.id, apart: apart(n, m) }).toEqual({ a: n.id, b: m.id, apart: true });
      }
      const labels = chart.edges.flatMap((e) => (e.label ? [e.label] : []));
      expect(labels.length).toBe(chart.edges.filter((e) => !e.stop).length);
      for (const [i, a] of labels.entries())
        for (const b of labels.slice(i + 1))
          expect({ a: a.text, b: b.text, apart: apart(a, b) }).toEqual({ a: a.text, b: b.text, apart: true });
      for (const e of chart.edges) expect(e.path).toMatch(/^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+/);
    },
    60_000,
  );
});

describe('startInspectorServer', () => {
  it('binds 127.0.0.1, serves a self-contained page with a CSP, refuses foreign Host headers', async () => {
    const s = await startInspectorServer({ records: busRecords(createInspectionBus(), {}) });
    servers.push(s);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`);
    const page = await get(s.port, '/');
    expect(page.status).toBe(200);
    expect(String(page.headers['content-security-policy'])).toMatch(/default-src 'none'.*connect-src 'self'/);
    // Nothing external: no src/href to another origin anywhere in the page.
    expect(page.body).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    // One chart per machine: the services and the registry beside them.
    expect(page.body).toContain('"machine":"service"');
    expect(page.body).toContain('"machine":"registry"');
    expect((await get(s.port, '/', { host: 'evil.example:80' })).status).toBe(421);
    expect((await get(s.port, '/api/recording')).status).toBe(204);
  });

  it('streams the bus as Server-Sent Events, backlog first, secrets removed', async () => {
    const bus = createInspectionBus();
    const s = await startInspectorServer({ records: busRecords(bus, { HF_TOKEN: 'hf_serverSECRET0001' }) });
    servers.push(s);
    const m = createMachine({ id: 'probe', initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } });
    const actor = createActor(m, { inspect: bus.inspect, systemId: 'service.probe' }).start();
    actor.send({ type: 'GO', note: 'hf_serverSECRET0001' });
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: s.port, path: '/events' }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString('utf8');
          if (text.includes('"value":"b"')) {
            req.destroy();
            resolve(text);
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    const records = body
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { kind: string; actor: string; event?: unknown });
    expect(records.map((r) => r.kind)).toEqual(expect.arrayContaining(['actor', 'event', 'snapshot']));
    expect(records.find((r) => r.kind === 'event' && JSON.stringify(r.event).includes('GO'))).toMatchObject({
      actor: 'service.probe',
      event: { type: 'GO', note: '***' },
    });
    expect(body).not.toContain('hf_serverSECRET0001');
  });

  it('explains a taken port in one sentence with a hint', async () => {
    const first = await startInspectorServer({ records: busRecords(createInspectionBus(), {}) });
    servers.push(first);
    await expect(
      startInspectorServer({ records: busRecords(createInspectionBus(), {}), port: first.port }),
    ).rejects.toMatchObject({ code: 'PORT_IN_USE', hint: expect.stringMatching(/--port/) });
  });
});
