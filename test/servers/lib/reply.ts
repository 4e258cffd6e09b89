// The response side of a request as the route handlers see it. The live reply applies the slow-bytes knob;
// the capture reply records a whole answer so the malformed knob can mangle it before it goes out.

import type { ServerResponse } from 'node:http';
import { delay } from './runtime.js';

export type Headers = Record<string, string>;

export interface Reply {
  /** Aborted when the client goes away, so generators stop early. */
  readonly signal: AbortSignal;
  send(status: number, headers: Headers, body: string): Promise<void>;
  open(status: number, headers: Headers): void;
  write(chunk: string): Promise<void>;
  end(): Promise<void>;
}

export class LiveReply implements Reply {
  private readonly ac = new AbortController();
  readonly signal = this.ac.signal;

  constructor(
    private readonly res: ServerResponse,
    private readonly bytesPerSecond: number | null,
    private readonly baseHeaders: Headers = {},
  ) {
    res.on('close', () => {
      if (!res.writableFinished) this.ac.abort();
    });
  }

  async send(status: number, headers: Headers, body: string): Promise<void> {
    const buf = Buffer.from(body);
    this.res.writeHead(status, { ...this.baseHeaders, ...headers, 'Content-Length': String(buf.length) });
    await this.writeBuffer(buf);
    await this.end();
  }

  open(status: number, headers: Headers): void {
    this.res.writeHead(status, { ...this.baseHeaders, ...headers });
    this.res.flushHeaders();
  }

  write(chunk: string): Promise<void> {
    return this.writeBuffer(Buffer.from(chunk));
  }

  end(): Promise<void> {
    if (this.res.writableEnded || this.res.destroyed) return Promise.resolve();
    // Node never calls end's callback once the client has gone; 'close' still comes.
    return new Promise((resolve) => {
      this.res.once('close', () => resolve());
      this.res.end(() => resolve());
    });
  }

  private async writeBuffer(buf: Buffer): Promise<void> {
    const bps = this.bytesPerSecond;
    if (bps === null) return this.flush(buf);
    // Pace in slices of ~1/20 s so a slow stream is visibly slow rather than bursty.
    const slice = Math.max(1, Math.floor(bps / 20));
    for (let i = 0; i < buf.length && !this.signal.aborted; i += slice) {
      const part = buf.subarray(i, i + slice);
      await this.flush(part);
      await delay(Math.ceil((part.length * 1000) / bps));
    }
  }

  private flush(buf: Buffer): Promise<void> {
    if (this.signal.aborted || this.res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.res.off('close', done);
        resolve();
      };
      this.res.once('close', done);
      this.res.write(buf, done);
    });
  }
}

/** Records status, headers and body instead of sending them. */
export class CaptureReply implements Reply {
  readonly signal = new AbortController().signal;
  status = 200;
  headers: Headers = {};
  body = '';

  send(status: number, headers: Headers, body: string): Promise<void> {
    this.open(status, headers);
    this.body = body;
    return Promise.resolve();
  }

  open(status: number, headers: Headers): void {
    this.status = status;
    this.headers = headers;
  }

  write(chunk: string): Promise<void> {
    this.body += chunk;
    return Promise.resolve();
  }

  end(): Promise<void> {
    return Promise.resolve();
  }
}

/** Deterministic non-JSON filler of exactly `size` bytes (printable, so logs stay readable). */
export function garbage(size: number): string {
  const pattern = '#<garbage>~!@%^&*()[]{};:|?<>.,';
  return pattern.repeat(Math.ceil(size / pattern.length)).slice(0, size);
}
