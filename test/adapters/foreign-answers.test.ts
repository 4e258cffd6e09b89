// What a message quotes of an answer that is not one of the servers' own: a stranger's 10-line HTML
// 404 page is one line (its <title>), and a base_url whose host name does not resolve is
// HOST_UNRESOLVED naming the host. Name resolution is replaced in this process for the test: no
// query leaves the machine, and any name that reaches the resolver fails the test.
import dns from 'node:dns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProvider, type ModelProvider } from '../../adapters/index.js';
import { firstLineOf } from '../../adapters/wire-errors.js';
import { ERROR_CODES } from '../../config/index.js';
import { caught, providerConfig, startFixture, type Fixture } from './fixture-server.js';
import { APACHE_404 } from './foreign-page.js';

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
    fixture = await startFixture((_req, res) => { res.writeHead(404, { 'content-type': 'text/html' }).end(APACHE_404); });
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
    vi.spyOn(dns, 'lookup').mockImplementation(((hostname: string, options: unknown, callback?: unknown) => {
      asked.push(hostname);
      const cb = (typeof options === 'function' ? options : callback) as (err: Error) => void;
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname });
      process.nextTick(cb, err);
    }) as unknown as typeof dns.lookup);
    return asked;
  }

  const remote = () => createProvider(providerConfig('custom', 'openai-compatible', 'https://llm.example.invalid', 'm'), { mode: 'burst' });

  it('a request is HOST_UNRESOLVED naming the host, in the connection group (exit 6)', async () => {
    const asked = noResolver();
    provider = remote();
    const err = await caught(provider.complete({ messages: user }));
    expect(asked).toEqual(['llm.example.invalid']);
    expect(err.code).toBe('HOST_UNRESOLVED');
    expect(err.message).toBe('custom: the host name llm.example.invalid (https://llm.example.invalid/v1/chat/completions) does not resolve (ENOTFOUND).');
    expect(err.hint).toMatch(/providers\.custom\.base_url/);
    expect(ERROR_CODES.HOST_UNRESOLVED).toBe(6);
  });

  it('a health probe finds nothing there (down), with the code that says why', async () => {
    noResolver();
    provider = remote();
    expect(await provider.health()).toMatchObject({ ok: false, status: 'down', code: 'HOST_UNRESOLVED' });
  });
});
