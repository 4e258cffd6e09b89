// detect: what is on the configured port right now? The pid file (checked against /proc) says
// whether it is ours; one health probe says whether it answers. At most one HTTP request.
import type { ServiceRef } from './contracts.js';
import type { DetectResult } from './events.js';
import type { ActorDeps } from './deps.js';
import { describeHolder, findPortHolder, isPortFree } from './port.js';
import { readOwnedPidFile } from './state-dir.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

export async function detectService(ref: ServiceRef, deps: ActorDeps, { signal }: { signal?: AbortSignal } = {}): Promise<DetectResult> {
  const { provider } = ref;
  const adapter = deps.createAdapter(provider, { mode: ref.mode });
  let health;
  try {
    health = await adapter.health(signal ? { signal } : {});
  } finally {
    await adapter.close().catch(() => undefined);
  }
  signal?.throwIfAborted();
  // Read after the probe, not before: another acode process may have spawned the server meanwhile,
  // and a server that answered oddly while booting is that process's, not a stranger.
  const owned = await readOwnedPidFile(ref.stateDir, provider.id);
  // A server of ours on another port (config changed since) does not answer for this one.
  const ownedPid = owned && owned.port === provider.port ? owned.pid : undefined;
  const mine = ownedPid === undefined ? {} : { ownedPid };
  if (health.status === 'ready') return { kind: 'running', ...mine };
  if (health.status === 'starting') return { kind: 'loading', ...mine };
  // Our live process that does not answer yet is loading (vLLM refuses connections until loaded).
  if (ownedPid !== undefined) return { kind: 'loading', ownedPid };
  if (health.status === 'error') {
    const holder = await findPortHolder(provider.port, signal ? { signal } : {});
    return { kind: 'foreign', holder: `${describeHolder(holder)}${health.detail ? `: ${health.detail}` : ''}` };
  }
  const host = provider.host || '127.0.0.1';
  if (!LOOPBACK.test(host)) return { kind: 'absent' };
  if (await isPortFree(provider.port, host.replace(/^\[|\]$/g, '').replace('localhost', '127.0.0.1'))) return { kind: 'absent' };
  // Bound but not answering: something holds the port that is not our server (or a stranger's loading vLLM).
  return { kind: 'foreign', holder: describeHolder(await findPortHolder(provider.port, signal ? { signal } : {})) };
}
