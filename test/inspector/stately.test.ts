// --inspect: the bus forwarded to @statelyai/inspect's WebSocket inspector, only towards loopback, with
// secrets removed; a relay that is not there is one warning, not a hang or a retry loop.
import { freePort } from '../servers/lib/free-port.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { connectStatelyInspector, createInspectionBus, relayUrl } from '../../inspector/index.js';

type WsServer = {
  on(e: 'connection', f: (s: { on(e: 'message', f: (d: Buffer) => void): void }) => void): void;
  close(f?: () => void): void;
  address(): { port: number };
};
// `ws` comes with @statelyai/inspect; loaded by name so the project needs no types for it.
const wsModule = 'ws';

let closers: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

describe('--inspect (Stately WebSocket inspector)', () => {
  it('accepts loopback ws URLs only', () => {
    expect(relayUrl('ws://127.0.0.1:8080').hostname).toBe('127.0.0.1');
    expect(relayUrl('ws://[::1]:9000').hostname).toBe('[::1]');
    expect(() => relayUrl('ws://example.com:8080')).toThrow(expect.objectContaining({ code: 'AIRGAP_VIOLATION' }));
    expect(() => relayUrl('ws://192.168.1.2:8080')).toThrow(expect.objectContaining({ code: 'AIRGAP_VIOLATION' }));
    expect(() => relayUrl('http://127.0.0.1:8080')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('warns once and goes on without it when nothing listens', async () => {
    const warnings: string[] = [];
    const port = await freePort();
    const conn = await connectStatelyInspector(`ws://127.0.0.1:${port}`, createInspectionBus(), {
      env: {},
      warn: (l) => warnings.push(l),
    });
    expect(conn).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`nothing listens on ws://127\\.0\\.0\\.1:${port}/`))]);
  });

  it('forwards inspection events to a relay on 127.0.0.1, redacted', async () => {
    const { WebSocketServer } = (await import(wsModule)) as {
      WebSocketServer: new (o: { host: string; port: number }) => WsServer;
    };
    const port = await freePort();
    const relay = new WebSocketServer({ host: '127.0.0.1', port });
    closers.push(() => new Promise<void>((r) => relay.close(() => r())));
    const received: string[] = [];
    relay.on('connection', (socket) => socket.on('message', (d) => received.push(d.toString('utf8'))));
    const bus = createInspectionBus();
    const secret = 'hf_statelytestSECRET000111';
    const conn = await connectStatelyInspector(`ws://127.0.0.1:${port}`, bus, {
      env: { HF_TOKEN: secret },
      warn: () => {},
    });
    expect(conn).toBeDefined();
    closers.push(() => conn?.close());
    const machine = createMachine({ id: 'probe', initial: 'idle', states: { idle: { on: { GO: 'done' } }, done: {} } });
    const actor = createActor(machine, { inspect: bus.inspect }).start();
    actor.send({ type: 'GO', note: `token ${secret}` });
    const deadline = Date.now() + 10_000;
    while (!received.some((m) => m.includes('"GO"')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const all = received.join('\n');
    expect(all).toContain('"GO"');
    expect(all).toContain('token ***');
    expect(all).not.toContain(secret);
  });
});
