// The gateway reads request bodies with stream listeners (not `for await`, see readJson): a body that is
// not JSON is a 400 in the protocol's shape, and a client that goes away mid-body leaves nothing in flight.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Engine, type Gateway } from '../../gateway/index.js';

// Only the body is read before these requests fail: the engine is never asked.
const engine = {
  route: () => ({ provider: 'none' }),
  status: () => [],
  onStatus: () => () => undefined,
  config: { providers: {} },
} as unknown as Engine;

let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close(100);
  gateway = undefined;
});

async function start(): Promise<number> {
  gateway = createGateway({ engine, host: '127.0.0.1', port: 0, version: 'test' });
  return (await gateway.listen()).port;
}

describe('gateway request bodies', () => {
  it("answers a body that is not JSON with a 400 BAD_REQUEST, in each protocol's error shape", async () => {
    const port = await start();
    const openai = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', body: '{"model": ' });
    expect(openai.status).toBe(400);
    expect(await openai.json()).toMatchObject({
      error: { code: 'BAD_REQUEST', message: expect.stringMatching(/not valid JSON/) },
    });
    const ollama = await fetch(`http://127.0.0.1:${port}/api/chat`, { method: 'POST', body: 'nope' });
    expect(ollama.status).toBe(400);
    expect(await ollama.json()).toMatchObject({ code: 'BAD_REQUEST', error: expect.stringMatching(/not valid JSON/) });
  });

  it('a client that disconnects halfway through its body leaves no request in flight', async () => {
    const port = await start();
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":"m",',
    );
    // The gateway counts the request once its headers are parsed.
    for (let i = 0; i < 200 && gateway!.inFlight === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(gateway!.inFlight).toBe(1);
    socket.destroy();
    for (let i = 0; i < 200 && gateway!.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(gateway!.inFlight).toBe(0);
  });
});
