import dns from 'node:dns';
import net from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProvider, isServerGone, type ModelProvider } from '../../adapters/index.js';
import { firstLineOf } from '../../adapters/wire-errors.js';
import { AcodeError, ERROR_CODES } from '../../config/index.js';
import { caught, freePort, providerConfig, startFixture, type Fixture, type Handler } from './fixture-server.js';
import { APACHE_404 } from './foreign-page.js';
import { until } from '../support/processes.js';

let fixture: Fixture | undefined;
let provider: ModelProvider | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await provider?.close();
  await fixture?.close();
  provider = undefined;
  fixture = undefined;
});

const user = [{ role: 'user' as const, content: 'hi' }];
const line = (content: string) =>
  `${JSON.stringify({ model: 'm', message: { role: 'assistant', content }, done: false })}\n`;

async function setup(handler: Handler, opts: Parameters<typeof createProvider>[1] = {}): Promise<ModelProvider> {
  fixture = await startFixture(handler);
  provider = createProvider(providerConfig('ollama', 'ollama', fixture.url, 'm'), opts);
  return provider;
}

describe('transport errors', () => {
  it('connection refused is CONNECTION_REFUSED, and the server is gone', async () => {
    const port = await freePort();
    provider = createProvider(providerConfig('ollama', 'ollama', `http://127.0.0.1:${port}`, 'm'));
    const err = await caught(provider.complete({ messages: user }));
    expect(err.code).toBe('CONNECTION_REFUSED');
    expect(isServerGone(err)).toBe(true);
  });

  it('a server that never sends headers is RESPONSE_TIMEOUT (headers)', async () => {
    const p = await setup(
      () => {
        /* accept the request, never answer */
      },
      { timeouts: { headersMs: 300 } },
    );
    const err = await caught(p.complete({ messages: user }));
    expect(err.code).toBe('RESPONSE_TIMEOUT');
    expect(err.details).toMatchObject({ phase: 'headers' });
    expect(isServerGone(err)).toBe(false);
  });

  it('a server that hangs after headers is RESPONSE_TIMEOUT (body) after the delivered chunks', async () => {
    const p = await setup(
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write(line('a'));
      },
      { timeouts: { bodyMs: 300 } },
    );
    const got: unknown[] = [];
    const err = await caught(async () => {
      for await (const c of p.stream({ messages: user })) got.push(c);
    });
    expect(got).toHaveLength(1);
    expect(err.code).toBe('RESPONSE_TIMEOUT');
    expect(err.details).toMatchObject({ phase: 'body', chunksDelivered: 1 });
  });

  it('a server trickling bytes that never make a whole line is RESPONSE_TIMEOUT, though every read is in time', async () => {
    let trickle: NodeJS.Timeout | undefined;
    const p = await setup(
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write(line('a'));
        // One byte every 50 ms: undici's per-read body timeout (300 ms) never trips.
        const next = line('b');
        let i = 0;
        trickle = setInterval(() => {
          if (i < next.length - 1) res.write(next[i++]!);
        }, 50);
        res.on('close', () => clearInterval(trickle));
      },
      { timeouts: { headersMs: 2_000, bodyMs: 300 } },
    );
    const got: unknown[] = [];
    const err = await caught(async () => {
      for await (const c of p.stream({ messages: user })) got.push(c);
    });
    clearInterval(trickle);
    expect(got).toHaveLength(1);
    expect(err.code).toBe('RESPONSE_TIMEOUT');
    expect(err.details).toMatchObject({ phase: 'body', chunksDelivered: 1, waitedMs: 300 });
    expect(err.message).toMatch(/no further token within 0\.3 s/);
  });

  it('a server that dies mid-stream is STREAM_INTERRUPTED with chunksDelivered', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(line('a'));
      res.write(line('b'), () => res.socket?.destroy());
    });
    const got: unknown[] = [];
    const err = await caught(async () => {
      for await (const c of p.stream({ messages: user })) got.push(c);
    });
    expect(err.code).toBe('STREAM_INTERRUPTED');
    expect(err.details!.chunksDelivered).toBe(got.length);
    expect(isServerGone(err)).toBe(true);
  });

  it('1 MB of garbage is PROTOCOL_ERROR with the first bytes escaped', async () => {
    const garbage = Buffer.alloc(1024 * 1024, 0);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) % 256;
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(garbage);
    });
    const err = await caught(p.complete({ messages: user }));
    expect(err.code).toBe('PROTOCOL_ERROR');
    expect(String(err.details!.firstBytes).length).toBeLessThan(200);
    expect(err.message).toMatch(/\\u0000/);
  });

  it('cancelling mid-stream ends the iterator with ABORTED, delivers nothing more and closes the socket', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(line('a')); /* then keep the stream open */
    });
    const ac = new AbortController();
    const got: unknown[] = [];
    const err = await caught(async () => {
      for await (const c of p.stream({ messages: user }, { signal: ac.signal })) {
        got.push(c);
        ac.abort();
      }
    });
    expect(err.code).toBe('ABORTED');
    expect(got).toHaveLength(1);
    await until(() => fixture!.closedSockets() === 1, { what: 'the server to see the socket close', timeoutMs: 5_000 });
  });

  it('after cancel, chunks already decoded from the same network read are not handed out', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(line('a') + line('b') + line('c'));
    });
    const ac = new AbortController();
    const got: unknown[] = [];
    const err = await caught(async () => {
      for await (const c of p.stream({ messages: user }, { signal: ac.signal })) {
        got.push(c);
        ac.abort();
      }
    });
    expect(err.code).toBe('ABORTED');
    expect(got).toEqual([{ type: 'text', text: 'a' }]);
  });

  it('breaking out of the loop closes the socket instead of draining the answer', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(line('a'));
      res.write(line('b'));
    });
    for await (const c of p.stream({ messages: user })) {
      expect(c).toEqual({ type: 'text', text: 'a' });
      break;
    }
    await until(() => fixture!.closedSockets() === 1, { what: 'the server to see the socket close', timeoutMs: 5_000 });
  });

  it('an already-aborted signal sends nothing', async () => {
    const p = await setup((_q, res) => void res.end());
    const err = await caught(p.complete({ messages: user }, { signal: AbortSignal.abort() }));
    expect(err.code).toBe('ABORTED');
    expect(fixture!.requests).toHaveLength(0);
  });

  it('keeps the connection alive across requests', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(`${line('a')}${JSON.stringify({ model: 'm', done: true, done_reason: 'stop' })}\n`);
    });
    await p.complete({ messages: user });
    await p.complete({ messages: user });
    await p.complete({ messages: user });
    // The pool may open a second connection while the first is being released, but none is closed.
    expect(fixture!.closedSockets()).toBe(0);
    expect(fixture!.sockets.length).toBeLessThan(3);
  });

  it('isServerGone is false for "server said no" and for non-acode errors', () => {
    expect(isServerGone(new AcodeError('MODEL_NOT_FOUND', 'x', 'y'))).toBe(false);
    expect(isServerGone(new AcodeError('BAD_REQUEST', 'x', 'y'))).toBe(false);
    expect(isServerGone(new AcodeError('CONNECT_TIMEOUT', 'x', 'y'))).toBe(true);
    expect(isServerGone(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(false);
  });
});

describe('back-pressure', () => {
  it('a paused consumer keeps socket reads bounded; resuming delivers everything', async () => {
    const total = 64 * 1024 * 1024;
    const piece = line('x'.repeat(16 * 1024 - 80));
    const pieces = Math.ceil(total / piece.length);
    let written = 0;
    const sockets: Socket[] = [];
    fixture = await startFixture(async (q, res) => {
      if (q.url === '/api/tags') return void res.end('{"models":[]}');
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (let i = 0; i < pieces; i++) {
        written += piece.length;
        if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
      }
      res.end(`${JSON.stringify({ model: 'm', done: true, done_reason: 'stop' })}\n`);
    });
    provider = createProvider(providerConfig('ollama', 'ollama', fixture.url, 'm'), {
      onSocket: (s) => sockets.push(s),
    });
    const it = provider.stream({ messages: user })[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ type: 'text' });
    // Paused. Give both sides many event-loop turns (round trips on another connection) to move data.
    const probe = createProvider(providerConfig('ollama', 'ollama', fixture.url, 'm'));
    const readAfter: number[] = [];
    for (let i = 0; i < 20; i++) {
      await probe.listModels().catch(() => undefined);
      readAfter.push(sockets[0]!.bytesRead);
    }
    await probe.close();
    expect(readAfter.at(-1)!).toBeLessThan(8 * 1024 * 1024);
    expect(written).toBeLessThan(16 * 1024 * 1024);
    let count = 1;
    for (let r = await it.next(); !r.done; r = await it.next()) if (r.value.type === 'text') count++;
    expect(count).toBe(pieces);
  });
});

describe('health probe', () => {
  it('a server reset during the probe is down (it is dying), not a foreign answer', async () => {
    const raw = net.createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((done) => raw.listen(0, '127.0.0.1', done));
    try {
      provider = createProvider(
        providerConfig('vllm', 'openai-compatible', `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`, 'm'),
      );
      expect(await provider.health()).toMatchObject({ ok: false, status: 'down', code: 'STREAM_INTERRUPTED' });
    } finally {
      await new Promise((done) => raw.close(done));
    }
  });
});

describe('loopback guard', () => {
  it('airgapped: refuses a non-loopback host before any socket is opened', async () => {
    const connectSpy = vi.spyOn(net, 'connect');
    const createSpy = vi.spyOn(net, 'createConnection');
    provider = createProvider(
      {
        ...providerConfig('custom', 'openai-compatible', 'http://127.0.0.1:1', 'm'),
        baseUrl: 'http://10.20.30.40:8000',
        host: '10.20.30.40',
      },
      { mode: 'airgapped' },
    );
    const err = await caught(provider.complete({ messages: user }));
    expect(err.code).toBe('AIRGAP_VIOLATION');
    expect(err.message).toContain('10.20.30.40');
    expect(err.hint).toMatch(/loopback|127\.0\.0\.1/);
    expect(connectSpy).not.toHaveBeenCalled();
    expect(createSpy).not.toHaveBeenCalled();
    const h = await provider.health();
    expect(h).toMatchObject({ ok: false, status: 'error', code: 'AIRGAP_VIOLATION' });
    expect(connectSpy).not.toHaveBeenCalled();
  });

  it('a local kind refuses a non-loopback host even outside airgapped mode', async () => {
    const connectSpy = vi.spyOn(net, 'connect');
    provider = createProvider(
      {
        ...providerConfig('vllm', 'openai-compatible', 'http://127.0.0.1:1', 'm'),
        baseUrl: 'http://[2001:db8::1]:8000',
      },
      { mode: 'local-only' },
    );
    const err = await caught(provider.listModels());
    expect(err.code).toBe('AIRGAP_VIOLATION');
    expect(connectSpy).not.toHaveBeenCalled();
  });

  it('lets loopback through (the spy sees the connect)', async () => {
    const connectSpy = vi.spyOn(net, 'connect');
    const p = await setup(
      (_q, res) => {
        res.writeHead(200);
        res.end('Ollama is running');
      },
      { mode: 'airgapped' },
    );
    expect(await p.health()).toEqual({ ok: true, status: 'ready' });
    expect(connectSpy).toHaveBeenCalled();
  });
});

// What a message quotes of an answer that is not one of the servers' own, and a host name that does not
// resolve. Name resolution is replaced in this process for those tests: no query leaves the machine.
describe('firstLineOf: one line of a foreign body', () => {
  it('an HTML page is its title; without one, its first line with text', () => {
    expect(firstLineOf(APACHE_404)).toBe('404 Not Found');
    expect(firstLineOf('<html>\n<body>\n\n<h1>Bad   Gateway</h1>\n<p>nginx</p>\n</body></html>')).toBe('Bad Gateway');
    expect(firstLineOf('<title>\n  502\n  Bad Gateway\n</title>')).toBe('502 Bad Gateway');
  });

  it('plain text is its first non-empty line, cut to the bound with an ellipsis', () => {
    expect(firstLineOf('\n\n  upstream connect error  \nreset reason: overflow\n')).toBe('upstream connect error');
    const long = firstLineOf('x'.repeat(500));
    expect(long).toHaveLength(80);
    expect(long.endsWith('…')).toBe(true);
    expect(firstLineOf('')).toBe('');
  });
});

describe('a stranger answering with an HTML page', () => {
  async function stranger(): Promise<ModelProvider> {
    fixture = await startFixture((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' }).end(APACHE_404);
    });
    provider = createProvider(providerConfig('vllm', 'openai-compatible', fixture.url, 'm'));
    return provider;
  }

  it('the health probe quotes one line of it', async () => {
    const health = await (await stranger()).health();
    expect(health).toMatchObject({ status: 'error', code: 'HTTP_404' });
    expect(health.detail).toBe(`HTTP 404 from ${fixture!.url}/health: 404 Not Found`);
  });

  it('a request that gets it is an error with a one-line message; the body stays in details', async () => {
    const err = await caught((await stranger()).complete({ messages: user }));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toBe('vllm: 404 Not Found');
    expect(err.details?.body).toContain('<address>Apache');
  });
});

describe('a base_url whose host name does not resolve', () => {
  // getaddrinfo's own error, as Node reports it; every lookup in this process gets it.
  function noResolver(): string[] {
    const asked: string[] = [];
    vi.spyOn(dns, 'lookup').mockImplementation((hostname: string, options: unknown, callback?: unknown) => {
      asked.push(hostname);
      const cb = (typeof options === 'function' ? options : callback) as (err: Error) => void;
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: 'ENOTFOUND',
        errno: -3008,
        syscall: 'getaddrinfo',
        hostname,
      });
      process.nextTick(cb, err);
    });
    return asked;
  }

  const remote = () =>
    createProvider(providerConfig('custom', 'openai-compatible', 'https://llm.example.invalid', 'm'), {
      mode: 'burst',
    });

  it('a request is HOST_UNRESOLVED naming the host, in the connection group (exit 6)', async () => {
    const asked = noResolver();
    provider = remote();
    const err = await caught(provider.complete({ messages: user }));
    expect(asked).toEqual(['llm.example.invalid']);
    expect(err.code).toBe('HOST_UNRESOLVED');
    expect(err.message).toBe(
      'custom: the host name llm.example.invalid (https://llm.example.invalid/v1/chat/completions) does not resolve (ENOTFOUND).',
    );
    expect(err.hint).toMatch(/providers\.custom\.base_url/);
    expect(ERROR_CODES.HOST_UNRESOLVED).toBe(6);
  });

  it('a health probe finds nothing there (down), with the code that says why', async () => {
    noResolver();
    provider = remote();
    expect(await provider.health()).toMatchObject({ ok: false, status: 'down', code: 'HOST_UNRESOLVED' });
  });
});
