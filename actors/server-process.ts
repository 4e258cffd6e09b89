// spawnServer: under the server's lock, re-detect (another acode may have started it), check the
// port, spawn the server detached with its log file, write the pid file. The child outlives the CLI,
// unless the spawn is cancelled: then it kills the child it made.
import { AcodeError } from '../config/index.js';
import type { SpawnInput } from './contracts.js';
import type { ActorDeps } from './deps.js';
import { buildLaunch, loopbackHost } from './argv.js';
import { detectService } from './detect.js';
import { withLock } from './lock.js';
import { openServerLog } from './log-file.js';
import { findPortHolder, isPortFree, portInUseError } from './port.js';
import { registerChild } from './process-table.js';
import { terminateChild, trackCleanup } from './terminate-child.js';
import { logFilePath, removePidFile, writePidFile } from './state-dir.js';

export interface SpawnResult {
  pid?: number;
  adopted: boolean;
  /** Adopted through our own pid file: started by acode, so stoppable by acode. */
  owned?: boolean;
}

export interface SpawnOptions {
  signal?: AbortSignal;
  /** Called with the pid as soon as the child exists, before the pid file is written: it is ours from then on. */
  onSpawned?: (pid: number) => void;
}

// A cancelled spawn kills what it made; a server still booting has no work to finish, so the grace is short.
const CANCELLED_SPAWN_GRACE_MS = 3_000;

export async function spawnServer(
  ref: SpawnInput,
  deps: ActorDeps,
  { signal, onSpawned }: SpawnOptions = {},
): Promise<SpawnResult> {
  const { provider, stateDir } = ref;
  // Defence in depth: the machine's policy already never spawns in airgapped mode.
  if (ref.mode === 'airgapped') {
    throw new AcodeError(
      'AIRGAP_VIOLATION',
      `${provider.id}: airgapped mode does not start servers.`,
      `Start it yourself and set providers.${provider.id}.lifecycle.mode: monitored (or external), or leave airgapped mode.`,
      { details: { provider: provider.id } },
    );
  }
  // Before the lock: a missing binary or a non-loopback host fails fast, whoever holds the lock.
  const launch = await buildLaunch(provider, ref.mode, deps.env);
  const log = deps.log.child({ provider: provider.id });
  return withLock(
    stateDir,
    provider,
    async () => {
      const found = await detectService(ref, deps, signal ? { signal } : {});
      if (found.kind === 'running' || found.kind === 'loading') {
        log.info({ serverPid: found.ownedPid, port: provider.port }, 'adopted a server another acode process started');
        return found.ownedPid === undefined ? { adopted: true } : { pid: found.ownedPid, adopted: true, owned: true };
      }
      const host = loopbackHost(provider, ref.mode);
      if (found.kind === 'foreign' || !(await portFreesSoon(provider.port, host, deps, signal))) {
        const holder = await findPortHolder(provider.port, signal ? { signal } : {});
        log.warn({ port: provider.port, holderPid: holder?.pid, holder: holder?.command }, 'port in use: not starting');
        throw portInUseError(provider, holder);
      }
      log.debug({ port: provider.port, host }, 'port free');
      signal?.throwIfAborted();
      return spawnDetached(ref, launch, deps, { ...(signal ? { signal } : {}), ...(onSpawned ? { onSpawned } : {}) });
    },
    { timeoutMs: deps.lockTimeoutMs, log, ...(signal ? { signal } : {}) },
  );
}

// A server killed a moment ago can hold its port for a few ms after /proc shows it dead (its other
// threads are still closing its files), so a busy port gets a short grace before it counts as taken.
const PORT_RELEASE_GRACE_MS = 2_000;
const PORT_RELEASE_STEP_MS = 50;

async function portFreesSoon(
  port: number,
  host: string,
  deps: ActorDeps,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  for (let waited = 0; ; waited += PORT_RELEASE_STEP_MS) {
    if (await isPortFree(port, host)) return true;
    if (waited >= PORT_RELEASE_GRACE_MS) return false;
    await new Promise<void>((resolve) => deps.clock.setTimeout(resolve, PORT_RELEASE_STEP_MS));
    signal?.throwIfAborted();
  }
}

async function spawnDetached(
  ref: SpawnInput,
  launch: Awaited<ReturnType<typeof buildLaunch>>,
  deps: ActorDeps,
  { signal, onSpawned }: SpawnOptions,
): Promise<SpawnResult> {
  const { provider, stateDir } = ref;
  const logFile = logFilePath(stateDir, provider);
  const log = await openServerLog(logFile, {
    banner: `[acode] ${new Date().toISOString()} starting ${launch.binary} for ${provider.id} on port ${provider.port}`,
  });
  // Loaded here, not at module load: most commands never spawn, and execa costs ~75 ms to import.
  const { execa } = await import('execa');
  let child;
  try {
    // The last await before the spawn is behind us: a cancel that came meanwhile spawns nothing.
    signal?.throwIfAborted();
    child = execa(launch.binaryPath, launch.args, {
      env: launch.env,
      extendEnv: false,
      // Own process group (stop signals the whole group) and no tie to our lifetime.
      detached: true,
      cleanup: false,
      reject: false,
      // The child writes the log through its own fd: no pipe through us that would break at our exit.
      stdin: 'ignore',
      // execa passes an integer fd straight to spawn(); its types only list 3..9, hence the cast.
      stdout: log.fd as 3,
      stderr: log.fd as 3,
    });
  } finally {
    if (child?.pid === undefined) await log.close();
  }
  const pid = child.pid;
  if (pid === undefined) {
    const result = await child;
    throw new AcodeError(
      'START_FAILED',
      `${provider.id}: could not start ${launch.binary}: ${result.originalMessage ?? result.shortMessage}`,
      `Check that ${launch.binaryPath} is an executable for this machine, or set providers.${provider.id}.binary.`,
      { details: { provider: provider.id, binary: launch.binary } },
    );
  }
  // From here to the abort listener, nothing awaits: an exit at once (a wrong binary, /bin/false) is
  // seen, the machine owns the pid before anything can stop it, and a cancel always finds its clean-up.
  const entry = registerChild(child, { pid, providerId: provider.id, logFile, logOffset: log.offset }, (exited) => {
    void removePidFile(stateDir, provider, exited.pid).catch(() => undefined);
  });
  onSpawned?.(pid);
  const restarts = ref.restarts?.length ?? 0;
  deps.log.info(
    {
      provider: provider.id,
      serverPid: pid,
      binary: launch.binaryPath,
      args: launch.args,
      port: provider.port,
      logFile,
      ...(restarts > 0 ? { restarts } : {}),
    },
    restarts > 0 ? 'restarted server' : 'spawned server',
  );
  // The child has its own copy of the log fd; ours closes, then the pid file records the child.
  const recorded = log.close().then(() =>
    writePidFile(stateDir, provider, {
      pid,
      binary: launch.binaryPath,
      logOffset: log.offset,
      args: launch.args,
      ...(ref.restarts && ref.restarts.length > 0
        ? { restarts: ref.restarts.map((t) => new Date(t).toISOString()) }
        : {}),
    }),
  );
  // Cancelled: kill at once (not after the write), drop the pid file once it is written, and keep the
  // process alive until that is done (trackCleanup: the CLI's exit path waits for it).
  let cleanup: Promise<void> | undefined;
  const cancel = (): Promise<void> =>
    (cleanup ??= trackCleanup(
      (async () => {
        deps.log.info({ provider: provider.id, serverPid: pid }, 'spawn cancelled: stopping the child');
        await terminateChild(entry, { graceMs: CANCELLED_SPAWN_GRACE_MS, killWaitMs: deps.killWaitMs, log: deps.log });
        await recorded.catch(() => undefined);
        await removePidFile(stateDir, provider, pid);
      })(),
    ));
  // The listener's copy only starts the clean-up; its failure is rethrown by the `await cancel()` below.
  const onAbort = (): void => void cancel().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  child.unref();
  // execa's promise settles on exit; with reject: false it never rejects, but keep it from holding a reference.
  void child.catch(() => undefined);
  try {
    await recorded;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) {
    await cancel();
    signal.throwIfAborted();
  }
  // Exited while the file was written: the exit's own removal may have run before the write.
  if (entry.exit) await removePidFile(stateDir, provider, pid);
  return { pid, adopted: false };
}
