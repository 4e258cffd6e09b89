// Ollama's model routes: /api/tags (list), /api/show (info), /api/pull (NDJSON progress, docs/protocols.md §1.4, §1.7).
import { AcodeError } from '../config/index.js';
import { ndjsonValues } from './ndjson-lines.js';
import { firstBytes, mediaType, type Transport } from './transport.js';
import { classifyTransportError, interrupted, protocolError } from './wire-errors.js';
import type { CallOptions, ModelInfo, PullProgress } from './types.js';

interface TagsModel {
  name?: string;
  model?: string;
  size?: number;
  details?: { family?: string; parameter_size?: string; quantization_level?: string };
  capabilities?: string[];
}

function fromTags(m: TagsModel): ModelInfo {
  const info: ModelInfo = { id: m.name ?? m.model ?? '' };
  if (m.size !== undefined) info.sizeBytes = m.size;
  if (m.details?.family) info.family = m.details.family;
  if (m.details?.parameter_size) info.parameterSize = m.details.parameter_size;
  if (m.details?.quantization_level) info.quantization = m.details.quantization_level;
  if (m.capabilities) info.capabilities = m.capabilities;
  return info;
}

export async function listOllamaModels(t: Transport, { signal }: CallOptions): Promise<ModelInfo[]> {
  const body = await t.json<{ models?: TagsModel[] }>({ method: 'GET', path: '/api/tags', signal });
  if (!Array.isArray(body.models))
    throw protocolError(t.context('/api/tags'), 'a tags answer without `models`', JSON.stringify(body));
  return body.models.map(fromTags);
}

interface ShowAnswer {
  details?: TagsModel['details'];
  model_info?: Record<string, unknown>;
  capabilities?: string[];
}

// 404 from /api/show is MODEL_NOT_FOUND carrying the server's message (transport maps it).
export async function ollamaModelInfo(t: Transport, id: string, { signal }: CallOptions): Promise<ModelInfo> {
  const show = await t.json<ShowAnswer>({ method: 'POST', path: '/api/show', json: { model: id }, signal, model: id });
  const info = fromTags({ name: id, details: show.details, capabilities: show.capabilities });
  // GGUF keys are prefixed by architecture: llama.context_length, qwen2.context_length ...
  for (const [key, value] of Object.entries(show.model_info ?? {})) {
    if (key.endsWith('.context_length') && typeof value === 'number') info.contextLength = value;
  }
  return info;
}

function pullFailed(model: string, serverText: string, url: string): AcodeError {
  return new AcodeError(
    'PULL_FAILED',
    `ollama could not pull "${model}": ${serverText}`,
    `Check the model name (ollama.com/library) and the network; or pre-stage it with \`ollama pull ${model}\` elsewhere.`,
    { details: { provider: 'ollama', model, serverMessage: serverText, url } },
  );
}

// A server's field as text: a string as is, anything else as JSON (never "[object Object]").
const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

// Progress lines until `success`; an `error` line (inside an HTTP 200!) or an early end is a failure.
export async function* ollamaPull(t: Transport, model: string, { signal }: CallOptions): AsyncGenerator<PullProgress> {
  const path = '/api/pull';
  const ctx = t.context(path);
  const res = await t.open({ method: 'POST', path, json: { model, stream: true }, signal, model });
  let delivered = 0;
  try {
    if (!['application/x-ndjson', 'application/json'].includes(mediaType(res.headers))) {
      throw protocolError(
        ctx,
        `unexpected content type "${mediaType(res.headers)}"`,
        await firstBytes(res.body, ctx, signal),
      );
    }
    for await (const value of ndjsonValues(res.body, ctx)) {
      const line = value as { status?: unknown; error?: unknown; digest?: string; total?: number; completed?: number };
      if (line.error !== undefined) throw pullFailed(model, asText(line.error), ctx.url);
      const progress: PullProgress = { status: asText(line.status ?? '') };
      if (line.digest !== undefined) progress.digest = line.digest;
      if (line.total !== undefined) progress.total = line.total;
      if (line.completed !== undefined) progress.completed = line.completed;
      delivered++;
      yield progress;
      if (progress.status === 'success') return;
    }
    throw interrupted(ctx, delivered);
  } catch (err) {
    throw classifyTransportError(err, ctx, delivered, signal);
  } finally {
    res.body.destroy();
  }
}
