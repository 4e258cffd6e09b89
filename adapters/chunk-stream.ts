// The async iterator behind provider.stream(): pulls one network chunk at a time from the undici body,
// decodes it synchronously, and hands chunks out from a small buffer. Hand-written rather than an
// async generator because a generator's per-item promise hops cost more than decoding a token.
import type { Dispatcher } from 'undici';
import { isAcodeError } from '../config/index.js';
import { aborted, classifyTransportError, interrupted, type WireContext } from './wire-errors.js';
import type { ChunkDecoder } from './wire-module.js';
import type { StreamChunk } from './types.js';

type Body = Dispatcher.ResponseData['body'];
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
const DRAIN_LIMIT = 64 * 1024;
const DRAIN_MS = 1_000;

export class ChunkStream implements AsyncIterableIterator<StreamChunk> {
  private buffer: StreamChunk[] = [];
  private index = 0;
  private delivered = 0;
  private closed = false;
  private readonly source: AsyncIterator<unknown>;

  constructor(
    private readonly body: Body,
    private readonly decoder: ChunkDecoder,
    private readonly ctx: WireContext,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.source = body[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamChunk>> {
    // Cancelled: not even chunks already decoded from the last network read are handed out.
    if (this.signal?.aborted && !this.closed) return this.cancel();
    if (this.index < this.buffer.length) return Promise.resolve(this.take());
    return this.fill();
  }

  private async cancel(): Promise<never> {
    this.closed = true;
    this.buffer = [];
    await this.source.return?.();
    throw aborted(this.ctx, this.signal?.reason);
  }

  // The consumer stopped early (break, return, throw): close the socket rather than drain the answer;
  // after the final chunk only the terminator is left, so reading it keeps the connection alive.
  async return(): Promise<IteratorResult<StreamChunk>> {
    await this.release();
    return DONE;
  }

  private take(): IteratorResult<StreamChunk> {
    const value = this.buffer[this.index++]!;
    if (value.type !== 'final') this.delivered++;
    return { done: false, value };
  }

  private async fill(): Promise<IteratorResult<StreamChunk>> {
    if (this.closed) return DONE;
    try {
      if (this.decoder.failure) throw this.decoder.failure;
      if (this.decoder.finished) {
        await this.release();
        return DONE;
      }
      for (;;) {
        const step = await this.source.next();
        this.buffer = step.done ? this.decoder.end() : this.decoder.push(step.value as Uint8Array);
        this.index = 0;
        if (this.buffer.length > 0) return this.take();
        if (this.decoder.failure) throw this.decoder.failure;
        if (step.done) throw interrupted(this.ctx, this.delivered);
      }
    } catch (err) {
      const e = classifyTransportError(err, this.ctx, this.delivered, this.signal);
      // The decoder counts what it parsed; what matters is what the consumer actually got.
      if (isAcodeError(e) && 'chunksDelivered' in e.details) e.details.chunksDelivered = this.delivered;
      this.closed = true;
      await this.source.return?.();
      throw e;
    }
  }

  private async release(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.decoder.finished) void this.drainInBackground();
    else await this.source.return?.();
  }

  // After the final chunk only the terminator (`[DONE]`, the last chunked-encoding frame) is left:
  // reading it lets the pool reuse the connection. Bounded in bytes and time, and never awaited by
  // the consumer; anything more, or a server that does not end the body, loses the socket instead.
  private async drainInBackground(): Promise<void> {
    const timer = setTimeout(() => this.body.destroy(), DRAIN_MS);
    timer.unref();
    let bytes = 0;
    try {
      for (;;) {
        const step = await this.source.next();
        if (step.done) break;
        bytes += (step.value as Uint8Array).length;
        if (bytes > DRAIN_LIMIT) break;
      }
    } catch {
      // The answer is complete; a failure while reading its terminator costs only the connection.
    } finally {
      clearTimeout(timer);
      await this.source.return?.();
    }
  }
}
