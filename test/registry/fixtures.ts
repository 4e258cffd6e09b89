// Small builders for resolved configs and fake providers, so registry tests state only what matters.
import {
  AcodeError,
  DEFAULT_LIFECYCLE,
  DEFAULT_REQUEST_TIMEOUTS,
  type AcodeConfig,
  type ProviderConfig,
  type ProviderKind,
} from '../../config/index.js';
import type { Capabilities, ChatRequest, ChatResponse, ModelProvider, StreamChunk } from '../../adapters/index.js';

const KIND_PORT: Record<string, number> = { ollama: 11434, vllm: 8000, llamacpp: 8080, lmstudio: 1234 };

export function providerConfig(id: string, over: Partial<ProviderConfig> = {}): ProviderConfig {
  const kind = (over.kind ?? (id in KIND_PORT ? id : 'custom')) as ProviderKind;
  const host = over.host ?? '127.0.0.1';
  const port = over.port ?? KIND_PORT[id] ?? 9000;
  return {
    id,
    kind,
    type: kind === 'ollama' ? 'ollama' : 'openai-compatible',
    model: `${id}-model`,
    host,
    port,
    baseUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    args: [],
    lifecycle: { ...DEFAULT_LIFECYCLE },
    timeouts: DEFAULT_REQUEST_TIMEOUTS,
    gpu: {},
    ...over,
  };
}

export function config(ids: string[], over: Partial<AcodeConfig> & { remote?: string[] } = {}): AcodeConfig {
  const providers: Record<string, ProviderConfig> = {};
  for (const id of ids) {
    providers[id] = over.remote?.includes(id)
      ? providerConfig(id, { host: 'api.example.invalid', baseUrl: 'https://api.example.invalid' })
      : providerConfig(id);
  }
  const { remote: _remote, ...rest } = over;
  return { mode: 'local-only', active: ids[0] ?? '', fallback: [], providers, ...rest };
}

export const FULL_CAPS: Capabilities = {
  streaming: true,
  tools: true,
  structuredOutput: true,
  embeddings: false,
  vision: false,
  continueFinalMessage: true,
};

export function gone(chunks = 0): AcodeError {
  return new AcodeError('STREAM_INTERRUPTED', `ended early after ${chunks} chunk(s)`, 'retried', {
    details: { chunksDelivered: chunks },
  });
}

export function refused(): AcodeError {
  return new AcodeError('CONNECTION_REFUSED', 'connection refused', 'start it');
}

/**
 * A deterministic fake server: the answer to a request is `pieces`; a request that ends with an assistant
 * message and continueFinalMessage gets the rest after that text (as the stand-in servers do).
 * `failures` is consumed one per request: a number breaks the stream after that many chunks.
 */
export function fakeProvider(opts: {
  id?: string;
  pieces: string[];
  caps?: Partial<Capabilities>;
  failures?: (number | Error | undefined)[];
}): ModelProvider & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  const failures = [...(opts.failures ?? [])];
  const remainder = (req: ChatRequest): string[] => {
    const last = req.messages.at(-1);
    if (!req.continueFinalMessage || last?.role !== 'assistant') return opts.pieces;
    let acc = '';
    for (let i = 0; i <= opts.pieces.length; i++) {
      if (acc === last.content) return opts.pieces.slice(i);
      acc += opts.pieces[i] ?? '';
    }
    throw new Error(`not a prefix on a piece boundary: ${last.content}`);
  };
  // Like the servers: the continued text counts as prompt, only the rest as completion.
  const usageFor = (req: ChatRequest, completion: number) => {
    const prompt = 5 + opts.pieces.length - remainder(req).length;
    return { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion };
  };
  return {
    id: opts.id ?? 'fake',
    capabilities: { ...FULL_CAPS, ...opts.caps },
    requests,
    async complete(req): Promise<ChatResponse> {
      requests.push(req);
      const f = failures.shift();
      if (f instanceof Error) throw f;
      if (typeof f === 'number') throw refused();
      return { text: remainder(req).join(''), toolCalls: [], finishReason: 'stop', model: 'm' };
    },
    async *stream(req): AsyncIterable<StreamChunk> {
      requests.push(req);
      const f = failures.shift();
      if (f instanceof Error) throw f;
      let n = 0;
      for (const text of remainder(req)) {
        if (f !== undefined && n === f) throw gone(n);
        n++;
        yield { type: 'text', text };
      }
      yield { type: 'final', finishReason: 'stop', toolCalls: [], model: 'm', usage: usageFor(req, n) };
    },
    async health() {
      return { ok: true, status: 'ready' };
    },
    async listModels() {
      return [];
    },
    async modelInfo(id) {
      return { id };
    },
    async close() {},
  };
}

export async function collect(stream: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const out: StreamChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

export function textOf(chunks: StreamChunk[]): string {
  let text = '';
  for (const c of chunks) {
    if (c.type === 'restarted') text = '';
    if (c.type === 'text') text += c.text;
  }
  return text;
}
