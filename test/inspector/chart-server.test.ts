// The offline inspector's pieces without a browser: the chart comes from a machine's definition (not a
// copy), its layout keeps boxes apart, and the HTTP server answers only on 127.0.0.1 with a strict CSP,
// streaming the bus's records (with the backlog) as Server-Sent Events.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { SERVICE_STATES } from '../../machines/index.js';
import { buildChart, createInspectionBus, startInspectorServer, type InspectorServer } from '../../inspector/index.js';

let servers: InspectorServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString('utf8'); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('buildChart', () => {
  it('draws every top-level state of the service machine, the model region inside healthy, and its transitions', () => {
    const chart = buildChart();
    expect(chart.nodes.map((n) => n.id)).toEqual([...SERVICE_STATES]);
    expect(chart.nodes.find((n) => n.initial)?.id).toBe('stopped');
    expect(chart.sub.map((s) => s.id)).toEqual(['unknown', 'checking', 'pulling', 'ready', 'missing']);
    const edge = (from: string, to: string) => chart.edges.find((e) => e.from === from && e.to === to)?.label;
    expect(edge('crashed', 'restarting')).toBe('after settle');
    expect(edge('restarting', 'starting')).toBe('after backoff');
    expect(edge('detecting', 'starting')).toBe('done: detect');
    expect(edge('healthy', 'crashed')?.split(' / ')).toEqual(expect.arrayContaining(['PROCESS_EXITED', 'PROBE_FAILED']));
    expect(chart.subEdges).toContain('pulling -> checking: PULL_DONE');
    for (const e of chart.edges) expect(e.path).toMatch(/^M[\d.]+,[\d.]+ C/);
  });

  it('lays boxes out without overlap, inside the canvas', () => {
    const { nodes, width, height } = buildChart();
    for (const a of nodes) {
      expect(a.x + a.w).toBeLessThanOrEqual(width);
      expect(a.y + a.h).toBeLessThanOrEqual(height);
      for (const b of nodes) {
        if (a === b) continue;
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        expect({ a: a.id, b: b.id, apart }).toEqual({ a: a.id, b: b.id, apart: true });
      }
    }
  });

  it('follows the definition it is given (another machine, other boxes)', () => {
    const m = createMachine({ id: 'door', initial: 'closed', states: { closed: { on: { OPEN: 'open' } }, open: { on: { CLOSE: 'closed' } } } });
    const chart = buildChart(m.definition as never);
    expect(chart.nodes.map((n) => [n.id, n.initial])).toEqual([['closed', true], ['open', false]]);
    expect(chart.edges.map((e) => `${e.from}>${e.to}:${e.label}`)).toEqual(['closed>open:OPEN', 'open>closed:CLOSE']);
  });
});

describe('startInspectorServer', () => {
  it('binds 127.0.0.1, serves a self-contained page with a CSP, refuses foreign Host headers', async () => {
    const s = await startInspectorServer({ bus: createInspectionBus(), env: {} });
    servers.push(s);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`);
    const page = await get(s.port, '/');
    expect(page.status).toBe(200);
    expect(String(page.headers['content-security-policy'])).toMatch(/default-src 'none'.*connect-src 'self'/);
    // Nothing external: no src/href to another origin anywhere in the page.
    expect(page.body).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(page.body).toContain('"machine":"service"');
    expect((await get(s.port, '/', { host: 'evil.example:80' })).status).toBe(421);
    expect((await get(s.port, '/api/recording')).status).toBe(204);
  });

  it('streams the bus as Server-Sent Events, backlog first, secrets removed', async () => {
    const bus = createInspectionBus();
    const s = await startInspectorServer({ bus, env: { HF_TOKEN: 'hf_serverSECRET0001' } });
    servers.push(s);
    const m = createMachine({ id: 'probe', initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } });
    const actor = createActor(m, { inspect: bus.inspect, systemId: 'service.probe' }).start();
    actor.send({ type: 'GO', note: 'hf_serverSECRET0001' });
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: s.port, path: '/events' }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString('utf8');
          if (text.includes('"value":"b"')) { req.destroy(); resolve(text); }
        });
      });
      req.on('error', reject);
      req.end();
    });
    const records = body.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { kind: string; actor: string; event?: unknown });
    expect(records.map((r) => r.kind)).toEqual(expect.arrayContaining(['actor', 'event', 'snapshot']));
    expect(records.find((r) => r.kind === 'event' && JSON.stringify(r.event).includes('GO'))).toMatchObject({ actor: 'service.probe', event: { type: 'GO', note: '***' } });
    expect(body).not.toContain('hf_serverSECRET0001');
  });

  it('explains a taken port in one sentence with a hint', async () => {
    const first = await startInspectorServer({ bus: createInspectionBus(), env: {} });
    servers.push(first);
    await expect(startInspectorServer({ bus: createInspectionBus(), env: {}, port: first.port }))
      .rejects.toMatchObject({ code: 'PORT_IN_USE', hint: expect.stringMatching(/--port/) });
  });
});
