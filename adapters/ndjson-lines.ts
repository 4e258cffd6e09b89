// Newline-delimited JSON, split synchronously per network chunk: one value per line, parsed as soon as
// its newline arrives, so memory holds at most one line plus one socket chunk (docs/protocols.md §1.9).
import { StringDecoder } from 'node:string_decoder';
import { protocolError, type WireContext } from './wire-errors.js';

/** A line longer than this is not a chunk any server sends: treat the stream as garbage. */
const MAX_LINE_CHARS = 4 * 1024 * 1024;

function parseLine(line: string, ctx: WireContext): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw protocolError(ctx, 'an invalid (or truncated) JSON line', line, err);
  }
}

/** Feeds bytes in, gets the complete lines' values out; `end()` parses a final unterminated line. */
export class NdjsonSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly ctx: WireContext) {}

  // Values of the lines completed by this chunk; invalid JSON or an endless line is PROTOCOL_ERROR.
  push(bytes: Uint8Array): unknown[] {
    const out: unknown[] = [];
    const text = this.pending + this.decoder.write(bytes);
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.trim() !== '') out.push(parseLine(line, this.ctx));
    }
    this.pending = start === 0 ? text : text.slice(start);
    if (this.pending.length > MAX_LINE_CHARS)
      throw protocolError(this.ctx, 'an NDJSON line longer than 4 MiB', this.pending);
    return out;
  }

  end(): unknown[] {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest.trim() === '' ? [] : [parseLine(rest, this.ctx)];
  }
}

/** The same, as an async iterable of values (for the low-rate pull progress stream). */
export async function* ndjsonValues(body: AsyncIterable<Uint8Array>, ctx: WireContext): AsyncGenerator<unknown> {
  const splitter = new NdjsonSplitter(ctx);
  for await (const chunk of body) yield* splitter.push(chunk);
  yield* splitter.end();
}
