// fetchModel: before a managed vLLM spawn, make sure the hub model it names is complete in the Hugging
// Face cache, so vLLM starts with HF_HUB_OFFLINE=1 and never downloads on its own (no progress, no
// check). A local directory or a complete cache entry: nothing to do. Otherwise ask the hub first
// (404 -> MODEL_NOT_FOUND with did-you-mean, 401/403 -> AUTH_FAILED, silence -> unreachable), refuse
// when airgapped or models.allow_download is false (MODEL_NOT_FOUND with the pre-stage steps), then pull
// with progress: PULL_PROGRESS per chunk, the current file and its bytes in `status`.
import { stat } from 'node:fs/promises';
import { hubEnv, isRepoId, preflightHubModel, type HubPolicy } from '../adapters/index.js';
import type { ServiceRef } from './contracts.js';
import type { ActorDeps } from './deps.js';
import type { ActorEvent } from './events.js';
import { pullHubModel, type HubPullProgress } from './hf-pull.js';
import { localPath, revisionOf } from './vllm-model.js';

/** Does this provider's start fetch a hub model first? vLLM with a model set (decided by config alone). */
export function fetchesModel(ref: ServiceRef): boolean {
  return ref.provider.kind === 'vllm' && ref.provider.model !== undefined;
}

function hubPolicy(ref: ServiceRef): HubPolicy {
  if (ref.mode === 'airgapped') return 'airgapped';
  return ref.allowDownload === false ? 'downloads-off' : 'allowed';
}

const MB = 1e6;
const PROGRESS_EVERY_MS = 200;
/** The status line of a pull event: the file and how far it is, e.g. `model.safetensors 12.0/300.0 MB`. */
export function pullStatus(p: HubPullProgress): string {
  return `${p.file} ${(p.fileCompleted / MB).toFixed(1)}/${(p.fileTotal / MB).toFixed(1)} MB`;
}

export interface FetchResult {
  /** What was done: nothing (local dir, not a hub id, already cached) or a pull of `downloaded` bytes. */
  kind: 'local' | 'cached' | 'pulled';
  downloaded: number;
}

export async function fetchVllmModel(
  ref: ServiceRef,
  deps: Pick<ActorDeps, 'env' | 'clock'>,
  opts: { signal?: AbortSignal; onProgress?: (event: Extract<ActorEvent, { type: 'PULL_PROGRESS' }>) => void } = {},
): Promise<FetchResult> {
  const model = ref.provider.model;
  // A directory, or a name that is no hub id: buildLaunch checks those (checkVllmModel) with their own errors.
  if (!fetchesModel(ref) || model === undefined || !isRepoId(model)) return { kind: 'local', downloaded: 0 };
  if (
    await stat(localPath(model)).then(
      (s) => s.isDirectory(),
      () => false,
    )
  )
    return { kind: 'local', downloaded: 0 };
  const hub = hubEnv(deps.env);
  const revision = revisionOf(ref.provider.args);
  const signal = opts.signal;
  const found = await preflightHubModel(hub, model, {
    revision,
    policy: hubPolicy(ref),
    ...(signal ? { signal } : {}),
  });
  if (found.kind === 'cached') return { kind: 'cached', downloaded: 0 };
  const onProgress = opts.onProgress;
  // One event per chunk would be thousands a second; the machine needs a few, and each file's end.
  let last = Number.NEGATIVE_INFINITY;
  const report = (p: HubPullProgress): void => {
    const now = deps.clock.now();
    if (now - last < PROGRESS_EVERY_MS && p.fileCompleted < p.fileTotal) return;
    last = now;
    onProgress?.({
      type: 'PULL_PROGRESS',
      status: pullStatus(p),
      completed: p.completed,
      total: p.total,
      bytesPerSecond: p.bytesPerSecond,
    });
  };
  const result = await pullHubModel(hub, model, {
    revision,
    ...(signal ? { signal } : {}),
    onProgress: report,
  });
  return { kind: 'pulled', downloaded: result.downloaded };
}
