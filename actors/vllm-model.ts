// What vLLM will load, checked before it is spawned (network-free: the cache and the disk only):
//   - a local directory must hold config.json or params.json and weights, or vLLM dies with a traceback;
//   - a hub id complete in the Hugging Face cache runs with HF_HUB_OFFLINE=1 (vLLM then never calls the hub);
//   - airgapped, a hub id not complete in the cache is MODEL_NOT_FOUND with the pre-stage steps.
// Asking the hub about an id that is not cached (404 / gated / unreachable) and pulling it is the
// fetchVllmModel step the service machine runs before this (vllm-fetch.ts).
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { cachedModel, checkModelDir, hubEnv, isRepoId } from '../adapters/index.js';
import { modelNotStaged } from '../adapters/hf-errors.js';
import { AcodeError, type OperatingMode, type ProviderConfig } from '../config/index.js';

export function localPath(model: string): string {
  if (model === '~' || model.startsWith('~/')) return join(homedir(), model.slice(1));
  return isAbsolute(model) ? model : resolve(model);
}

/** vLLM's --revision from the provider's extra args, else main. */
export function revisionOf(args: readonly string[]): string {
  const i = args.indexOf('--revision');
  if (i >= 0 && args[i + 1]) return args[i + 1] as string;
  return args.find((a) => a.startsWith('--revision='))?.slice('--revision='.length) ?? 'main';
}

/** The extra env vLLM should get for this model, or a typed error instead of a doomed spawn. */
export async function checkVllmModel(
  provider: ProviderConfig,
  mode: OperatingMode,
  env: NodeJS.ProcessEnv,
): Promise<NodeJS.ProcessEnv> {
  const model = provider.model;
  if (provider.kind !== 'vllm' || !model) return {};
  const path = localPath(model);
  // vLLM itself takes the model as a directory when one exists at that path, before any hub lookup.
  if (
    await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    )
  ) {
    const found = await checkModelDir(path);
    if (found.complete) return {};
    throw new AcodeError(
      'MODEL_NOT_FOUND',
      `${provider.id}: the model directory ${path} lacks ${found.missing.join(', ')}.`,
      `Point providers.${provider.id}.model at a directory with config.json (or params.json for Mistral) and the weights, or at a Hugging Face id (org/name).`,
      { details: { provider: provider.id, model, path, missing: found.missing } },
    );
  }
  if (!isRepoId(model)) {
    throw new AcodeError(
      'MODEL_NOT_FOUND',
      `${provider.id}: ${model} is neither a model directory nor a Hugging Face id (org/name).`,
      `Set providers.${provider.id}.model to a directory with config.json and weights, or to an id such as Qwen/Qwen2.5-0.5B-Instruct.`,
      { details: { provider: provider.id, model, path } },
    );
  }
  const hub = hubEnv(env);
  const cache = await cachedModel(hub.cacheDir, model, revisionOf(provider.args));
  if (cache.complete) return { HF_HUB_OFFLINE: '1' };
  if (mode === 'airgapped') throw modelNotStaged(model, cache, 'airgapped mode never contacts the hub');
  return {};
}
