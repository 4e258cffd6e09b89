// Embeddings over both wires: Ollama's POST /api/embed {model, input} → {embeddings, prompt_eval_count}
// (§1.6), and the OpenAI-compatible POST /v1/embeddings {model, input} → data[].embedding + usage. A
// server that does not embed (llama-server without --embeddings answers 501, an Ollama chat model 400)
// is a BAD_REQUEST that says how to get embeddings from it.
import { AcodeError } from '../config/index.js';
import { unsupported } from './unsupported.js';
import { protocolError } from './wire-errors.js';
import type { ServerQuirks } from './server-quirks.js';
import type { Transport } from './transport.js';
import type { CallOptions, EmbedOptions, EmbedResult } from './types.js';

function isVectorList(value: unknown): value is number[][] {
  return Array.isArray(value) && value.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'));
}

function cannotEmbed(t: Transport, model: string | undefined, quirks: ServerQuirks, error: unknown): unknown {
  return unsupported(
    error,
    t.provider,
    `embed${model ? ` with "${model}"` : ''}`,
    quirks.embeddingsHint ?? 'Ask for an embedding model this provider serves (GET /v1/models lists them).',
  );
}

export async function ollamaEmbed(
  t: Transport,
  model: string | undefined,
  input: string[],
  { signal, keepAlive }: Omit<EmbedOptions, 'model'>,
  quirks: ServerQuirks,
): Promise<EmbedResult> {
  const path = '/api/embed';
  if (model === undefined) {
    throw new AcodeError(
      'USAGE',
      `${t.provider}: no model given and none configured.`,
      `Set providers.${t.provider}.model in .agent/config.yml, or pass a model with the request.`,
    );
  }
  let body: { model?: string; embeddings?: unknown; prompt_eval_count?: number };
  try {
    body = await t.json({
      method: 'POST',
      path,
      json: { model, input, ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}) },
      signal,
      model,
    });
  } catch (error) {
    throw cannotEmbed(t, model, quirks, error);
  }
  if (!isVectorList(body.embeddings) || body.embeddings.length !== input.length) {
    throw protocolError(
      t.context(path),
      `an answer without ${input.length} embeddings`,
      JSON.stringify(body).slice(0, 200),
    );
  }
  return {
    model: body.model ?? model,
    embeddings: body.embeddings,
    ...(typeof body.prompt_eval_count === 'number' ? { promptTokens: body.prompt_eval_count } : {}),
  };
}

export async function openAiEmbed(
  t: Transport,
  model: string | undefined,
  input: string[],
  { signal }: CallOptions,
  quirks: ServerQuirks,
): Promise<EmbedResult> {
  const path = '/v1/embeddings';
  let body: { model?: string; data?: { index?: number; embedding?: unknown }[]; usage?: { prompt_tokens?: number } };
  try {
    body = await t.json({
      method: 'POST',
      path,
      json: { ...(model !== undefined ? { model } : {}), input, encoding_format: 'float' },
      signal,
      ...(model !== undefined ? { model } : {}),
    });
  } catch (error) {
    throw cannotEmbed(t, model, quirks, error);
  }
  const data = Array.isArray(body.data) ? [...body.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)) : [];
  const embeddings = data.map((d) => d.embedding);
  if (!isVectorList(embeddings) || embeddings.length !== input.length) {
    throw protocolError(
      t.context(path),
      `an answer without ${input.length} embeddings`,
      JSON.stringify(body).slice(0, 200),
    );
  }
  return {
    model: body.model ?? model ?? '',
    embeddings,
    ...(typeof body.usage?.prompt_tokens === 'number' ? { promptTokens: body.usage.prompt_tokens } : {}),
  };
}
