// The embedding routes: OpenAI's POST /v1/embeddings (input a string or a list of strings; the openai SDK
// asks for base64 unless told otherwise), Ollama's POST /api/embed ({model, input}) and its legacy
// POST /api/embeddings ({model, prompt} → {embedding}). Each is answered by the routed provider's embed()
// through a request machine (retried after a crash; a fallback only to the same embedding model, see
// sameEmbeddingModel). Token arrays are refused with a 400, as Ollama refuses them: the backends here
// embed text.
import type { EmbedResult, ServerHints } from '../adapters/index.js';
import type { Admission } from './admission.js';
import type { AnswerEvents, Engine, Route } from './engine.js';
import { badRequest } from './errors.js';
import { isObject, requireModel, type Json } from './body-fields.js';
import { keepAliveOf } from './ollama-protocol.js';

export interface EmbedContext {
  engine: Engine;
  admission: Admission;
  /** Who answered, and the retries it took (the response's headers and the gateway's metrics). */
  events?: AnswerEvents;
}

/** The input strings of an embeddings request; token arrays and other shapes are a 400 naming the route. */
export function embeddingInputs(value: unknown, route: string, field = 'input'): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value;
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === 'number' || (Array.isArray(v) && v.every((t) => typeof t === 'number')))
  ) {
    throw badRequest(
      `${route}: "${field}" is a list of token ids; the gateway embeds text only.`,
      `Send "${field}" as a string or a list of strings.`,
    );
  }
  throw badRequest(
    `${route}: "${field}" is missing, empty, or neither a string nor a list of strings.`,
    `Send "${field}" as a string or a list of strings.`,
  );
}

// Ollama names a model's default tag either way.
const plainName = (model: string) => model.replace(/:latest$/, '');

/**
 * Whether provider `id` embeds exactly as the routed one does, so it may answer when that one cannot:
 * the same model name on the same kind of server (an Ollama tag names one manifest, a vLLM model one hub
 * repo, a llama-server model one file; a custom provider counts as any kind of its wire). Another model's
 * vectors live in another space, and the same name on another kind of server is another build of the
 * weights (a GGUF quantisation is not the safetensors vLLM loads): neither may be mixed into one index.
 */
function sameEmbeddingModel(ctx: EmbedContext, route: Route): (id: string) => boolean {
  const providers = ctx.engine.config.providers;
  const routed = providers[route.provider];
  const model = route.model ?? routed?.model;
  if (routed === undefined || model === undefined) return () => false;
  return (id) => {
    const p = providers[id];
    if (p?.model === undefined || p.type !== routed.type || plainName(p.model) !== plainName(model)) return false;
    return p.kind === routed.kind || p.kind === 'custom' || routed.kind === 'custom';
  };
}

// Embeddings are idempotent: a server that went away is asked again once it is back, within the request
// machine's retry budget, or another provider with the same embedding model answers. keep_alive (Ollama's
// /api/embed) is a hint as on /api/chat: sent to an Ollama backend, an idle stop or a header otherwise.
async function embed(
  ctx: EmbedContext,
  model: string,
  input: string[],
  signal: AbortSignal,
  hints: ServerHints = {},
): Promise<EmbedResult> {
  const route = ctx.engine.route(model);
  const release = await ctx.admission.enter(route.provider, signal);
  try {
    const asked = route.model ?? ctx.engine.config.providers[route.provider]?.model;
    return await ctx.engine.call(
      route,
      (provider, id, callSignal, sent) => {
        if (!provider.embed)
          throw badRequest(`${id} cannot embed.`, 'Route embeddings to an Ollama, vLLM or llama-server provider.');
        return provider.embed(input, {
          signal: callSignal,
          ...(asked !== undefined ? { model: asked } : {}),
          ...(sent.keepAlive !== undefined ? { keepAlive: sent.keepAlive } : {}),
        });
      },
      { ...ctx.events, substitute: sameEmbeddingModel(ctx, route), hints },
      signal,
    );
  } finally {
    release();
  }
}

// Little-endian float32, as OpenAI's base64 encoding is (and the openai SDK decodes).
function base64Of(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** POST /v1/embeddings. */
export async function openAiEmbeddings(ctx: EmbedContext, body: unknown, signal: AbortSignal): Promise<Json> {
  if (!isObject(body))
    throw badRequest('/v1/embeddings: the body is not a JSON object.', 'Send a JSON object with "model" and "input".');
  const model = requireModel(body, '/v1/embeddings');
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64')
    throw badRequest(
      `/v1/embeddings: "encoding_format" ${JSON.stringify(format)} is neither float nor base64.`,
      'Send "float", "base64", or leave it out.',
    );
  const result = await embed(ctx, model, embeddingInputs(body.input, '/v1/embeddings'), signal);
  const tokens = result.promptTokens ?? 0;
  return {
    object: 'list',
    data: result.embeddings.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: format === 'base64' ? base64Of(v) : v,
    })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** POST /api/embed. */
export async function ollamaEmbed(ctx: EmbedContext, body: unknown, signal: AbortSignal): Promise<Json> {
  if (!isObject(body))
    throw badRequest('/api/embed: the body is not a JSON object.', 'Send a JSON object with "model" and "input".');
  const model = requireModel(body, '/api/embed');
  const t0 = process.hrtime.bigint();
  const keepAlive = keepAliveOf(body);
  const result = await embed(
    ctx,
    model,
    embeddingInputs(body.input, '/api/embed'),
    signal,
    keepAlive !== undefined ? { keepAlive } : {},
  );
  return {
    model,
    embeddings: result.embeddings,
    total_duration: Number(process.hrtime.bigint() - t0),
    load_duration: 0,
    prompt_eval_count: result.promptTokens ?? 0,
  };
}

/** POST /api/embeddings (legacy): one prompt, one vector; an empty prompt is an empty vector, as Ollama answers. */
export async function ollamaLegacyEmbedding(ctx: EmbedContext, body: unknown, signal: AbortSignal): Promise<Json> {
  if (!isObject(body))
    throw badRequest(
      '/api/embeddings: the body is not a JSON object.',
      'Send a JSON object with "model" and "prompt".',
    );
  const model = requireModel(body, '/api/embeddings');
  if (typeof body.prompt !== 'string')
    throw badRequest(
      '/api/embeddings: "prompt" is missing or not a string.',
      'Send "prompt" as a string (or use /api/embed with "input").',
    );
  if (body.prompt === '') return { embedding: [] };
  const result = await embed(ctx, model, [body.prompt], signal);
  return { embedding: result.embeddings[0] };
}
