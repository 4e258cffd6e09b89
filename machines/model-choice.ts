// Which provider a requested model (`ask --model`, a gateway request's model) is meant for. A model the
// user named is a model of one provider: a fallback server never gets it (it would 404 on a name from
// another server's catalogue, and the error would blame the fallback), it answers with its own model.
//
// Syntax: `<provider id>/<model>` names the provider when the part before the first "/" is a configured
// provider id (`ollama/llama3.2`, `vllm/Qwen/Qwen2.5-0.5B-Instruct`); anything else (`meta-llama/Llama-2-7b-hf`,
// `hf.co/org/repo`, `llama3.2`) is a model for the selected provider (--provider, else providers.active).
// Provider ids are lower-case, so a Hugging Face org such as "Qwen" never reads as one; a model whose
// first segment equals a configured id is written qualified (`vllm/ollama/...`).
import type { AcodeConfig } from '../config/index.js';

export interface ModelChoice {
  /** The provider the model is for. */
  provider: string;
  model: string;
  /** The user named the provider in the model (`ollama/llama3.2`). */
  qualified: boolean;
}

/** Reads `model` against the configured provider ids; `selected` is --provider (else providers.active). */
export function modelChoice(config: AcodeConfig, model: string, selected: string = config.active): ModelChoice {
  const slash = model.indexOf('/');
  const prefix = slash > 0 ? model.slice(0, slash) : '';
  if (prefix !== '' && config.providers[prefix] !== undefined && slash < model.length - 1) {
    return { provider: prefix, model: model.slice(slash + 1), qualified: true };
  }
  return { provider: selected, model, qualified: false };
}

/** The model to send to `provider`: the chosen one for its provider, else none (its configured model). */
export function modelFor(choice: ModelChoice | undefined, provider: string): string | undefined {
  return choice !== undefined && choice.provider === provider ? choice.model : undefined;
}
