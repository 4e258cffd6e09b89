// Server-sent events through eventsource-parser, split synchronously per network chunk. Besides standard
// events it surfaces the old llama-server `error: {...}` field as its own item; `: ping` comments are
// skipped (protocols §5).
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

export class SseSplitter {
  private readonly parser: EventSourceParser;
  private readonly decoder = new StringDecoder('utf8');
  private failure: Error | undefined;
  private sawEvent = false;
  private head = '';
  /** The last characters seen: a complete stream ends with a blank line. */
  private tail = '';

  constructor(private readonly ctx: WireContext, sink: SseSink) {
    this.parser = createParser({
      onEvent: (e) => {
        this.sawEvent = true;
        sink.event(e.event, e.data);
      },
      onError: (err: ParseError) => {
        if (err.type === 'unknown-field' && err.field === 'error') sink.legacyError(err.value ?? '');
        else if (err.type !== 'invalid-retry') this.failure ??= protocolError(ctx, `not an event stream (${err.type})`, err.line ?? this.head, err);
      },
      maxBufferSize: MAX_EVENT_CHARS,
    });
  }

  /**
   * Feeds one network chunk; the sink gets the events it completes, in order. Garbage is reported (in
   * `error`) after the events before it. A sink that throws stops the feed; the splitter is done then.
   */
  push(bytes: Uint8Array): void {
    const text = this.decoder.write(bytes as Buffer);
    if (this.head.length < 80) this.head += text.slice(0, 80 - this.head.length);
    this.tail = text.length >= 80 ? text.slice(-80) : (this.tail + text).slice(-80);
    this.parser.feed(text);
  }

  end(): void {
    this.parser.feed(this.decoder.end());
    this.parser.reset({ consume: true });
    if (!this.sawEvent && this.head !== '') this.failure ??= protocolError(this.ctx, 'a stream without a single event', this.head);
    // A record cut short (no blank line after it) is dropped by the parser; it must not pass silently.
    if (this.tail !== '' && !/(\r\n|\n|\r)(\r\n|\n|\r)$/.test(this.tail)) {
      this.failure ??= protocolError(this.ctx, 'an event stream cut inside its last event', this.tail);
    }
  }

  /** Set once the stream turned out not to be SSE; checked after the items are handled. */
  get error(): Error | undefined {
    return this.failure;
  }
}
