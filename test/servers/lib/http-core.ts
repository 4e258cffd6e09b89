// HTTP bootstrap shared by the fakes: node:http on loopback only, route dispatch, and the request-level
// knobs (hang, crash after N requests, malformed body) applied before a handler ever runs.

import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CaptureReply, garbage, LiveReply, type Headers, type Reply } from './reply.js';
import type { Runtime } from './runtime.js';

export interface RequestContext {
  req: IncomingMessage;
  url: URL;
  body: string;
  reply: Reply;
}

export interface Route {
  methods: readonly string[];
  path: string | RegExp;
  /** Work routes (generation, pull, embed) are the ones the hang / crash / malformed knobs act on. */
  work?: boolean;
  /** Content type a work route answers with (given the request body): for hang=headers and malformed=garbage. */
  contentType?: string | ((body: string) => string);
  handler: (ctx: RequestContext) => Promise<void>;
}

export interface Dialect {
  notFound(ctx: RequestContext): Promise<void>;
  methodNotAllowed(ctx: RequestContext): Promise<void>;
  internalError(ctx: RequestContext, err: unknown): Promise<void>;
  /** Runs before routing; returning true means the gate answered (llama-server's 503 while loading). */
  gate?(ctx: RequestContext): Promise<boolean>;
  headers?: Headers;
  /** One access-log line per finished response, in the real server's format. */
  accessLog?(req: IncomingMessage, status: number, elapsedMs: number): void;
}

const LOOPBACK = new Map([
  ['127.0.0.1', '127.0.0.1'],
  ['localhost', '127.0.0.1'],
  ['::1', '::1'],
  ['[::1]', '::1'],
]);

/** The loopback address to bind for a requested host, or null: these fakes never listen beyond loopback. */
export function loopbackHost(host: string): string | null {
  return LOOPBACK.get(host) ?? null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function matches(route: Route, path: string): boolean {
  return typeof route.path === 'string' ? route.path === path : route.path.test(path);
}

function contentTypeOf(route: Route, body: string): string {
  return typeof route.contentType === 'function' ? route.contentType(body) : (route.contentType ?? 'application/json');
}

/** OpenAI-style routes stream SSE only when the body asks for it. */
export function sseWhenStreaming(body: string): string {
  return /"stream"\s*:\s*true/.test(body) ? 'text/event-stream; charset=utf-8' : 'application/json; charset=utf-8';
}

async function sendMalformed(
  res: ServerResponse,
  runtime: Runtime,
  route: Route,
  captured: CaptureReply,
  body: string,
): Promise<void> {
  const live = new LiveReply(res, runtime.knobs.slowBytesPerSecond);
  const type = captured.headers['Content-Type'] ?? contentTypeOf(route, body);
  switch (runtime.knobs.malformed) {
    case 'garbage':
      return live.send(200, { 'Content-Type': type }, garbage(runtime.knobs.malformedBytes));
    case 'truncated': {
      // Cut inside the last record so no parser can accept it as complete.
      const body = captured.body.replace(/\s+$/, '');
      return live.send(
        captured.status,
        { 'Content-Type': type },
        body.slice(0, Math.max(1, body.length - Math.ceil(Math.min(body.length, 40) / 2))),
      );
    }
    default:
      return live.send(captured.status, { 'Content-Type': 'text/html; charset=utf-8' }, captured.body);
  }
}

/** One JSON line per work request, so a test can see what reached the wire (the body parsed when it is JSON). */
function logRequest(file: string, req: IncomingMessage, url: URL, body: string): void {
  const parsed = parseJson(body);
  appendFileSync(
    file,
    `${JSON.stringify({ method: req.method, path: url.pathname, body: parsed.ok ? parsed.value : body })}\n`,
  );
}

async function dispatch(
  req: IncomingMessage,
  res: ServerResponse,
  runtime: Runtime,
  routes: readonly Route[],
  dialect: Dialect,
): Promise<void> {
  const { knobs } = runtime;
  if (knobs.hang === 'all') return; // accept and never answer
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const reply = new LiveReply(res, null, dialect.headers);
  const ctx: RequestContext = { req, url, body: '', reply };
  if (dialect.gate && (await dialect.gate(ctx))) return;
  const candidates = routes.filter((r) => matches(r, url.pathname));
  const route = candidates.find((r) => r.methods.includes(req.method ?? 'GET'));
  if (!route) return candidates.length > 0 ? dialect.methodNotAllowed(ctx) : dialect.notFound(ctx);
  ctx.body = await readBody(req);
  if (route.work) {
    if (knobs.requestLog !== null) logRequest(knobs.requestLog, req, url, ctx.body);
    await runtime.onWorkRequest();
    if (knobs.hang === 'work') return;
    if (knobs.hang === 'headers') {
      res.writeHead(200, { ...dialect.headers, 'Content-Type': contentTypeOf(route, ctx.body) });
      res.flushHeaders();
      return;
    }
    if (knobs.malformed !== 'none') {
      const captured = new CaptureReply();
      await route.handler({ ...ctx, reply: captured });
      return sendMalformed(res, runtime, route, captured, ctx.body);
    }
    ctx.reply = new LiveReply(res, knobs.slowBytesPerSecond, dialect.headers);
  }
  await route.handler(ctx);
}

export interface FakeServer {
  server: Server;
  /** Destroys every open connection: how Ollama's immediate close cuts in-flight streams. */
  destroyConnections(): void;
}

export function createFakeServer(runtime: Runtime, routes: readonly Route[], dialect: Dialect): FakeServer {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    runtime.begin();
    const started = performance.now();
    res.on('close', () => runtime.end());
    res.on('finish', () => dialect.accessLog?.(req, res.statusCode, performance.now() - started));
    dispatch(req, res, runtime, routes, dialect).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      const ctx = {
        req,
        url: new URL('http://127.0.0.1/'),
        body: '',
        reply: new LiveReply(res, null, dialect.headers),
      };
      dialect.internalError(ctx, err).catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    destroyConnections: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/** Binds and listens; rejects with the Node error (EADDRINUSE, EACCES ...) so each fake can print its own text. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/** Parses a JSON request body, mapping failure to null so each dialect answers with its own error text. */
export function parseJson(body: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export function json(
  reply: Reply,
  status: number,
  body: unknown,
  contentType = 'application/json; charset=utf-8',
): Promise<void> {
  return reply.send(status, { 'Content-Type': contentType }, JSON.stringify(body));
}
