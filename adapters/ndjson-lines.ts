// Newline-delimited JSON, read lazily: one value per line, parsed as soon as its newline arrives, so
// memory holds at most one line plus one socket chunk (Ollama §1.9).
import { StringDecoder } from 'node:string_decoder';
import { protocolError, type WireContext } from './wire-errors.js';

/** A line longer than this is not a chunk any server sends: treat the stream as garbage. */
export const MAX_LINE_CHARS = 4 * 1024 * 1024;

function parseLine(line: string, ctx: WireContext): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw protocolError(ctx, 'an invalid (or truncated) JSON line', line, err);
  }
}

// Yields each non-blank line's JSON value; invalid JSON or an endless line is PROTOCOL_ERROR.
export async function* ndjsonValues(body: AsyncIterable<Uint8Array>, ctx: WireContext): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of body) {
    pending += decoder.write(chunk as Buffer);
    let start = 0;
    let nl: number;
    while ((nl = pending.indexOf('\n', start)) >= 0) {
      const line = pending.slice(start, nl);
      start = nl + 1;
      if (line.trim() !== '') yield parseLine(line, ctx);
    }
    pending = start === 0 ? pending : pending.slice(start);
    if (pending.length > MAX_LINE_CHARS) throw protocolError(ctx, 'an NDJSON line longer than 4 MiB', pending);
  }
  pending += decoder.end();
  if (pending.trim() !== '') yield parseLine(pending, ctx);
}
