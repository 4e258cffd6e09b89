// The offline inspector's HTTP server (node:http) on 127.0.0.1 only: the page, a Server-Sent Events
// stream of live records (this process's bus, or a running gateway's), with the backlog for late
// pages, and an optional loaded recording.
// Requests whose Host is not this loopback address are refused, so a web page elsewhere cannot reach
// it through DNS rebinding.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AnyStateMachine } from 'xstate';
import { AcodeError } from '../config/index.js';
import type { RecordSource } from './record-source.js';
import { layoutChart } from './chart-layout.js';
import { CHARTED_MACHINES } from './charted-machines.js';
import { renderPage } from './page.js';
import type { InspectionRecord } from './record-format.js';

export interface InspectorServerOptions {
  /** Where the live records come from: this process's bus (busRecords) or a gateway's (gatewayRecords). */
  records: RecordSource;
  /** 0 picks a free port. */
  port?: number;
  recording?: { name: string; records: InspectionRecord[] };
  /** Live records kept for pages that connect later. */
  backlog?: number;
  /** The machines the page has charts for (default CHARTED_MACHINES). */
  machines?: readonly AnyStateMachine[];
}

export interface InspectorServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";

export async function startInspectorServer(
  options: InspectorServerOptions,
  { signal }: { signal?: AbortSignal } = {},
): Promise<InspectorServer> {
  signal?.throwIfAborted();
  // Laid out while the server starts listening (ELK takes a few seconds on a cold start); the first
  // request for the page waits for it.
  const layout = new AbortController();
  const page = Promise.all(
    (options.machines ?? CHARTED_MACHINES).map((m) => layoutChart(m, { signal: layout.signal })),
  ).then((charts) => renderPage(charts));
  page.catch(() => {});
  const limit = options.backlog ?? 20_000;
  const history: string[] = [];
  const clients = new Set<ServerResponse>();
  const unsubscribe = options.records.subscribe((record) => {
    const line = `data: ${JSON.stringify(record)}\n\n`;
    history.push(line);
    if (history.length > limit) history.shift();
    for (const c of clients) c.write(line);
  });
  let port = options.port ?? 0;
  const hostOk = (req: IncomingMessage) =>
    req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;

  const server = createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
      });
      res.end(body);
    };
    if (!hostOk(req)) return send(421, 'text/plain; charset=utf-8', 'This inspector answers on 127.0.0.1 only.\n');
    if (req.method !== 'GET') return send(405, 'text/plain; charset=utf-8', 'GET only\n');
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/') {
      page.then(
        (html) => send(200, 'text/html; charset=utf-8', html),
        (error: unknown) =>
          send(
            500,
            'text/plain; charset=utf-8',
            `The charts could not be laid out: ${error instanceof Error ? error.message : String(error)}\n`,
          ),
      );
      return;
    }
    if (path === '/api/recording') {
      if (!options.recording) return send(204, 'text/plain', '');
      return send(200, 'application/json', JSON.stringify(options.recording));
    }
    if (path === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(': acode inspector\n\n');
      for (const line of history) res.write(line);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    return send(404, 'text/plain; charset=utf-8', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      layout.abort();
      unsubscribe();
      reject(
        error.code === 'EADDRINUSE'
          ? new AcodeError(
              'PORT_IN_USE',
              `The inspector cannot listen on 127.0.0.1:${port}: the port is in use.`,
              'Pass another --port, or --port 0 for a free one.',
              { cause: error },
            )
          : error,
      );
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    async close() {
      layout.abort();
      unsubscribe();
      for (const c of clients) c.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
