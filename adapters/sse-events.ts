// Server-sent events, split synchronously per network chunk. Besides standard events it surfaces the old
// llama-server `error: {...}` field as its own item; `: ping` comments are skipped (docs/protocols.md §5).
// A block that is a single `data:` line (every token of every server) is handed out here; anything else
// goes to eventsource-parser, which only ever gets whole blocks, so it is back in its start state after
// each and sees exactly the events it would have seen with all the bytes.
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser, type ParseError } from 'eventsource-parser';
import { protocolError, type WireContext } from './wire-errors.js';

/**
 * Where the events go, synchronously and in order, as the parser completes them: no per-event item
 * object or array between the parser and the decoder (the SSE path runs once per token).
 */
export interface SseSink {
  event(event: string | undefined, data: string): void;
  /** llama-server before PR #16109: a non-standard `error:` field carrying the error JSON. */
  legacyError(value: string): void;
}

/** An event larger than this is garbage, not a chunk (keeps a garbage stream from filling memory). */
const MAX_EVENT_CHARS = 4 * 1024 * 1024;
/**
 * An unfinished block longer than this goes to the parser and the rest of the stream with it, so its
 * max-buffer check sees the same growing event it always did (it cannot trip below twice this).
 */
const MAX_PENDING_CHARS = MAX_EVENT_CHARS / 2;

// `data:` by char codes: a startsWith with a position costs more per token.
function isDataField(text: string, at: number): boolean {
  return (
    text.charCodeAt(at) === 100 &&
    text.charCodeAt(at + 1) === 97 &&
    text.charCodeAt(at + 2) === 116 &&
    text.charCodeAt(at + 3) === 97 &&
    text.charCodeAt(at + 4) === 58
  );
}

export class SseSplitter {
  private readonly parser: EventSourceParser;
  private readonly decoder = new StringDecoder('utf8');
  private failure: Error | undefined;
  private sawEvent = false;
  /** The unfinished block after the last blank line, while the fast path is on. */
  private pending = '';
  /** Off for good at a CR (other line ends), a leading BOM, or an oversized block: the parser takes all. */
  private fast = true;
  private started = false;
  private head = '';
  /** The last characters seen: a complete stream ends with a blank line. */
  private tail = '';

  constructor(
    private readonly ctx: WireContext,
    private readonly sink: SseSink,
  ) {
    this.parser = createParser({
      onEvent: (e) => {
        this.sawEvent = true;
        sink.event(e.event, e.data);
      },
      onError: (err: ParseError) => {
        if (err.type === 'unknown-field' && err.field === 'error') sink.legacyError(err.value ?? '');
        else if (err.type !== 'invalid-retry')
          this.failure ??= protocolError(ctx, `not an event stream (${err.type})`, err.line ?? this.head, err);
      },
      maxBufferSize: MAX_EVENT_CHARS,
    });
  }

  /**
   * Feeds one network chunk; the sink gets the events it completes, in order. Garbage is reported (in
   * `error`) after the events before it. A sink that throws stops the feed; the splitter is done then.
   */
  push(bytes: Uint8Array): void {
    const text = this.decoder.write(bytes);
    if (this.head.length < 80) this.head += text.slice(0, 80 - this.head.length);
    this.tail = text.length >= 80 ? text.slice(-80) : (this.tail + text).slice(-80);
    if (!this.started) this.start(text);
    if (this.fast) this.split(text);
    else this.parser.feed(text);
  }

  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    this.parser.feed(rest);
    this.parser.reset({ consume: true });
    if (!this.sawEvent && this.head !== '')
      this.failure ??= protocolError(this.ctx, 'a stream without a single event', this.head);
    // A record cut short (no blank line after it) is dropped by the parser; it must not pass silently.
    if (this.tail !== '' && !/(\r\n|\n|\r)(\r\n|\n|\r)$/.test(this.tail)) {
      this.failure ??= protocolError(this.ctx, 'an event stream cut inside its last event', this.tail);
    }
  }

  // The parser strips a BOM from the first text it is fed: let it see the stream's first text when that
  // may start with one; otherwise mark it started, so a later block is never taken for a stream start.
  private start(text: string): void {
    this.started = true;
    if (text.charCodeAt(0) === 239) this.fast = false;
    else this.parser.feed('');
  }

  private split(chunk: string): void {
    if (chunk.includes('\r')) {
      this.toParser(chunk);
      return;
    }
    const text = this.pending === '' ? chunk : this.pending + chunk;
    let from = 0;
    // One-character searches: a line end, then whether a blank line follows (a two-character
    // indexOf per token costs more than the rest of the split).
    let oneLine = true;
    for (let lf = text.indexOf('\n'); lf !== -1; lf = text.indexOf('\n', lf + 1)) {
      if (text.charCodeAt(lf + 1) !== 10) {
        oneLine = false;
        continue;
      }
      this.block(text, from, lf, oneLine);
      from = lf + 2;
      oneLine = true;
      lf++;
    }
    this.pending = from === 0 ? text : text.slice(from);
    if (this.pending.length > MAX_PENDING_CHARS) this.toParser('');
  }

  // One block between blank lines (`end` is its last line end): a lone `data:` line is the event;
  // anything else is the parser's.
  private block(text: string, from: number, end: number, oneLine: boolean): void {
    if (!oneLine || !isDataField(text, from)) {
      this.parser.feed(text.slice(from, end + 2));
      return;
    }
    this.sawEvent = true;
    this.sink.event(undefined, text.slice(text.charCodeAt(from + 5) === 32 ? from + 6 : from + 5, end));
  }

  private toParser(chunk: string): void {
    this.fast = false;
    const text = this.pending + chunk;
    this.pending = '';
    this.parser.feed(text);
  }

  /** Set once the stream turned out not to be SSE; checked after the items are handled. */
  get error(): Error | undefined {
    return this.failure;
  }
}
