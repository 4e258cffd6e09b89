// Knobs of the Hugging Face hub stand-in (test/servers/hf-hub.ts), read from ACODE_HUB_* env vars like the
// other stand-ins read ACODE_FAKE_*: an unknown name or a bad value exits 2, so a typo never passes silently.
// A separate prefix because the hub is its own process and the other fakes reject unknown ACODE_FAKE_ names.

import { int, KnobError, list, settingsEnv } from './knobs.js';

export interface HubKnobs {
  /** Repos the hub serves (each with generated config, tokenizer and weights). */
  repos: string[];
  /** Repos that answer 401 (no token) / 403 (wrong token) on their files, as a gated repo does. */
  gated: string[];
  /** Repos that answer 401 everywhere without the token, as a private repo does. */
  private: string[];
  /** The one token the hub accepts for gated and private repos. */
  token: string;
  /** Size of each generated weights file (model.safetensors, pytorch_model.bin). */
  weightBytes: number;
  /** Paces every file body at this many bytes per second. */
  slowBytesPerSecond: number | null;
  /** Cuts the first full-file response of each LFS file after this many bytes (a dropped connection). */
  cutAfterBytes: number | null;
  /** File names whose served bytes are corrupted (the advertised sha256 stays the true one). */
  corrupt: string[];
  /** One JSON line per request (method, path, range, whether a token came). */
  requestLog: string | null;
}

const HUB_KNOB_ENV = {
  repos: 'ACODE_HUB_REPOS',
  gated: 'ACODE_HUB_GATED',
  private: 'ACODE_HUB_PRIVATE',
  token: 'ACODE_HUB_TOKEN',
  weightBytes: 'ACODE_HUB_WEIGHT_BYTES',
  slowBytesPerSecond: 'ACODE_HUB_SLOW_BPS',
  cutAfterBytes: 'ACODE_HUB_CUT_AFTER_BYTES',
  corrupt: 'ACODE_HUB_CORRUPT',
  requestLog: 'ACODE_HUB_REQUEST_LOG',
} as const satisfies Record<keyof HubKnobs, string>;

export const DEFAULT_HUB_KNOBS: HubKnobs = {
  repos: ['acode-test/tiny-llm', 'Qwen/Qwen2.5-0.5B-Instruct'],
  gated: [],
  private: [],
  token: 'hf_acodetesttoken',
  weightBytes: 300_000,
  slowBytesPerSecond: null,
  cutAfterBytes: null,
  corrupt: [],
  requestLog: null,
};

export function parseHubKnobs(env: NodeJS.ProcessEnv): HubKnobs {
  const known = new Set<string>(Object.values(HUB_KNOB_ENV));
  for (const name of Object.keys(env)) {
    if (name.startsWith('ACODE_HUB_') && !known.has(name)) throw new KnobError(`unknown knob ${name}`);
  }
  const k: HubKnobs = { ...DEFAULT_HUB_KNOBS };
  const get = (key: keyof HubKnobs): string | undefined => {
    const v = env[HUB_KNOB_ENV[key]];
    return v === undefined || v === '' ? undefined : v;
  };
  let v: string | undefined;
  if ((v = get('repos'))) k.repos = list(v);
  if ((v = get('gated'))) k.gated = list(v);
  if ((v = get('private'))) k.private = list(v);
  if ((v = get('token'))) k.token = v;
  if ((v = get('weightBytes'))) k.weightBytes = int(HUB_KNOB_ENV.weightBytes, v, 1);
  if ((v = get('slowBytesPerSecond'))) k.slowBytesPerSecond = int(HUB_KNOB_ENV.slowBytesPerSecond, v, 1);
  if ((v = get('cutAfterBytes'))) k.cutAfterBytes = int(HUB_KNOB_ENV.cutAfterBytes, v, 1);
  if ((v = get('corrupt'))) k.corrupt = list(v);
  if ((v = get('requestLog'))) k.requestLog = v;
  return k;
}

export function hubKnobEnv(settings: Partial<HubKnobs>): Record<string, string> {
  return settingsEnv(settings, HUB_KNOB_ENV);
}
