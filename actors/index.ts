// The public face of actors/: the contract types and the XState logic for each contract name,
// ready for `serviceMachine.provide({ actors: createActorImplementations(deps) })`.
import { fromCallback, fromPromise, type EventObject } from 'xstate';
import type { ActorContracts, ServiceRef } from './contracts.js';
import type { ActorEvent, DetectResult, ModelCheckResult } from './events.js';
import { resolveDeps, type ActorDeps } from './deps.js';
import { detectService } from './detect.js';
import { spawnServer, type SpawnResult } from './server-process.js';
import { watchProcess } from './watch-process.js';
import { watchLog } from './watch-log.js';
import { healthPoller } from './health-poller.js';
import { checkModel } from './model.js';
import { pullModel } from './pull-model.js';
import { stopServer } from './stop-server.js';
import { checkGpus } from './gpu-check.js';
import { watchGpus } from './gpu-watch.js';
import type { GpuInfo } from './gpu-probe.js';
import { fetchVllmModel, type FetchResult } from './vllm-fetch.js';

export type * from './events.js';
export type * from './contracts.js';
export type { ActorDeps, Clock, CreateAdapter } from './deps.js';
export { adapterFactory, realClock, resolveDeps } from './deps.js';
// The same operations as plain async functions, for callers outside a machine (e.g. stop_on_exit).
export { detectService } from './detect.js';
export { spawnServer as spawnServerProcess } from './server-process.js';
export type { SpawnResult } from './server-process.js';
export { stopServer as stopServerProcess } from './stop-server.js';
export { settleCleanups } from './terminate-child.js';
export type { StopInput } from './stop-server.js';
export { checkModel as checkModelPresence } from './model.js';
export {
  serverKey,
  pidFilePath,
  logFilePath,
  lockFilePath,
  readPidFile,
  readOwnedPidFile,
  isOurProcess,
} from './state-dir.js';
export type { PidFile, ServerAddress } from './state-dir.js';
export { acquireLock, acquireFileLock, withLock } from './lock.js';
export { pullHubModel, type HubPullOptions, type HubPullProgress, type HubPullResult } from './hf-pull.js';
export { hubDownloadRefusal } from './hf-download-refusal.js';
export { selectFiles, type WeightsFormat } from './hf-select.js';
export { isPortFree, findPortHolder } from './port.js';
export { processStamp, stillRuns, pgrpOf, type ProcessStamp } from './proc.js';
export { availableRamBytes } from './memory-probe.js';
export type { PortHolder } from './port.js';
export { buildLaunch, launchRefusal } from './argv.js';
export { logTail } from './log-file.js';
export { serverFacts, type ServerFacts } from './server-facts.js';
export { probeGpus, parseGpuCsv, parseComputeApps, visibleGpus } from './gpu-probe.js';
export type { GpuInfo, GpuProbe, GpuProcess } from './gpu-probe.js';
export {
  checksGpus,
  gpuRefusal,
  gpuFault,
  gpusInUse,
  unreadableGpus,
  DEFAULT_MEMORY_UTILIZATION,
} from './gpu-check.js';
export { fetchesModel, fetchVllmModel, pullStatus, type FetchResult } from './vllm-fetch.js';
export { latestLoadProgress } from './load-progress.js';
export { runLog } from './watch-log.js';
export type { LoadPhase, LoadProgress } from './load-progress.js';

/** Builds every actor of the contract over the given seams (real ones by default). */
export function createActorImplementations(partial: Partial<ActorDeps> = {}) {
  const deps = resolveDeps(partial);
  return {
    detect: fromPromise<DetectResult, ActorContracts['detect']['input']>(({ input, signal }) =>
      detectService(input, deps, { signal }),
    ),
    spawnServer: fromPromise<SpawnResult, ActorContracts['spawnServer']['input']>(({ input, signal, self }) =>
      spawnServer(input, deps, {
        signal,
        // A promise actor has no sendBack; this is what fromCallback's does. Not after a cancel: the
        // parent has moved on, and the cancelled spawn kills the child itself.
        onSpawned: (pid) => {
          if (!signal.aborted) self._parent?.send({ type: 'PROCESS_SPAWNED', pid } satisfies ActorEvent);
        },
      }),
    ),
    watchProcess: fromCallback<EventObject, ActorContracts['watchProcess']['input']>(({ input, sendBack }) =>
      watchProcess(input, deps, sendBack),
    ),
    watchLog: fromCallback<EventObject, ActorContracts['watchLog']['input']>(({ input, sendBack }) =>
      watchLog(input, deps, sendBack),
    ),
    healthPoller: fromCallback<EventObject, ActorContracts['healthPoller']['input']>(({ input, sendBack }) =>
      healthPoller(input, deps, sendBack),
    ),
    checkGpus: fromPromise<{ gpus: GpuInfo[] }, ActorContracts['checkGpus']['input']>(({ input, signal }) =>
      checkGpus(input, deps, { signal }),
    ),
    fetchModel: fromPromise<FetchResult, ActorContracts['fetchModel']['input']>(({ input, signal, self }) =>
      fetchVllmModel(input, deps, {
        signal,
        onProgress: (event) => {
          if (!signal.aborted) self._parent?.send(event);
        },
      }),
    ),
    watchGpus: fromCallback<EventObject, ActorContracts['watchGpus']['input']>(({ input, sendBack }) =>
      watchGpus(input, deps, sendBack),
    ),
    checkModel: fromPromise<ModelCheckResult, ActorContracts['checkModel']['input']>(({ input, signal }) =>
      checkModel(input, deps, { signal }),
    ),
    pullModel: fromCallback<EventObject, ActorContracts['pullModel']['input']>(({ input, sendBack }) =>
      pullModel(input, deps, sendBack),
    ),
    stopServer: fromPromise<ActorContracts['stopServer']['output'], ActorContracts['stopServer']['input']>(
      ({ input, signal }) => stopServer(input, deps, { signal }),
    ),
  };
}

export type ActorImplementations = ReturnType<typeof createActorImplementations>;

/** Real timers, the wired adapter factory, process.env. */
export const defaultActors: ActorImplementations = createActorImplementations();

export type { ServiceRef };
