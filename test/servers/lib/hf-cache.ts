// The Hugging Face cache as vLLM sees it: a model is local when $HF_HOME/hub/models--<org>--<name> exists.

import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

function hfHome(env: NodeJS.ProcessEnv): string {
  return env.HF_HOME && env.HF_HOME !== '' ? env.HF_HOME : join(homedir(), '.cache', 'huggingface');
}

function cacheDir(env: NodeJS.ProcessEnv, repoId: string): string {
  return join(hfHome(env), 'hub', `models--${repoId.split('/').join('--')}`);
}

export function isCached(env: NodeJS.ProcessEnv, repoId: string): boolean {
  return existsSync(cacheDir(env, repoId));
}

/** Writes the minimum a later offline start recognises as "in the cache"; `weights` adds a weights file, which makes it complete for acode's check. */
export function writeCache(env: NodeJS.ProcessEnv, repoId: string, opts: { weights?: boolean } = {}): void {
  const snap = join(cacheDir(env, repoId), 'snapshots', 'acodefake');
  mkdirSync(snap, { recursive: true });
  mkdirSync(join(cacheDir(env, repoId), 'refs'), { recursive: true });
  writeFileSync(join(cacheDir(env, repoId), 'refs', 'main'), 'acodefake');
  writeFileSync(join(snap, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama' }));
  if (opts.weights) writeFileSync(join(snap, 'model.safetensors'), 'weights');
}

export function isLocalModelDir(path: string): boolean {
  try {
    return statSync(path).isDirectory() && (existsSync(join(path, 'config.json')) || existsSync(join(path, 'params.json')));
  } catch {
    return false;
  }
}

/** HF repo ids look like `org/name` (no tag, no scheme). */
export function looksLikeRepoId(name: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(name);
}
