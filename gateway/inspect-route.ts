// GET /acode/inspect: the gateway's inspection records (its services and request machines, as
// `acode --record` writes them) as Server-Sent Events, live from the moment a client attaches, so
// `acode inspect` shows what the running gateway's supervisor does. Loopback clients only: even with
// secrets redacted, a request's messages are not for other machines.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackHost } from '../adapters/index.js';
import { AcodeError } from '../config/index.js';

/** Where the records come from (inspector/'s RecordSource, structurally). */
export interface InspectionSource {
  subscribe(listener: (record: unknown) => void): () => void;
}

export function streamInspection(source: InspectionSource, req: IncomingMessage, res: ServerResponse): void {
  if (!isLoopbackHost(req.socket.remoteAddress ?? ''))
    throw new AcodeError(
      'MODE_FORBIDDEN',
      '/acode/inspect answers loopback clients only.',
      'Run acode inspect on the machine the gateway runs on.',
      { details: { httpStatus: 403 } },
    );
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write(': acode gateway inspection\n\n');
  const unsubscribe = source.subscribe((record) => res.write(`data: ${JSON.stringify(record)}\n\n`));
  res.on('close', unsubscribe);
}
