// llama-server's routes in single-model mode: 503 `Loading model` on every route until loaded, then
// health, models, props, slots and the OpenAI-compatible chat / text completions.

import { json, parseJson, sseWhenStreaming, type Dialect, type RequestContext, type Route } from './lib/http-core.js';
import { planChat, planCompletion, RequestInvalid, type OpenAIPlan } from './lib/openai-request.js';
import { respondChat, respondCompletion } from './lib/openai-respond.js';
import type { Reply } from './lib/reply.js';
import type { Runtime } from './lib/runtime.js';
import { openAiEmbeddingBody, openAiEmbeddingInputs } from './lib/embeddings.js';
import { plan, promptTokenCount, rawContinuation } from './lib/tokens.js';

export interface LlamaState {
  runtime: Runtime;
  /** `--alias` or the `-m` argument as given: the id clients see. */
  id: string;
  modelPath: string;
  nCtx: number;
  loaded: boolean;
  startedAt: number;
  /** Started with --embeddings: the embedding routes answer (otherwise 501, as build 9431 does). */
  embeddings: boolean;
  /** The model's chat template handles tools (/props `chat_template_caps.supports_tool_calls`). */
  toolTemplate: boolean;
  /** Started with --mmproj: /props `modalities.vision`. */
  vision: boolean;
}

const CT = 'application/json; charset=utf-8';

function error(reply: Reply, status: number, type: string, message: string): Promise<void> {
  return json(reply, status, { error: { code: status, message, type } }, CT);
}

const PUBLIC = new Set(['/health', '/v1/health', '/models', '/v1/models']);

export function llamaDialect(s: LlamaState, apiKey: string | null): Dialect {
  return {
    notFound: ({ reply }) => error(reply, 404, 'not_found_error', 'File Not Found'),
    methodNotAllowed: ({ reply }) => error(reply, 404, 'not_found_error', 'File Not Found'),
    internalError: ({ reply }, err) =>
      error(reply, 500, 'server_error', err instanceof Error ? err.message : String(err)),
    gate: async ({ req, url, reply }: RequestContext) => {
      if (apiKey !== null && !PUBLIC.has(url.pathname)) {
        const given = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer /, '');
        if (given !== apiKey) {
          await error(reply, 401, 'authentication_error', 'Invalid API Key');
          return true;
        }
      }
      if (s.loaded) return false;
      await json(reply, 503, { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } }, CT);
      return true;
    },
    headers: { Server: 'llama.cpp' },
    accessLog: (req, status) =>
      void process.stderr.write(
        `srv  log_server_r: request: ${req.method ?? 'GET'} ${req.url ?? '/'} ${req.socket.remoteAddress ?? '127.0.0.1'} ${status}\n`,
      ),
  };
}

function modelsBody(s: LlamaState): unknown {
  const meta = {
    vocab_type: 2,
    n_vocab: 151936,
    n_ctx_train: 32768,
    n_embd: 896,
    n_params: 494032768,
    size: 379381760,
    n_ctx: s.nCtx,
  };
  const created = Math.floor(s.startedAt / 1000);
  return {
    models: [
      {
        name: s.id,
        model: s.id,
        modified_at: '',
        size: '',
        digest: '',
        type: 'model',
        description: '',
        tags: [''],
        capabilities: ['completion'],
        parameters: '',
        details: {
          parent_model: '',
          format: 'gguf',
          family: '',
          families: [''],
          parameter_size: '',
          quantization_level: '',
        },
      },
    ],
    object: 'list',
    data: [{ id: s.id, object: 'model', created, owned_by: 'llamacpp', meta }],
  };
}

function propsBody(s: LlamaState): unknown {
  return {
    default_generation_settings: {
      id: 0,
      n_ctx: s.nCtx,
      params: { n_predict: -1, seed: 4294967295, temperature: 0.8 },
    },
    total_slots: 1,
    model_path: s.modelPath,
    chat_template: '{{ messages }}',
    // Every key build 9431 sends, whether or not --jinja was given (measured on the real server).
    chat_template_caps: {
      supports_object_arguments: false,
      supports_parallel_tool_calls: s.toolTemplate,
      supports_preserve_reasoning: false,
      supports_string_content: true,
      supports_system_role: true,
      supports_tool_calls: s.toolTemplate,
      supports_tools: s.toolTemplate,
      supports_typed_content: false,
    },
    modalities: { vision: s.vision, audio: false },
    build_info: 'b6000-acodefake',
    is_sleeping: false,
  };
}

type Planner = (body: Record<string, unknown>) => OpenAIPlan;

function generation(
  s: LlamaState,
  planner: Planner,
  respond: typeof respondChat,
): (ctx: RequestContext) => Promise<void> {
  return async ({ body, reply }) => {
    const parsed = parseJson(body);
    if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      return error(
        reply,
        500,
        'server_error',
        `[json.exception.parse_error.101] parse error at line 1, column 1: syntax error while parsing value - ${parsed.ok ? 'not an object' : parsed.error}`,
      );
    }
    let p: OpenAIPlan;
    try {
      p = planner(parsed.value as Record<string, unknown>);
    } catch (err) {
      if (err instanceof RequestInvalid) return error(reply, 400, 'invalid_request_error', err.message);
      throw err;
    }
    await respond(
      p,
      { flavor: 'llama-server', model: s.id, headers: p.stream ? { 'X-Accel-Buffering': 'no' } : {} },
      s.runtime,
      reply,
    );
  };
}

function embeddings(s: LlamaState): (ctx: RequestContext) => Promise<void> {
  return async ({ body, reply }) => {
    if (!s.embeddings)
      return error(
        reply,
        501,
        'not_supported_error',
        'This server does not support embeddings. Start it with `--embeddings`',
      );
    const parsed = parseJson(body);
    const req =
      parsed.ok && typeof parsed.value === 'object' && parsed.value !== null
        ? (parsed.value as Record<string, unknown>)
        : {};
    const inputs = openAiEmbeddingInputs(req.input ?? req.content);
    if (inputs === null)
      return error(
        reply,
        400,
        'invalid_request_error',
        '"input" must be a string, a list of strings or a list of tokens',
      );
    return json(reply, 200, openAiEmbeddingBody(s.id, s.modelPath, inputs, 896, req.encoding_format === 'base64'), CT);
  };
}

// Native /infill: only models whose vocabulary has the FIM tokens (code models) can; the others get the
// 501 build 9431 answers. Streamed as native events `{content, stop}`, the last with stop_type and counts.
function infill(s: LlamaState): (ctx: RequestContext) => Promise<void> {
  return async ({ body, reply }) => {
    if (!/cod(er|e)|fim/i.test(s.modelPath)) {
      return error(
        reply,
        501,
        'not_supported_error',
        'Infill is not supported by this model: prefix token is missing. suffix token is missing. middle token is missing. ',
      );
    }
    const parsed = parseJson(body);
    const req =
      parsed.ok && typeof parsed.value === 'object' && parsed.value !== null
        ? (parsed.value as Record<string, unknown>)
        : {};
    const prefix = typeof req.input_prefix === 'string' ? req.input_prefix : '';
    const suffix = typeof req.input_suffix === 'string' ? req.input_suffix : '';
    const prompt = `<fim_prefix>${prefix}<fim_suffix>${suffix}<fim_middle>`;
    const maxTokens = typeof req.n_predict === 'number' && req.n_predict >= 0 ? req.n_predict : null;
    const keyOf = (text: string) => ({
      model: s.modelPath,
      prompt: `<fim_prefix>${text}<fim_suffix>${suffix}<fim_middle>`,
      seed: typeof req.seed === 'number' ? req.seed : undefined,
    });
    // A prefix ending with the start of its own infill (a client resuming) is continued.
    const continued = rawContinuation(prefix, keyOf, s.runtime.knobs.tokens);
    const p = plan(
      continued?.key ?? keyOf(prefix),
      { kind: 'text' },
      {
        maxTokens,
        fixedCount: s.runtime.knobs.tokens,
        ...(continued ? { prefix: continued.prefix } : {}),
      },
    );
    const final = {
      content: '',
      stop: true,
      model: s.id,
      stop_type: p.finishReason === 'length' ? 'limit' : 'eos',
      tokens_predicted: p.pieces.length,
      tokens_evaluated: promptTokenCount(prompt),
    };
    if (req.stream !== true) {
      for (let i = 0; i < p.pieces.length; i++) await s.runtime.beforeToken();
      return json(reply, 200, { ...final, content: p.pieces.join('') }, CT);
    }
    reply.open(200, { 'Content-Type': 'text/event-stream', 'X-Accel-Buffering': 'no' });
    for (const piece of p.pieces) {
      if (reply.signal.aborted) return;
      await s.runtime.beforeToken();
      await reply.write(`data: ${JSON.stringify({ index: 0, content: piece, stop: false, id_slot: 0 })}\n\n`);
    }
    await reply.write(`data: ${JSON.stringify(final)}\n\n`);
    await reply.end();
  };
}

export function llamaRoutes(s: LlamaState): Route[] {
  const fixed = s.runtime.knobs.tokens;
  const chat = generation(
    s,
    (b) =>
      planChat(b, { model: s.modelPath, fixedCount: fixed, continuation: 'implicit', allowStreamOptionsAlone: true }),
    respondChat,
  );
  const completion = generation(
    s,
    (b) => planCompletion(b, { model: s.modelPath, fixedCount: fixed, allowStreamOptionsAlone: true }),
    respondCompletion,
  );
  const slots = [{ id: 0, id_task: -1, n_ctx: s.nCtx, speculative: false, is_processing: false }];
  return [
    { methods: ['GET'], path: /^\/(v1\/)?health$/, handler: ({ reply }) => json(reply, 200, { status: 'ok' }, CT) },
    { methods: ['GET'], path: /^\/(v1\/)?models$/, handler: ({ reply }) => json(reply, 200, modelsBody(s), CT) },
    { methods: ['GET'], path: '/props', handler: ({ reply }) => json(reply, 200, propsBody(s), CT) },
    { methods: ['GET'], path: '/slots', handler: ({ reply }) => json(reply, 200, slots, CT) },
    {
      methods: ['POST'],
      path: /^\/(v1\/)?chat\/completions$/,
      work: true,
      contentType: sseWhenStreaming,
      handler: chat,
    },
    {
      methods: ['POST'],
      path: /^\/(v1\/)?completions$/,
      work: true,
      contentType: sseWhenStreaming,
      handler: completion,
    },
    { methods: ['POST'], path: /^\/(v1\/)?embeddings?$/, work: true, contentType: CT, handler: embeddings(s) },
    { methods: ['POST'], path: '/infill', work: true, contentType: sseWhenStreaming, handler: infill(s) },
  ];
}
