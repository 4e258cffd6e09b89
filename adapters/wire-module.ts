// What a wire protocol module provides; the provider (provider.ts) does transport, errors and retries
// around it, so each module is only "request shape in, chunks out".
import { AcodeError } from '../config/index.js';
import type { ServerQuirks } from './server-quirks.js';
import type { Transport } from './transport.js';
import type { CallOptions, ChatRequest, ModelInfo, PullProgress, StreamChunk } from './types.js';
import type { WireContext } from './wire-errors.js';

export interface WireModule {
  chatPath: string;
  /** Media types a streamed chat answer may carry; anything else is PROTOCOL_ERROR. */
  streamTypes: readonly string[];
  chatBody(req: ChatRequest, model: string | undefined, quirks: ServerQuirks, ctx: WireContext): Record<string, unknown>;
  /** Chunks in order; ends after the `final` chunk; throws typed errors (mid-stream error, garbage, early end). */
  parseChat(body: AsyncIterable<Uint8Array>, ctx: WireContext, model: string): AsyncGenerator<StreamChunk>;
  listModels(t: Transport, opts: CallOptions): Promise<ModelInfo[]>;
  modelInfo(t: Transport, id: string, opts: CallOptions, quirks: ServerQuirks): Promise<ModelInfo>;
  pull?(t: Transport, model: string, opts: CallOptions): AsyncGenerator<PullProgress>;
}

/** continueFinalMessage needs a trailing assistant message and a server that can continue it. */
export function checkContinuation(req: ChatRequest, quirks: ServerQuirks, ctx: WireContext): void {
  if (!req.continueFinalMessage) return;
  if (quirks.continueStyle === 'unsupported') {
    throw new AcodeError('BAD_REQUEST', `${ctx.provider} cannot continue a trailing assistant message.`,
      'Check capabilities.continueFinalMessage first; re-request from the start on this server instead.',
      { details: { provider: ctx.provider } });
  }
  if (req.messages.at(-1)?.role !== 'assistant') {
    throw new AcodeError('BAD_REQUEST', 'continueFinalMessage needs the last message to be an assistant message.',
      'Append the partial assistant answer as the last message, or drop continueFinalMessage.',
      { details: { provider: ctx.provider } });
  }
}
