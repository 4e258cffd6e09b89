// The async iterator behind provider.stream(): pulls one network chunk at a time from the undici body,
// decodes it synchronously, and hands chunks out from a small buffer. Hand-written rather than an
// async generator because a generator's per-item promise hops cost more than decoding a token.
import type { Dispatcher } from 'undici';
import { isAcodeError, type AcodeError } from '../config/index.js';
import { aborted, classifyTransportError, interrupted, stalled, type WireContext } from './wire-errors.js';
import type { ChunkDecoder } from './wire-module.js';
import type { StreamChunk } from './types.js';

type Body = Dispatcher.ResponseData['body'];
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
const DRAIN_LIMIT = 64 * 1024;
const DRAIN_MS = 1_000;

/**
 * How long a read may wait for the next decoded chunk. undici's bodyTimeout only measures the gap
 * between network reads, so a server trickling a byte a second never trips it; this bound counts
 * progress (a whole token, event or line), and only while the consumer is waiting for one.
 */
export interface StallBounds {
  /** Until the first chunk: prompt processing before the first token can be slow. */
  firstMs: number;
  /** Between two chunks after that. */
  idleMs: number;
}

export class ChunkStream implements AsyncIterableIterator<StreamChunk> {
  private buffer: StreamChunk[] = [];
  private index = 0;
  private delivered = 0;
  private closed = false;
  private readonly source: AsyncIterator<unknown>;
  /** When the pending read started waiting for a chunk (0: nobody is waiting). */
  private waitingSince = 0;
  private stall: AcodeError | undefined;
  // One coarse watchdog per stream instead of a timer per read: a network read costs two Date.now().
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly body: Body,
    private readonly decoder: ChunkDecoder,
    private readonly ctx: WireContext,
    private readonly signal: AbortSignal | undefined,
    private readonly bounds: StallBounds,
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
    this.stopWatchdog();
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

  // A method, not an inline check: `push` sets `failure`, which a narrowed `this.decoder.failure` would hide.
  private throwIfDecoderFailed(): void {
    if (this.decoder.failure) throw this.decoder.failure;
  }

  private async fill(): Promise<IteratorResult<StreamChunk>> {
    if (this.closed) return DONE;
    this.waitingSince = Date.now();
    this.watchdog ??= this.startWatchdog();
    try {
      this.throwIfDecoderFailed();
      if (this.decoder.finished) {
        await this.release();
        return DONE;
      }
      for (;;) {
        const step = await this.source.next();
        this.buffer = step.done ? this.decoder.end() : this.decoder.push(step.value as Uint8Array);
        this.index = 0;
        if (this.buffer.length > 0) {
          this.waitingSince = 0;
          return this.take();
        }
        this.throwIfDecoderFailed();
        if (step.done) throw interrupted(this.ctx, this.delivered);
      }
    } catch (err) {
      this.waitingSince = 0;
      const e = this.stall ?? classifyTransportError(err, this.ctx, this.delivered, this.signal);
      // The decoder counts what it parsed; what matters is what the consumer actually got.
      if (isAcodeError(e) && 'chunksDelivered' in e.details) e.details.chunksDelivered = this.delivered;
      this.closed = true;
      this.stopWatchdog();
      await this.source.return?.();
      throw e;
    }
  }

  private startWatchdog(): NodeJS.Timeout {
    const tick = Math.max(10, Math.min(this.bounds.firstMs, this.bounds.idleMs) / 4);
    const timer = setInterval(() => {
      if (this.closed) return this.stopWatchdog();
      if (this.waitingSince === 0) return;
      const first = this.delivered === 0;
      const limit = first ? this.bounds.firstMs : this.bounds.idleMs;
      if (Date.now() - this.waitingSince < limit) return;
      this.stall = stalled(this.ctx, this.delivered, limit, first ? 'headers' : 'body');
      // With the error, the pending read rejects with it, rather than ending as if the body were done.
      this.body.destroy(this.stall);
      this.stopWatchdog();
    }, tick);
    timer.unref();
    return timer;
  }

  private stopWatchdog(): void {
    clearInterval(this.watchdog);
  }

  private async release(): Promise<void> {
    this.stopWatchdog();
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
