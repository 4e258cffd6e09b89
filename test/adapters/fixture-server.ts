// A tiny in-process HTTP server for adapter unit tests: loopback, ephemeral port, records requests
// and sockets so a test can assert what was sent and that a connection was closed.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ProviderConfig, ProviderKind, WireType } from '../../config/index.js';
import { DEFAULT_LIFECYCLE, DEFAULT_REQUEST_TIMEOUTS } from '../../config/index.js';
export { freePort } from '../servers/lib/free-port.js';

export interface Recorded {
  method: string;
  url: string;
  body: unknown;
  headers: IncomingMessage['headers'];
}
export type Handler = (req: IncomingMessage, res: ServerResponse, body: unknown) => void | Promise<void>;

export interface Fixture {
  url: string;
  port: number;
  requests: Recorded[];
  sockets: Socket[];
  closedSockets(): number;
  close(): Promise<void>;
}

export async function startFixture(handler: Handler): Promise<Fixture> {
  const requests: Recorded[] = [];
  const sockets: Socket[] = [];
  let closed = 0;
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        /* keep raw */
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
      void Promise.resolve(handler(req, res, body)).catch((err: unknown) => res.destroy(err as Error));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.push(s);
    s.on('close', () => {
      closed++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    sockets,
    closedSockets: () => closed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bind 0, read it, close. */
export function providerConfig(kind: ProviderKind, type: WireType, baseUrl: string, model?: string): ProviderConfig {
  const url = new URL(baseUrl);
  return {
    id: kind,
    kind,
    type,
    model,
    host: url.hostname,
    port: Number(url.port),
    baseUrl,
    args: [],
    lifecycle: DEFAULT_LIFECYCLE,
    timeouts: DEFAULT_REQUEST_TIMEOUTS,
    gpu: {},
  };
}

export function ndjson(res: ServerResponse, lines: unknown[]): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const l of lines) res.write(`${JSON.stringify(l)}\n`);
  res.end();
}

export function sse(res: ServerResponse, events: unknown[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const e of events) res.write(typeof e === 'string' ? e : `data: ${JSON.stringify(e)}\n\n`);
  res.end();
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export async function caught(
  p: Promise<unknown> | (() => Promise<unknown>),
): Promise<{ code?: string; details?: Record<string, unknown>; message?: string; hint?: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a rejection');
}
