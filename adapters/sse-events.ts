// Server-sent events through eventsource-parser, split synchronously per network chunk. Besides standard
// events it surfaces the old llama-server `error: {...}` field as its own item; `: ping` comments are
// skipped (protocols §5).
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser, type ParseError } from 'eventsource-parser';
import { protocolError, type WireContext } from './wire-errors.js';

export type SseItem =
  | { kind: 'event'; event?: string; data: string }
  /** llama-server before PR #16109: a non-standard `error:` field carrying the error JSON. */
  | { kind: 'legacy-error'; value: string };

/** An event larger than this is garbage, not a chunk (keeps a garbage stream from filling memory). */
const MAX_EVENT_CHARS = 4 * 1024 * 1024;

export class SseSplitter {
  private readonly parser: EventSourceParser;
  private readonly decoder = new StringDecoder('utf8');
  private out: SseItem[] = [];
  private failure: Error | undefined;
  private sawEvent = false;
  private head = '';
  /** The last characters seen: a complete stream ends with a blank line. */
  private tail = '';

  constructor(private readonly ctx: WireContext) {
    this.parser = createParser({
      onEvent: (e) => {
        this.sawEvent = true;
        this.out.push({ kind: 'event', event: e.event, data: e.data });
      },
      onError: (err: ParseError) => {
        if (err.type === 'unknown-field' && err.field === 'error') this.out.push({ kind: 'legacy-error', value: err.value ?? '' });
        else if (err.type !== 'invalid-retry') this.failure ??= protocolError(ctx, `not an event stream (${err.type})`, err.line ?? this.head, err);
      },
      maxBufferSize: MAX_EVENT_CHARS,
    });
  }

  /** Items completed by this chunk, in order. Garbage is reported after the items before it. */
  push(bytes: Uint8Array): SseItem[] {
    const text = this.decoder.write(bytes as Buffer);
    if (this.head.length < 80) this.head += text.slice(0, 80 - this.head.length);
    this.tail = text.length >= 80 ? text.slice(-80) : (this.tail + text).slice(-80);
    this.parser.feed(text);
    return this.take();
  }

  end(): SseItem[] {
    this.parser.feed(this.decoder.end());
    this.parser.reset({ consume: true });
    const items = this.take();
    if (!this.sawEvent && this.head !== '') this.failure ??= protocolError(this.ctx, 'a stream without a single event', this.head);
    // A record cut short (no blank line after it) is dropped by the parser; it must not pass silently.
    if (this.tail !== '' && !/(\r\n|\n|\r)(\r\n|\n|\r)$/.test(this.tail)) {
      this.failure ??= protocolError(this.ctx, 'an event stream cut inside its last event', this.tail);
    }
    return items;
  }

  /** Set once the stream turned out not to be SSE; checked after the items are handled. */
  get error(): Error | undefined {
    return this.failure;
  }

  private take(): SseItem[] {
    const items = this.out;
    this.out = [];
    return items;
  }
}
