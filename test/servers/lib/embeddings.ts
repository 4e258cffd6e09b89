// Deterministic embeddings for the stand-ins: a unit vector derived from model and text (equal inputs
// embed equally, different ones differ), and the OpenAI-compatible /v1/embeddings answer vLLM and
// llama-server give (`data[].embedding` in input order, `usage`), float or base64 as asked.

import { hash32, promptTokenCount, seededRandom } from './tokens.js';

export function embedding(model: string, text: string, dims: number): number[] {
  const rnd = seededRandom(hash32(`embed\u0000${model}\u0000${text}`));
  const v = Array.from({ length: dims }, () => rnd() * 2 - 1);
  const norm = Math.sqrt(v.reduce((n, x) => n + x * x, 0)) || 1;
  return v.map((x) => Math.round((x / norm) * 1e8) / 1e8);
}

/** Whether a model name is an embedding model (the same guess the Ollama stand-in makes). */
export function isEmbeddingModel(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.includes('embed') || lower.includes('minilm') || lower.includes('bge-');
}

/** The inputs of an OpenAI /v1/embeddings body (token ids are text too here: their JSON), or null when malformed. */
export function openAiEmbeddingInputs(input: unknown): string[] | null {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return null;
  if (input.every((x) => typeof x === 'string')) return input;
  if (input.every((x) => typeof x === 'number')) return [JSON.stringify(input)];
  if (input.every((x) => Array.isArray(x) && x.every((t) => typeof t === 'number')))
    return input.map((x) => JSON.stringify(x));
  return null;
}

export function openAiEmbeddingBody(
  model: string,
  vectorsOf: string,
  inputs: string[],
  dims: number,
  base64: boolean,
): Record<string, unknown> {
  const tokens = inputs.reduce((n, t) => n + promptTokenCount(t) - 4 + 1, 0);
  return {
    object: 'list',
    data: inputs.map((t, index) => {
      const v = embedding(vectorsOf, t, dims);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
      };
    }),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
