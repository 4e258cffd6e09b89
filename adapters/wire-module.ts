// What a wire protocol module provides; the provider (provider.ts) does transport, errors and retries
// around it, so each module is only "request shape in, chunks out".
import { AcodeError } from '../config/index.js';
import type { ServerQuirks } from './server-quirks.js';
import type { Transport } from './transport.js';
import type {
  CallOptions,
  ChatRequest,
  EmbedOptions,
  EmbedResult,
  ModelInfo,
  PullProgress,
  StreamChunk,
  TextCompletionRequest,
} from './types.js';
import type { WireContext } from './wire-errors.js';

/**
 * Turns a chat answer's bytes into typed chunks, synchronously per network chunk: async hops per token
 * cost more than the parsing (bench/adapter-stream), so there is exactly one, in the provider.
 */
export interface ChunkDecoder {
  /** Chunks completed by these bytes, in order; on a server error or garbage, those before it and `failure` set. */
  push(bytes: Uint8Array): StreamChunk[];
  /** The body ended: remaining chunks, or `failure` when the answer was cut short. */
  end(): StreamChunk[];
  /** Set once the stream failed (mid-stream error, garbage, early end): thrown after the chunks before it. */
  readonly failure: Error | undefined;
  /** True once the final chunk was produced; nothing after it is read. */
  readonly finished: boolean;
}

export interface WireModule {
  chatPath: string;
  /** Media types a streamed chat answer may carry; anything else is PROTOCOL_ERROR. */
  streamTypes: readonly string[];
  chatBody(
    req: ChatRequest,
    model: string | undefined,
    quirks: ServerQuirks,
    ctx: WireContext,
  ): Record<string, unknown>;
  /** A fresh decoder for one chat answer of this media type (one of `streamTypes`). */
  chatDecoder(ctx: WireContext, model: string, mediaType: string): ChunkDecoder;
  listModels(t: Transport, opts: CallOptions): Promise<ModelInfo[]>;
  modelInfo(t: Transport, id: string, opts: CallOptions, quirks: ServerQuirks): Promise<ModelInfo>;
  pull?(t: Transport, model: string, opts: CallOptions): AsyncGenerator<PullProgress>;
  embed(
    t: Transport,
    model: string | undefined,
    input: string[],
    opts: Omit<EmbedOptions, 'model'>,
    quirks: ServerQuirks,
  ): Promise<EmbedResult>;
  /** How a raw completion (or fill in the middle) goes out; throws BAD_REQUEST when the server cannot do it. */
  textCompletion(
    req: TextCompletionRequest,
    model: string | undefined,
    quirks: ServerQuirks,
    ctx: WireContext,
  ): StreamCall;
}

/** One streamed request: where it goes, what it sends, and how its answer's bytes become chunks. */
export interface StreamCall {
  path: string;
  body: Record<string, unknown>;
  streamTypes: readonly string[];
  decoder(ctx: WireContext, model: string, mediaType: string): ChunkDecoder;
}

/** continueFinalMessage needs a trailing assistant message and a server that can continue it. */
export function checkContinuation(req: ChatRequest, quirks: ServerQuirks, ctx: WireContext): void {
  if (!req.continueFinalMessage) return;
  if (quirks.continueStyle === 'unsupported') {
    throw new AcodeError(
      'BAD_REQUEST',
      `${ctx.provider} cannot continue a trailing assistant message.`,
      'Check capabilities.continueFinalMessage first; re-request from the start on this server instead.',
      { details: { provider: ctx.provider } },
    );
  }
  if (req.messages.at(-1)?.role !== 'assistant') {
    throw new AcodeError(
      'BAD_REQUEST',
      'continueFinalMessage needs the last message to be an assistant message.',
      'Append the partial assistant answer as the last message, or drop continueFinalMessage.',
      { details: { provider: ctx.provider } },
    );
  }
}
