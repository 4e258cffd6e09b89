// detect: what is on the configured port right now? The pid file (checked against /proc) says
// whether it is ours; one health probe says whether it answers. At most one HTTP request.
import { hostUnresolved, isLoopbackHost } from '../adapters/index.js';
import { canonicalHost } from './argv.js';
import type { ServiceRef } from './contracts.js';
import type { DetectResult } from './events.js';
import type { ActorDeps } from './deps.js';
import { describeHolder, findPortHolder, isPortFree } from './port.js';
import { readOwnedPidFile } from './state-dir.js';

export async function detectService(
  ref: ServiceRef,
  deps: ActorDeps,
  options: { signal?: AbortSignal } = {},
): Promise<DetectResult> {
  const result = await detect(ref, deps, options);
  // `status` detects every provider on every call: routine results are debug; a stranger on our port is news.
  const level = result.kind === 'foreign' ? 'info' : 'debug';
  deps.log[level]({ provider: ref.provider.id, port: ref.provider.port, ...result }, 'detected');
  return result;
}

async function detect(ref: ServiceRef, deps: ActorDeps, { signal }: { signal?: AbortSignal }): Promise<DetectResult> {
  const { provider } = ref;
  const adapter = deps.createAdapter(provider, { mode: ref.mode });
  let health;
  try {
    health = await adapter.health(signal ? { signal } : {});
  } finally {
    await adapter.close().catch(() => undefined);
  }
  signal?.throwIfAborted();
  // The name in base_url does not resolve: no server was reached, so there is no port holder to look for.
  if (health.code === 'HOST_UNRESOLVED') throw hostUnresolved({ provider: provider.id, url: provider.baseUrl });
  // Read after the probe, not before: another acode process may have spawned the server meanwhile,
  // and a server that answered oddly while booting is that process's, not a stranger. The record is
  // keyed by kind, host and port, so a server of ours on another port never answers for this one.
  const ownedPidNow = async (): Promise<number | undefined> => (await readOwnedPidFile(ref.stateDir, provider))?.pid;
  const ownedPid = await ownedPidNow();
  const mine = ownedPid === undefined ? {} : { ownedPid };
  if (health.status === 'ready') return { kind: 'running', ...mine };
  if (health.status === 'starting') return { kind: 'loading', ...mine };
  // Our live process that does not answer yet is loading (vLLM refuses connections until loaded).
  if (ownedPid !== undefined) return { kind: 'loading', ownedPid };
  // Before calling the holder a stranger, look at the pid file once more: a sibling acode that spawned
  // the server after our first look wrote it within milliseconds of the spawn, long before the server
  // could bind (seen as a flaky PORT_IN_USE in the concurrent-start chaos test on a loaded machine).
  const foreign = async (holder: string): Promise<DetectResult> => {
    const sibling = await ownedPidNow();
    return sibling === undefined ? { kind: 'foreign', holder } : { kind: 'loading', ownedPid: sibling };
  };
  if (health.status === 'error') {
    const holder = await findPortHolder(provider.port, signal ? { signal } : {});
    return foreign(`${describeHolder(holder)}${health.detail ? `: ${health.detail}` : ''}`);
  }
  const host = provider.host || '127.0.0.1';
  if (!isLoopbackHost(host)) return { kind: 'absent' };
  const bindHost = canonicalHost(host);
  if (await isPortFree(provider.port, bindHost)) return { kind: 'absent' };
  // Bound but not answering: something holds the port that is not our server (or a stranger's loading vLLM).
  const holder = await findPortHolder(provider.port, signal ? { signal } : {});
  deps.log.debug(
    { provider: provider.id, port: provider.port, holder: describeHolder(holder) },
    'port busy but not answering',
  );
  if (holder === undefined && (await freesWithin(provider.port, bindHost, deps, signal))) return { kind: 'absent' };
  return foreign(describeHolder(holder));
}

const TRANSIENT_CHECKS = 4;
const TRANSIENT_STEP_MS = 50;

// Busy, yet nothing listens and no connection holds it: a bind that lasts a moment, such as a sibling
// acode's own free-port check or vLLM's bind-and-close before it loads the model. Two acode processes
// checking at once saw each other as "an unknown process" (concurrent-start chaos test). Such a port
// is free again within milliseconds; a real holder we cannot name (another user's process) is not.
async function freesWithin(
  port: number,
  host: string,
  deps: ActorDeps,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  for (let i = 0; i < TRANSIENT_CHECKS; i++) {
    await new Promise<void>((resolve) => deps.clock.setTimeout(resolve, TRANSIENT_STEP_MS));
    signal?.throwIfAborted();
    if (await isPortFree(port, host)) return true;
  }
  return false;
}
