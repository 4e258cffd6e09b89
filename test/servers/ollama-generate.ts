// Ollama's inference routes: /api/chat and /api/generate (NDJSON stream by default, or one JSON object),
// /api/embed and legacy /api/embeddings. Output is the deterministic token sequence of lib/tokens.ts.

import type { RequestContext } from './lib/http-core.js';
import { json } from './lib/http-core.js';
import { embedding } from './lib/embeddings.js';
import type { JsonSchema } from './lib/schema-value.js';
import { chatPrompt, contentText, plan, promptTokenCount, rawContinuation, type OutputShape } from './lib/tokens.js';
import { chooseTool, makeId, toolArguments, toolSpecs } from './lib/tools.js';
import { traitsOf, type StoredModel } from './ollama-store.js';
import {
  ensureLoaded,
  ollamaError,
  parseKeepAlive,
  readRequest,
  touch,
  type Body,
  type OllamaState,
} from './ollama-state.js';

const NDJSON = { 'Content-Type': 'application/x-ndjson' };

function isRecord(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Admitted {
  req: Body;
  modelField: string;
  model: StoredModel;
  keepAliveMs: number;
  loadNs: number;
}

async function fail(ctx: RequestContext, status: number, message: string): Promise<null> {
  await ollamaError(ctx.reply, status, message);
  return null;
}

/** Shared checks: body, model present and pulled, capability, keep_alive; then the lazy load. */
async function admit(
  s: OllamaState,
  ctx: RequestContext,
  capability: 'chat' | 'generate' | 'embed',
): Promise<Admitted | null> {
  const req = await readRequest(ctx.body, ctx.reply);
  if (!req) return null;
  const modelField = typeof req.model === 'string' ? req.model : typeof req.name === 'string' ? req.name : '';
  if (modelField === '') return fail(ctx, 400, 'model is required');
  const model = s.store.get(modelField);
  if (!model) return fail(ctx, 404, `model '${modelField}' not found`);
  if (capability !== 'embed' && traitsOf(model.name).embedding) {
    return fail(ctx, 400, `"${modelField}" does not support ${capability}`);
  }
  const ka = parseKeepAlive(req.keep_alive);
  if (!ka.ok) return fail(ctx, 400, ka.error);
  const loadNs = await ensureLoaded(s, model);
  return { req, modelField, model, keepAliveMs: ka.ms, loadNs };
}

function shapeOf(format: unknown): OutputShape {
  if (format === 'json') return { kind: 'json' };
  if (isRecord(format)) return { kind: 'json', schema: format as JsonSchema };
  return { kind: 'text' };
}

function options(req: Body): { seed: number | undefined; numPredict: number | null } {
  const o = isRecord(req.options) ? req.options : {};
  const seed = typeof o.seed === 'number' ? o.seed : undefined;
  const np = typeof o.num_predict === 'number' && o.num_predict >= 0 ? o.num_predict : null;
  return { seed, numPredict: np };
}

type Field = 'message' | 'response';

/** Streams or sends the pieces, then the final object with done_reason, counts and nanosecond durations. */
async function deliver(
  s: OllamaState,
  ctx: RequestContext,
  a: Admitted,
  field: Field,
  pieces: string[],
  finish: string,
  promptTokens: number,
  toolCalls: unknown[] | null,
): Promise<void> {
  const { reply } = ctx;
  const started = process.hrtime.bigint();
  const stream = a.req.stream !== false;
  const base = (): Body => ({ model: a.modelField, created_at: new Date().toISOString() });
  const payload = (text: string, calls?: unknown[]): Body =>
    field === 'message'
      ? { message: { role: 'assistant', content: text, ...(calls ? { tool_calls: calls } : {}) } }
      : { response: text };
  const tokenCount = toolCalls ? Math.max(1, Math.ceil(JSON.stringify(toolCalls).length / 6)) : pieces.length;
  const final = (text: string, calls?: unknown[]): Body => {
    const evalNs = Number(process.hrtime.bigint() - started);
    return {
      ...base(),
      ...payload(text, calls),
      done_reason: finish,
      done: true,
      total_duration: a.loadNs + evalNs + 1_000_000,
      load_duration: a.loadNs,
      prompt_eval_count: promptTokens,
      prompt_eval_duration: 1_000_000,
      eval_count: tokenCount,
      eval_duration: evalNs,
    };
  };
  if (!stream) {
    for (let i = 0; i < tokenCount; i++) await s.runtime.beforeToken();
    touch(s, a.model.name, a.keepAliveMs);
    return json(
      reply,
      200,
      final(toolCalls ? '' : pieces.join(''), toolCalls ?? undefined),
      'application/json; charset=utf-8',
    );
  }
  reply.open(200, NDJSON);
  const line = (obj: Body): Promise<void> => reply.write(`${JSON.stringify(obj)}\n`);
  if (toolCalls) {
    for (let i = 0; i < tokenCount; i++) await s.runtime.beforeToken();
    await line({ ...base(), ...payload('', toolCalls), done: false });
  } else {
    for (const piece of pieces) {
      if (reply.signal.aborted) break;
      await s.runtime.beforeToken();
      await line({ ...base(), ...payload(piece), done: false });
    }
  }
  touch(s, a.model.name, a.keepAliveMs);
  if (reply.signal.aborted) return;
  await line(final(''));
  await reply.end();
}

function loadReply(s: OllamaState, ctx: RequestContext, a: Admitted, field: Field): Promise<void> {
  touch(s, a.model.name, a.keepAliveMs);
  const body = {
    model: a.modelField,
    created_at: new Date().toISOString(),
    ...(field === 'message' ? { message: { role: 'assistant', content: '' } } : { response: '' }),
    done_reason: 'load',
    done: true,
  };
  return json(ctx.reply, 200, body, 'application/json; charset=utf-8');
}

export function chatHandler(s: OllamaState): (ctx: RequestContext) => Promise<void> {
  return async (ctx) => {
    const a = await admit(s, ctx, 'chat');
    if (!a) return;
    const messages = (Array.isArray(a.req.messages) ? a.req.messages : [])
      .filter(isRecord)
      .map((m) => ({ role: typeof m.role === 'string' ? m.role : 'user', content: m.content }));
    if (messages.length === 0) return loadReply(s, ctx, a, 'message');
    const last = messages[messages.length - 1];
    // Ollama prefills a trailing assistant message: generation continues that text.
    const continuing = last?.role === 'assistant';
    const promptMessages = continuing ? messages.slice(0, -1) : messages;
    const prompt = chatPrompt(promptMessages);
    const { seed, numPredict } = options(a.req);
    const key = { model: a.model.name, prompt, seed };
    const tail = promptMessages[promptMessages.length - 1];
    const tool = continuing
      ? null
      : chooseTool(toolSpecs(a.req.tools), undefined, tail?.role ?? '', contentText(tail?.content));
    if (tool) {
      const calls = [
        { id: makeId('call_'), function: { index: 0, name: tool.name, arguments: toolArguments(tool, key) } },
      ];
      return deliver(s, ctx, a, 'message', [], 'stop', promptTokenCount(prompt), calls);
    }
    const p = plan(key, shapeOf(a.req.format), {
      prefix: continuing ? contentText(last?.content) : undefined,
      maxTokens: numPredict,
      fixedCount: s.runtime.knobs.tokens,
    });
    return deliver(
      s,
      ctx,
      a,
      'message',
      p.pieces,
      p.finishReason,
      promptTokenCount(prompt, continuing ? contentText(last?.content) : ''),
      null,
    );
  };
}

export function generateHandler(s: OllamaState): (ctx: RequestContext) => Promise<void> {
  return async (ctx) => {
    const a = await admit(s, ctx, 'generate');
    if (!a) return;
    const promptText = typeof a.req.prompt === 'string' ? a.req.prompt : '';
    if (promptText === '') return loadReply(s, ctx, a, 'response');
    if (
      a.req.raw === true &&
      (a.req.system !== undefined || a.req.template !== undefined || a.req.context !== undefined)
    ) {
      return void (await fail(ctx, 400, 'raw mode does not support template, system, or context'));
    }
    // Fill in the middle needs a template with a suffix slot: the code models' (routes.go CapabilityInsert).
    const suffix = typeof a.req.suffix === 'string' && a.req.suffix !== '' ? a.req.suffix : undefined;
    if (suffix !== undefined && !traitsOf(a.model.name).insert)
      return void (await fail(ctx, 400, `"${a.modelField}" does not support insert`));
    const system = typeof a.req.system === 'string' ? `${a.req.system}\n` : '';
    const framed = (text: string) =>
      suffix === undefined ? `${system}${text}` : `<fim_prefix>${text}<fim_suffix>${suffix}<fim_middle>`;
    const prompt = framed(promptText);
    const { seed, numPredict } = options(a.req);
    const shape = shapeOf(a.req.format);
    const keyOf = (text: string) => ({ model: a.model.name, prompt: framed(text), seed });
    // A raw prompt (or an infill prefix) ending with the start of its own answer is continued.
    const continued =
      shape.kind === 'text' && (a.req.raw === true || suffix !== undefined)
        ? rawContinuation(promptText, keyOf, s.runtime.knobs.tokens)
        : null;
    const p = plan(continued?.key ?? keyOf(promptText), shape, {
      maxTokens: numPredict,
      fixedCount: s.runtime.knobs.tokens,
      ...(continued ? { prefix: continued.prefix } : {}),
    });
    return deliver(s, ctx, a, 'response', p.pieces, p.finishReason, promptTokenCount(prompt), null);
  };
}

export function embedHandler(s: OllamaState, legacy: boolean): (ctx: RequestContext) => Promise<void> {
  return async (ctx) => {
    const a = await admit(s, ctx, 'embed');
    if (!a) return;
    const dims =
      typeof a.req.dimensions === 'number' && a.req.dimensions > 0
        ? a.req.dimensions
        : traitsOf(a.model.name).embeddingLength;
    touch(s, a.model.name, a.keepAliveMs);
    if (legacy) {
      const prompt = typeof a.req.prompt === 'string' ? a.req.prompt : '';
      return json(
        ctx.reply,
        200,
        { embedding: prompt === '' ? [] : embedding(a.model.name, prompt, dims) },
        'application/json; charset=utf-8',
      );
    }
    const input = a.req.input;
    const inputs =
      typeof input === 'string'
        ? [input]
        : Array.isArray(input) && input.every((x) => typeof x === 'string')
          ? input
          : input === undefined
            ? []
            : null;
    if (inputs === null) return ollamaError(ctx.reply, 400, 'invalid input type');
    const count = inputs.reduce((n, t) => n + promptTokenCount(t) - 4 + 1, 0);
    return json(
      ctx.reply,
      200,
      {
        model: a.modelField,
        embeddings: inputs.map((t) => embedding(a.model.name, t, dims)),
        total_duration: a.loadNs + 2_000_000,
        load_duration: a.loadNs,
        prompt_eval_count: count,
      },
      'application/json; charset=utf-8',
    );
  };
}
