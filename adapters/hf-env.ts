// The Hugging Face hub's own environment, read the way huggingface_hub reads it, so acode downloads to and
// reads from the same cache as vLLM and every other HF tool, and talks only to the hub HF_ENDPOINT names.
import { homedir } from 'node:os';
import { join } from 'node:path';

const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

export interface HubEnv {
  /** HF_ENDPOINT (a mirror) or huggingface.co, without a trailing slash. */
  endpoint: string;
  /** HF_TOKEN; never printed. */
  token: string | undefined;
  /** HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. */
  cacheDir: string;
  /** HF_HUB_OFFLINE set to 1/true/yes/on. */
  offline: boolean;
}

const set = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';
const truthy = (v: string | undefined): boolean =>
  set(v) && ['1', 'on', 'yes', 'true'].includes(v.trim().toLowerCase());

function hfHome(env: Readonly<Record<string, string | undefined>>): string {
  if (set(env.HF_HOME)) return env.HF_HOME;
  const cache = set(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(env.HOME ?? homedir(), '.cache');
  return join(cache, 'huggingface');
}

export function hubEnv(env: Readonly<Record<string, string | undefined>>): HubEnv {
  const cacheDir = set(env.HF_HUB_CACHE)
    ? env.HF_HUB_CACHE
    : set(env.HUGGINGFACE_HUB_CACHE)
      ? env.HUGGINGFACE_HUB_CACHE // the older name huggingface_hub still honours
      : join(hfHome(env), 'hub');
  return {
    endpoint: (set(env.HF_ENDPOINT) ? env.HF_ENDPOINT : DEFAULT_HF_ENDPOINT).replace(/\/+$/, ''),
    token: set(env.HF_TOKEN) ? env.HF_TOKEN.trim() : undefined,
    cacheDir,
    offline: truthy(env.HF_HUB_OFFLINE),
  };
}

/** `org/name`: what the hub calls a repo id (no scheme, no tag, no path beyond one slash). */
export function isRepoId(model: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(model) && !model.startsWith('.') && !model.includes('..');
}
