// What differs between the servers, as data: the wire modules read this table instead of branching
// on the server's name. Facts are from docs/protocols.md (sections named per row).
import type { ProviderKind, WireType } from '../config/index.js';

/** How the server lets us continue a trailing assistant message (crash-safe resume). */
export type ContinueStyle =
  /** vLLM: `continue_final_message: true, add_generation_prompt: false` (§2.3). */
  | 'continue-flag'
  /** Ollama: a trailing assistant message is prefilled and continued as sent (§1.5). */
  | 'trailing-assistant'
  /** llama-server, LM Studio: no way to continue; the crash-safe layer re-requests instead. */
  | 'unsupported';

export interface HealthQuirks {
  /** A free, cheap route; never a completion. */
  path: string;
  /** A status meaning "up, but still loading the model" (llama-server 503 `Loading model`, §3.1). */
  startingStatus?: number;
  /** The 200 body must match, so another program on the port is not mistaken for the server. */
  readyBody?: RegExp;
  /** Said in `detail` when the connection is refused: vLLM refuses while it loads (§2.1). */
  refusedNote?: string;
}

export interface ServerQuirks {
  wire: WireType;
  health: HealthQuirks;
  continueStyle: ContinueStyle;
  /** Models can be pulled through the server's API (Ollama /api/pull). */
  pull: boolean;
  /** Serves one model and ignores the request's `model` (llama-server single-model mode, §8). */
  singleModel?: boolean;
  /** A cheap GET the API key guards, to tell a wrong key from a healthy server (the health route is free). */
  authPath: string;
  /** Fill in the middle on the OpenAI wire: llama-server's native /infill (§3); absent = none (vLLM refuses `suffix`). */
  infillPath?: string;
  /** What the loaded model can do (llama-server /props: context, vision, the template's tool support, §3). */
  propsPath?: string;
  /** How to get embeddings from this server when it says it has none. */
  embeddingsHint?: string;
}

const OLLAMA: ServerQuirks = {
  wire: 'ollama',
  health: { path: '/', readyBody: /Ollama is running/ },
  continueStyle: 'trailing-assistant',
  pull: true,
  embeddingsHint: 'Ask for an embedding model (e.g. nomic-embed-text, all-minilm); GET /api/tags lists the models.',
  // Ollama has no keys; a proxy in front of it that wants one guards everything.
  authPath: '/api/tags',
};

const OPENAI_GENERIC: ServerQuirks = {
  wire: 'openai-compatible',
  health: { path: '/v1/models' },
  continueStyle: 'unsupported',
  pull: false,
  authPath: '/v1/models',
};

export const SERVER_QUIRKS: Record<Exclude<ProviderKind, 'custom'>, ServerQuirks> = {
  ollama: OLLAMA,
  vllm: {
    wire: 'openai-compatible',
    // 503 on /health means the engine died (§2.2), so it is an error, not "starting".
    health: { path: '/health', refusedNote: 'vLLM refuses connections until its model is loaded' },
    continueStyle: 'continue-flag',
    pull: false,
    authPath: '/v1/models',
  },
  llamacpp: {
    wire: 'openai-compatible',
    health: { path: '/health', startingStatus: 503 },
    continueStyle: 'unsupported',
    pull: false,
    singleModel: true,
    // /v1/models is open to anyone on builds up to at least b9431 (§8); /props is guarded on all of them.
    authPath: '/props',
    propsPath: '/props',
    infillPath: '/infill',
    // Without the flag every embeddings route answers 501 "This server does not support embeddings".
    // With it, a model without its own pooling also needs --pooling (mean): "Pooling type 'none' is not OAI compatible".
    embeddingsHint:
      "Start llama-server with --embeddings (and --pooling mean unless the model sets its own): add them to the provider's args in .agent/config.yml.",
  },
  // LM Studio documents no health route; /v1/models is free and answers once the server is up (§4).
  lmstudio: OPENAI_GENERIC,
};

/** The quirks for a configured provider; `custom` ids get the conservative defaults of their wire type. */
export function quirksFor(kind: ProviderKind, wire: WireType): ServerQuirks {
  if (kind !== 'custom') return SERVER_QUIRKS[kind];
  return wire === 'ollama' ? OLLAMA : OPENAI_GENERIC;
}
