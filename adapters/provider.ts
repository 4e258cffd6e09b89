// A ModelProvider over one wire module: transport, chunk counting, typed errors, structured-output
// retries and health semantics from the quirks table. Wire modules only shape requests and parse chunks.
import { AcodeError, type OperatingMode } from '../config/index.js';
import { completeStructured } from './structured-output.js';
import { probeHealth } from './health-probe.js';
import { firstBytes, mediaType, readText, type Transport } from './transport.js';
import { aborted, interrupted, protocolError } from './wire-errors.js';
import { unsupported } from './unsupported.js';
import { ChunkStream } from './chunk-stream.js';
import type { ServerQuirks } from './server-quirks.js';
import type { StreamCall, WireModule } from './wire-module.js';
import type {
  CallOptions,
  Capabilities,
  ChatRequest,
  ChatResponse,
  EmbedOptions,
  EmbedResult,
  HealthResult,
  ModelInfo,
  ModelProvider,
  PullProgress,
  StreamChunk,
  TextCompletionRequest,
} from './types.js';

export interface WireProviderInit {
  id: string;
  model?: string;
  mode: OperatingMode;
  wire: WireModule;
  quirks: ServerQuirks;
  transport: Transport;
}

export class WireProvider implements ModelProvider {
  readonly id: string;
  readonly pull?: (model: string, opts?: CallOptions) => AsyncIterable<PullProgress>;
  private maxContext: number | undefined;
  // What the server reported about the configured model; unknown until listModels/modelInfo saw it.
  private reported: string[] | undefined;

  constructor(private readonly init: WireProviderInit) {
    this.id = init.id;
    const pull = init.wire.pull;
    if (pull && init.quirks.pull) this.pull = (model, opts = {}) => this.pullModel(pull, model, opts);
  }

  // A getter, so a context length learned from listModels/modelInfo shows up for later readers.
  get capabilities(): Capabilities {
    const caps: Capabilities = {
      streaming: true,
      tools: this.reported?.includes('tools'),
      structuredOutput: undefined,
      embeddings: false,
      vision: this.reported?.includes('vision'),
      continueFinalMessage: this.init.quirks.continueStyle !== 'unsupported',
    };
    if (this.maxContext !== undefined) caps.maxContext = this.maxContext;
    return caps;
  }

  // The request goes out when iteration starts, not when stream() is called (like a generator).
  stream(req: ChatRequest, { signal }: CallOptions = {}): AsyncIterable<StreamChunk> {
    return { [Symbol.asyncIterator]: () => lazyIterator(() => this.streamChat(req, signal)) };
  }

  completeText(req: TextCompletionRequest, { signal }: CallOptions = {}): AsyncIterable<StreamChunk> {
    return { [Symbol.asyncIterator]: () => lazyIterator(() => this.streamText(req, signal)) };
  }

  embed(input: string[], { model, ...opts }: EmbedOptions = {}): Promise<EmbedResult> {
    return this.init.wire.embed(this.init.transport, model ?? this.init.model, input, opts, this.init.quirks);
  }

  async complete(req: ChatRequest, opts: CallOptions = {}): Promise<ChatResponse> {
    const { schema } = req;
    if (schema) return completeStructured({ ...req, schema }, (r) => this.completeOnce(r, opts), { provider: this.id });
    return this.completeOnce(req, opts);
  }

  health(opts: CallOptions = {}): Promise<HealthResult> {
    return probeHealth(this.init.transport, this.init.quirks.health, opts);
  }

  async listModels(opts: CallOptions = {}): Promise<ModelInfo[]> {
    const models = await this.init.wire.listModels(this.init.transport, opts);
    this.learn(models.find((m) => m.id === this.init.model));
    return models;
  }

  async modelInfo(id: string, opts: CallOptions = {}): Promise<ModelInfo> {
    const info = await this.init.wire.modelInfo(this.init.transport, id, opts, this.init.quirks);
    if (id === this.init.model) this.learn(info);
    return info;
  }

  async checkAuth({ signal }: CallOptions = {}): Promise<void> {
    const { transport, quirks } = this.init;
    const res = await transport.open({ method: 'GET', path: quirks.authPath, signal });
    await readText(res.body, transport.context(quirks.authPath), 1, signal);
  }

  close(): Promise<void> {
    return this.init.transport.close();
  }

  private learn(info: ModelInfo | undefined): void {
    if (info?.contextLength !== undefined) this.maxContext = info.contextLength;
    if (info?.capabilities !== undefined) this.reported = info.capabilities;
  }

  private async streamChat(req: ChatRequest, signal: AbortSignal | undefined): Promise<ChunkStream> {
    const { wire, quirks, transport } = this.init;
    const model = this.modelFor(req.model);
    const body = wire.chatBody(req, model, quirks, transport.context(wire.chatPath));
    return this.openStream(
      { path: wire.chatPath, body, streamTypes: wire.streamTypes, decoder: wire.chatDecoder },
      model,
      signal,
    );
  }

  private modelFor(asked: string | undefined): string | undefined {
    const model = asked ?? this.init.model;
    if (model === undefined && this.init.quirks.wire === 'ollama') {
      throw new AcodeError(
        'USAGE',
        `${this.id}: no model given and none configured.`,
        `Set providers.${this.id}.model in .agent/config.yml, or pass a model with the request.`,
      );
    }
    return model;
  }

  /** Sends one streamed request; its answer must carry one of the call's media types. */
  private async openStream(
    call: StreamCall,
    model: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ChunkStream> {
    const { transport } = this.init;
    const ctx = transport.context(call.path);
    if (signal?.aborted) throw aborted(ctx, signal.reason);
    const res = await transport.open({ method: 'POST', path: call.path, json: call.body, signal, model });
    const type = mediaType(res.headers);
    if (!call.streamTypes.includes(type)) {
      throw protocolError(ctx, `unexpected content type "${type || 'none'}"`, await firstBytes(res.body, ctx, signal));
    }
    const bounds = { firstMs: transport.timeouts.headersMs, idleMs: transport.timeouts.bodyMs };
    return new ChunkStream(res.body, call.decoder(ctx, model ?? '', type), ctx, signal, bounds);
  }

  private async streamText(req: TextCompletionRequest, signal: AbortSignal | undefined): Promise<ChunkStream> {
    const { wire, quirks, transport } = this.init;
    const model = this.modelFor(req.model);
    const call = wire.textCompletion(req, model, quirks, transport.context('/'));
    if (req.suffix === undefined) return this.openStream(call, model, signal);
    return this.openStream(call, model, signal).catch((error: unknown) => {
      throw unsupported(
        error,
        this.id,
        'fill in the middle',
        'Ask for a code model with fill-in-the-middle tokens (e.g. qwen2.5-coder), or send the request without "suffix".',
      );
    });
  }

  private async completeOnce(req: ChatRequest, opts: CallOptions): Promise<ChatResponse> {
    let text = '';
    for await (const chunk of this.stream(req, opts)) {
      if (chunk.type === 'text') text += chunk.text;
      if (chunk.type === 'final') {
        return {
          text,
          toolCalls: chunk.toolCalls,
          finishReason: chunk.finishReason,
          usage: chunk.usage,
          model: chunk.model,
        };
      }
    }
    throw interrupted(this.init.transport.context(this.init.wire.chatPath), 0);
  }

  private async *pullModel(
    pull: NonNullable<WireModule['pull']>,
    model: string,
    opts: CallOptions,
  ): AsyncGenerator<PullProgress> {
    if (this.init.mode === 'airgapped') {
      throw new AcodeError(
        'AIRGAP_VIOLATION',
        `${this.id}: refusing to pull "${model}" in airgapped mode.`,
        `Pre-stage the model: on a connected machine run \`ollama pull ${model}\` and copy ~/.ollama/models here.`,
        { details: { provider: this.id, model } },
      );
    }
    yield* pull(this.init.transport, model, opts);
  }
}

/** An iterator whose first next() opens the stream; later calls go straight to it (no extra hop). */
function lazyIterator(open: () => Promise<ChunkStream>): AsyncIterator<StreamChunk> {
  let opening: Promise<ChunkStream> | undefined;
  let stream: ChunkStream | undefined;
  const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
  return {
    next: () => (stream ? stream.next() : (opening ??= open()).then((s) => (stream = s).next())),
    return: async () => {
      const s = stream ?? (await opening?.catch(() => undefined));
      return s ? s.return() : done;
    },
  };
}
