// checkModel: is the configured model there? Ollama: its local tags. OpenAI-compatible servers:
// /v1/models lists what they serve. llama-server serves exactly the one file it loaded.
import { isAcodeError } from '../config/index.js';
import type { ModelInfo } from '../adapters/index.js';
import type { ServiceRef } from './contracts.js';
import type { ModelCheckResult } from './events.js';
import type { ActorDeps } from './deps.js';
import { readOwnedPidFile } from './state-dir.js';

/** Ollama names without a tag mean `:latest`. */
function sameOllamaModel(a: string, b: string): boolean {
  const norm = (name: string) => (name.includes(':') ? name : `${name}:latest`);
  return norm(a) === norm(b);
}

function listed(ref: ServiceRef, models: ModelInfo[], wanted: string): boolean {
  const { kind } = ref.provider;
  if (kind === 'ollama') return models.some((m) => sameOllamaModel(m.id, wanted));
  // llama-server's id is the -m path or the alias; with exactly one model there is nothing to pick.
  if (kind === 'llamacpp') return models.length > 0;
  return models.some((m) => m.id === wanted);
}

/**
 * llama-server lists whatever file it loaded, under its own id: for one acode started, the argv in its
 * pid file says which (`-m <model>`), so a config naming another file is caught here.
 */
async function launchedWithOther(ref: ServiceRef, wanted: string): Promise<boolean> {
  if (ref.provider.kind !== 'llamacpp') return false;
  const args = (await readOwnedPidFile(ref.stateDir, ref.provider))?.args ?? [];
  const at = args.indexOf('-m');
  return at >= 0 && args[at + 1] !== wanted;
}

export async function checkModel(
  ref: ServiceRef,
  deps: ActorDeps,
  { signal }: { signal?: AbortSignal } = {},
): Promise<ModelCheckResult> {
  const wanted = ref.provider.model;
  // Nothing configured: the server's default is what we get.
  if (!wanted) return { kind: 'ready' };
  const adapter = deps.createAdapter(ref.provider, { mode: ref.mode });
  try {
    const models = await adapter.listModels(signal ? { signal } : {});
    if (listed(ref, models, wanted))
      return (await launchedWithOther(ref, wanted)) ? { kind: 'absent' } : { kind: 'ready' };
    if (ref.provider.kind !== 'ollama') return { kind: 'absent' };
    // Ollama may know it under another spelling (digest, namespace): ask /api/show once.
    try {
      await adapter.modelInfo(wanted, signal ? { signal } : {});
      return { kind: 'ready' };
    } catch (error) {
      if (isAcodeError(error) && error.code === 'MODEL_NOT_FOUND') return { kind: 'absent' };
      throw error;
    }
  } finally {
    await adapter.close().catch(() => undefined);
  }
}
