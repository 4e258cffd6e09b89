// vLLM's OpenAI-compatible routes as the fake serves them: health, models, version, metrics, chat and
// text completions, with vLLM's error envelope (>= 0.10.1) and FastAPI's defaults for unknown paths.

import { json, parseJson, sseWhenStreaming, type Dialect, type RequestContext, type Route } from './lib/http-core.js';
import { planChat, planCompletion, RequestInvalid, type OpenAIPlan } from './lib/openai-request.js';
import { respondChat, respondCompletion } from './lib/openai-respond.js';
import type { Reply } from './lib/reply.js';
import type { Runtime } from './lib/runtime.js';
import { isEmbeddingModel, openAiEmbeddingBody, openAiEmbeddingInputs } from './lib/embeddings.js';

export const VLLM_VERSION = '0.11.0';

export interface VllmState {
  runtime: Runtime;
  /** The `<model>` argument: HF id or local path. */
  root: string;
  servedNames: string[];
  maxModelLen: number;
  startedAt: number;
  metrics: { promptTokens: number; generationTokens: number; success: number; running: number };
}

function error(
  reply: Reply,
  status: number,
  type: string,
  message: string,
  param: string | null = null,
): Promise<void> {
  return json(reply, status, { error: { message, type, param, code: status } }, 'application/json');
}

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
};

/** vLLM's dialect; with an API key every /v1 route needs `Authorization: Bearer <key>`. */
export function vllmDialect(apiKey: string | null): Dialect {
  return {
    ...baseDialect,
    gate: async ({ req, url, reply }) => {
      if (apiKey === null || !url.pathname.startsWith('/v1') || req.headers.authorization === `Bearer ${apiKey}`)
        return false;
      await json(reply, 401, { error: 'Unauthorized' }, 'application/json');
      return true;
    },
    accessLog: (req, status) => {
      const addr = req.socket.remoteAddress ?? '127.0.0.1';
      process.stdout.write(
        `INFO:     ${addr}:${req.socket.remotePort ?? 0} - "${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}" ${status} ${REASONS[status] ?? ''}\n`,
      );
    },
  };
}

const baseDialect: Dialect = {
  notFound: ({ reply }) => json(reply, 404, { detail: 'Not Found' }, 'application/json'),
  methodNotAllowed: ({ reply }) => json(reply, 405, { detail: 'Method Not Allowed' }, 'application/json'),
  internalError: ({ reply }) => error(reply, 500, 'InternalServerError', 'Internal server error'),
  headers: { server: 'uvicorn' },
};

function modelCard(s: VllmState, id: string): Record<string, unknown> {
  const created = Math.floor(s.startedAt / 1000);
  return {
    id,
    object: 'model',
    created,
    owned_by: 'vllm',
    root: s.root,
    parent: null,
    max_model_len: s.maxModelLen,
    permission: [
      {
        id: `modelperm-${created.toString(16)}`,
        object: 'model_permission',
        created,
        allow_create_engine: false,
        allow_sampling: true,
        allow_logprobs: true,
        allow_search_indices: false,
        allow_view: true,
        allow_fine_tuning: false,
        organization: '*',
        group: null,
        is_blocking: false,
      },
    ],
  };
}

function metricsText(s: VllmState): string {
  const label = `{model_name="${s.servedNames[0] ?? s.root}"}`;
  return [
    '# HELP vllm:num_requests_running Number of requests in model execution batches.',
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running${label} ${s.metrics.running}`,
    '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting${label} 0`,
    '# HELP vllm:prompt_tokens_total Number of prefill tokens processed.',
    '# TYPE vllm:prompt_tokens_total counter',
    `vllm:prompt_tokens_total${label} ${s.metrics.promptTokens}`,
    '# HELP vllm:generation_tokens_total Number of generation tokens processed.',
    '# TYPE vllm:generation_tokens_total counter',
    `vllm:generation_tokens_total${label} ${s.metrics.generationTokens}`,
    '# HELP vllm:request_success_total Count of successfully processed requests.',
    '# TYPE vllm:request_success_total counter',
    `vllm:request_success_total{finished_reason="stop",${label.slice(1)} ${s.metrics.success}`,
    '',
  ].join('\n');
}

type Planner = (body: Record<string, unknown>, model: string) => OpenAIPlan;

/** The body as an object and the served name it asks for, or null once the error has been sent. */
async function admitted(
  s: VllmState,
  body: string,
  reply: Reply,
): Promise<{ req: Record<string, unknown>; requested: string | undefined } | null> {
  const parsed = parseJson(body);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    const msg = parsed.ok ? 'Input should be a valid dictionary' : `JSON decode error: ${parsed.error}`;
    await error(
      reply,
      400,
      'Bad Request',
      `1 validation error:\n  {'type': 'json_invalid', 'loc': ('body', 0), 'msg': '${msg}'}`,
      'body',
    );
    return null;
  }
  const req = parsed.value as Record<string, unknown>;
  const requested = typeof req.model === 'string' && req.model !== '' ? req.model : undefined;
  if (requested !== undefined && !s.servedNames.includes(requested)) {
    await error(reply, 404, 'NotFoundError', `The model \`${requested}\` does not exist.`, 'model');
    return null;
  }
  return { req, requested };
}

// A model vLLM runs for pooling (embeddings) has no generate API, and a generate model no Embeddings API.
function generation(
  s: VllmState,
  api: string,
  planner: Planner,
  respond: typeof respondChat,
): (ctx: RequestContext) => Promise<void> {
  return async ({ body, reply }) => {
    const a = await admitted(s, body, reply);
    if (!a) return;
    const { req, requested } = a;
    if (isEmbeddingModel(s.root)) return error(reply, 400, 'BadRequestError', `The model does not support ${api} API`);
    let p: OpenAIPlan;
    try {
      p = planner(req, s.root);
    } catch (err) {
      if (err instanceof RequestInvalid) return error(reply, 400, 'BadRequestError', err.message, err.param);
      throw err;
    }
    s.metrics.running += 1;
    try {
      await respond(
        p,
        { flavor: 'vllm', model: requested ?? s.servedNames[0] ?? s.root, headers: {} },
        s.runtime,
        reply,
      );
      s.metrics.promptTokens += p.promptTokens;
      s.metrics.generationTokens += p.pieces.length;
      s.metrics.success += 1;
    } finally {
      s.metrics.running -= 1;
    }
  };
}

function embeddings(s: VllmState): (ctx: RequestContext) => Promise<void> {
  return async ({ body, reply }) => {
    const a = await admitted(s, body, reply);
    if (!a) return;
    if (!isEmbeddingModel(s.root))
      return error(reply, 400, 'BadRequestError', 'The model does not support Embeddings API');
    const inputs = openAiEmbeddingInputs(a.req.input);
    if (inputs === null)
      return error(
        reply,
        400,
        'BadRequestError',
        "1 validation error:\n  {'type': 'missing', 'loc': ('body', 'input')}",
        'input',
      );
    const model = a.requested ?? s.servedNames[0] ?? s.root;
    const answer = openAiEmbeddingBody(model, s.root, inputs, 768, a.req.encoding_format === 'base64');
    return json(
      reply,
      200,
      { id: `embd-${Date.now().toString(16)}`, created: Math.floor(Date.now() / 1000), ...answer },
      'application/json',
    );
  };
}

export function vllmRoutes(s: VllmState): Route[] {
  const fixed = s.runtime.knobs.tokens;
  const chat: Planner = (b, model) =>
    planChat(b, { model, fixedCount: fixed, continuation: 'explicit', allowStreamOptionsAlone: false });
  // vLLM's completion serving refuses fill in the middle outright (serving_completion.py).
  const completion: Planner = (b, model) => {
    if (b.suffix !== undefined && b.suffix !== null) throw new RequestInvalid('suffix is not currently supported');
    return planCompletion(b, { model, fixedCount: fixed, allowStreamOptionsAlone: false });
  };
  return [
    { methods: ['GET'], path: '/health', handler: ({ reply }) => reply.send(200, {}, '') },
    { methods: ['GET', 'POST'], path: '/ping', handler: ({ reply }) => reply.send(200, {}, '') },
    {
      methods: ['GET'],
      path: '/version',
      handler: ({ reply }) => json(reply, 200, { version: VLLM_VERSION }, 'application/json'),
    },
    {
      methods: ['GET'],
      path: '/load',
      handler: ({ reply }) => json(reply, 200, { server_load: 0 }, 'application/json'),
    },
    {
      methods: ['GET'],
      path: '/v1/models',
      handler: ({ reply }) =>
        json(reply, 200, { object: 'list', data: s.servedNames.map((n) => modelCard(s, n)) }, 'application/json'),
    },
    {
      methods: ['GET'],
      path: '/metrics',
      handler: ({ reply }) =>
        reply.send(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }, metricsText(s)),
    },
    {
      methods: ['POST'],
      path: '/v1/chat/completions',
      work: true,
      contentType: sseWhenStreaming,
      handler: generation(s, 'Chat Completions', chat, respondChat),
    },
    {
      methods: ['POST'],
      path: '/v1/completions',
      work: true,
      contentType: sseWhenStreaming,
      handler: generation(s, 'Completions', completion, respondCompletion),
    },
    { methods: ['POST'], path: '/v1/embeddings', work: true, contentType: 'application/json', handler: embeddings(s) },
  ];
}
