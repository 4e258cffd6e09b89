// The Hugging Face cache as vLLM sees it: a model is local when $HF_HOME/hub/models--<org>--<name> has a
// loadable snapshot for refs/main.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

function hfHome(env: NodeJS.ProcessEnv): string {
  return env.HF_HOME && env.HF_HOME !== '' ? env.HF_HOME : join(homedir(), '.cache', 'huggingface');
}

function cacheDir(env: NodeJS.ProcessEnv, repoId: string): string {
  return join(hfHome(env), 'hub', `models--${repoId.split('/').join('--')}`);
}

/**
 * Is the model loadable from the cache, as huggingface_hub resolves it offline: refs/main names a commit
 * whose snapshot holds config.json (or params.json) and a weights file that can be read (a dangling
 * snapshot link does not count).
 */
export function isCached(env: NodeJS.ProcessEnv, repoId: string): boolean {
  const folder = cacheDir(env, repoId);
  let commit: string;
  try {
    commit = readFileSync(join(folder, 'refs', 'main'), 'utf8').trim();
  } catch {
    return false;
  }
  const snap = join(folder, 'snapshots', commit);
  const readable = (name: string): boolean => {
    try {
      return statSync(join(snap, name)).isFile();
    } catch {
      return false;
    }
  };
  let names: string[];
  try {
    names = readdirSync(snap);
  } catch {
    return false;
  }
  return (
    (readable('config.json') || readable('params.json')) &&
    names.some((n) => /\.(safetensors|bin|pt)$/.test(n) && readable(n))
  );
}

/** Writes the minimum a later offline start recognises as "in the cache"; `weights` adds a weights file, which makes it complete for acode's check. */
export function writeCache(env: NodeJS.ProcessEnv, repoId: string, opts: { weights?: boolean } = {}): void {
  const snap = join(cacheDir(env, repoId), 'snapshots', 'acodefake');
  mkdirSync(snap, { recursive: true });
  mkdirSync(join(cacheDir(env, repoId), 'refs'), { recursive: true });
  writeFileSync(join(cacheDir(env, repoId), 'refs', 'main'), 'acodefake');
  writeFileSync(
    join(snap, 'config.json'),
    JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama' }),
  );
  if (opts.weights) writeFileSync(join(snap, 'model.safetensors'), 'weights');
}

export function isLocalModelDir(path: string): boolean {
  try {
    return (
      statSync(path).isDirectory() && (existsSync(join(path, 'config.json')) || existsSync(join(path, 'params.json')))
    );
  } catch {
    return false;
  }
}

/** HF repo ids look like `org/name` (no tag, no scheme). */
export function looksLikeRepoId(name: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(name);
}
