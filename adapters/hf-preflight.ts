// Before vLLM starts with a hub model id: is it complete in the cache (then vLLM runs with HF_HUB_OFFLINE=1),
// may we ask the hub (not in airgapped mode, not with HF_HUB_OFFLINE, not when downloads are off), and
// does the hub have it and let us in? Turns the hub's 404 / 401 / 403 / silence into typed errors before a
// vLLM process is spawned to fail with a Python traceback.
import { cachedModel, type CachedModel } from './hf-cache.js';
import { HubClient, type HubModelInfo } from './hf-client.js';
import type { HubEnv } from './hf-env.js';
import { hubUnreachable, modelNotStaged } from './hf-errors.js';

export type HubPolicy = 'allowed' | 'airgapped' | 'downloads-off';

export type Preflight =
  { kind: 'cached'; cache: CachedModel } | { kind: 'on-hub'; cache: CachedModel; info: HubModelInfo };

const WHY_NOT: Record<Exclude<HubPolicy, 'allowed'>, string> = {
  airgapped: 'airgapped mode never contacts the hub',
  'downloads-off': 'models.allow_download is false',
};

export async function preflightHubModel(
  hub: HubEnv,
  repoId: string,
  opts: { revision?: string; policy: HubPolicy; signal?: AbortSignal },
): Promise<Preflight> {
  const revision = opts.revision ?? 'main';
  const cache = await cachedModel(hub.cacheDir, repoId, revision);
  if (cache.complete) return { kind: 'cached', cache };
  if (opts.policy !== 'allowed') throw modelNotStaged(repoId, cache, WHY_NOT[opts.policy]);
  if (hub.offline) throw modelNotStaged(repoId, cache, 'HF_HUB_OFFLINE is set, so the hub may not be asked');
  const client = new HubClient(hub);
  try {
    const info = await client.modelInfo(repoId, revision, opts.signal ? { signal: opts.signal } : {});
    // A gated repo shows its info to anyone and refuses its files: ask for one to know before a download.
    if (info.gated || info.private) {
      const probe =
        info.files.find((f) => f.name === 'config.json' || f.name === 'params.json')?.name ?? info.files[0]?.name;
      if (probe) await client.checkAccess(repoId, info.commit || revision, probe, opts.signal);
    }
    return { kind: 'on-hub', cache, info };
  } catch (err) {
    throw hubUnreachable(client.context(repoId), err, cache, opts.signal);
  } finally {
    await client.close();
  }
}
