// Models on an OpenAI-compatible server: GET /v1/models, with the context length where the server says
// (vLLM `max_model_len`, llama-server `meta.n_ctx`, LM Studio `max_context_length`: docs/protocols.md
// §2.2, §3.2, §4, §8).
import { AcodeError } from '../config/index.js';
import { protocolError } from './wire-errors.js';
import type { ServerQuirks } from './server-quirks.js';
import type { Transport } from './transport.js';
import type { CallOptions, ModelInfo } from './types.js';

interface ModelCard {
  id?: string;
  max_model_len?: number;
  max_context_length?: number;
  meta?: { n_ctx?: number; n_ctx_train?: number; size?: number } | null;
}

function fromCard(card: ModelCard): ModelInfo {
  const info: ModelInfo = { id: card.id ?? '' };
  const ctx = card.max_model_len ?? card.meta?.n_ctx ?? card.max_context_length ?? card.meta?.n_ctx_train;
  if (ctx !== undefined) info.contextLength = ctx;
  if (card.meta?.size !== undefined) info.sizeBytes = card.meta.size;
  return info;
}

export async function listOpenAiModels(t: Transport, { signal }: CallOptions): Promise<ModelInfo[]> {
  const body = await t.json<{ data?: ModelCard[] }>({ method: 'GET', path: '/v1/models', signal });
  if (!Array.isArray(body.data))
    throw protocolError(t.context('/v1/models'), 'a model list without `data`', JSON.stringify(body));
  return body.data.map(fromCard);
}

// There is no per-model route everywhere, so look the id up in the list; a single-model server answers
// whatever it serves (it ignores the requested name anyway).
export async function openAiModelInfo(
  t: Transport,
  id: string,
  opts: CallOptions,
  quirks: ServerQuirks,
): Promise<ModelInfo> {
  const models = await listOpenAiModels(t, opts);
  const found = models.find((m) => m.id === id) ?? (quirks.singleModel && models.length === 1 ? models[0] : undefined);
  if (found) return quirks.propsPath ? withProps(t, found, quirks.propsPath, opts) : found;
  const served = models.map((m) => m.id).join(', ') || 'none';
  throw new AcodeError(
    'MODEL_NOT_FOUND',
    `${t.provider}: the server does not serve "${id}" (it serves: ${served}).`,
    `Set providers.${t.provider}.model to one of the served names, or start the server with "${id}".`,
    { details: { provider: t.provider, model: id, served: models.map((m) => m.id) } },
  );
}

interface PropsAnswer {
  default_generation_settings?: { n_ctx?: number };
  modalities?: { vision?: boolean };
  chat_template_caps?: { supports_tool_calls?: boolean };
}

/**
 * llama-server's /props says what the loaded model can do: its context, a vision projector, and whether
 * its chat template handles tools. Without template caps (older builds) nothing is claimed either way;
 * a /props that fails leaves what /v1/models said (the model is served: that question is answered).
 */
async function withProps(t: Transport, info: ModelInfo, path: string, { signal }: CallOptions): Promise<ModelInfo> {
  let props: PropsAnswer;
  try {
    props = await t.json<PropsAnswer>({ method: 'GET', path, signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    return info;
  }
  const learned: ModelInfo = { ...info };
  const ctx = props.default_generation_settings?.n_ctx;
  if (typeof ctx === 'number') learned.contextLength = ctx;
  const caps = props.chat_template_caps;
  if (caps) {
    learned.capabilities = ['completion'];
    if (caps.supports_tool_calls === true) learned.capabilities.push('tools');
    if (props.modalities?.vision === true) learned.capabilities.push('vision');
  }
  return learned;
}
