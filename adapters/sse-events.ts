// Server-sent events through eventsource-parser, read lazily. Besides standard events it surfaces the
// old llama-server `error: {...}` field as its own item and skips `: ping` comments (protocols §5).
import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import { protocolError, type WireContext } from './wire-errors.js';

export type SseItem =
  | { kind: 'event'; event?: string; data: string }
  /** llama-server before PR #16109: a non-standard `error:` field carrying the error JSON. */
  | { kind: 'legacy-error'; value: string };

/** An event larger than this is garbage, not a chunk (keeps a garbage stream from filling memory). */
const MAX_EVENT_CHARS = 4 * 1024 * 1024;

export async function* sseItems(body: AsyncIterable<Uint8Array>, ctx: WireContext): AsyncGenerator<SseItem> {
  const queue: SseItem[] = [];
  let failure: Error | undefined;
  let sawEvent = false;
  let head = '';
  const onError = (err: ParseError): void => {
    if (err.type === 'unknown-field' && err.field === 'error') queue.push({ kind: 'legacy-error', value: err.value ?? '' });
    else if (err.type !== 'invalid-retry') failure ??= protocolError(ctx, `not an event stream (${err.type})`, err.line ?? head, err);
  };
  const parser = createParser({
    onEvent: (e: EventSourceMessage) => {
      sawEvent = true;
      queue.push(e.event === undefined ? { kind: 'event', data: e.data } : { kind: 'event', event: e.event, data: e.data });
    },
    onError,
    maxBufferSize: MAX_EVENT_CHARS,
  });
  const decoder = new TextDecoder();
  const drain = function* (): Generator<SseItem> {
    while (queue.length > 0) yield queue.shift()!;
    if (failure) throw failure;
  };
  for await (const chunk of body) {
    const text = decoder.decode(chunk, { stream: true });
    if (head.length < 80) head += text.slice(0, 80 - head.length);
    parser.feed(text);
    yield* drain();
  }
  parser.feed(decoder.decode());
  parser.reset({ consume: true });
  yield* drain();
  if (!sawEvent && head !== '') throw protocolError(ctx, 'a stream without a single event', head);
}
