// The names, inputs and outputs of the actor logic the service machine invokes. machines/ refers to
// these by name in setup({ actors }); actors/ implements them; tests swap them with machine.provide().
// Changing a shape here is a change to both sides: keep it small and serialisable.
import type { ProviderConfig, OperatingMode } from '../config/types.js';
import type { DetectResult, ModelCheckResult } from './events.js';
import type { GpuInfo } from './gpu-probe.js';
import type { FetchResult } from './vllm-fetch.js';

/** Everything an actor needs to know about the service it works for. */
export interface ServiceRef {
  provider: ProviderConfig;
  mode: OperatingMode;
  /** The state directory (pid files, locks, logs), e.g. ~/.local/state/acode or $ACODE_STATE_DIR. */
  stateDir: string;
  /** models.allow_download: false forbids pulls (the hub before a vLLM start); absent means allowed. */
  allowDownload?: boolean;
}

/** An error as it crosses an actor boundary: the AcodeError's code, message, hint and details. */
/** A spawn is a first start or a restart: `restarts` (epoch ms, this one included) go into the pid file. */
export type SpawnInput = ServiceRef & { restarts?: readonly number[] };

import type { SerializedError } from '../config/index.js';

export type { SerializedError };

export interface ActorContracts {
  /**
   * `detect` (fromPromise): is the expected server on the configured port? Consults the pid file
   * (a live pid with the same start time and command line is ours, even if it is still loading) and
   * one probe. Never spawns anything.
   */
  detect: { input: ServiceRef; output: DetectResult };
  /**
   * `spawnServer` (fromPromise): under the provider's lock, re-detects, checks the port, spawns the
   * binary detached with its log file, writes the pid file. Resolves with the pid, or `adopted: true`
   * when another acode process started it meanwhile; `owned: true` (with its pid) when that process's
   * pid file matched /proc: acode started it, so acode may stop it (docs/design.md, "Across processes").
   * Sends PROCESS_SPAWNED with the pid as soon as the child exists; cancelled after that, it kills the
   * child it made (its process group) and removes its pid file.
   * Rejects with an AcodeError (BINARY_NOT_FOUND, PORT_IN_USE, LOCK_TIMEOUT, AIRGAP_VIOLATION).
   */
  spawnServer: { input: SpawnInput; output: { pid?: number; adopted: boolean; owned?: boolean } };
  /**
   * `watchProcess` (fromCallback): sends PROCESS_EXITED when the pid exits (our child: its exit event,
   * within 100 ms; a pid from an earlier acode process: a cheap liveness check). Cleanup only stops
   * watching; it never kills.
   */
  watchProcess: { input: ServiceRef & { pid: number } };
  /**
   * `watchLog` (fromCallback): tails this run's server log from its offset (the child's record or the pid
   * file) and sends LOAD_PROGRESS when it shows download or load progress. Never throws; cleanup stops it.
   */
  watchLog: { input: ServiceRef & { pid: number } };
  /**
   * `healthPoller` (fromCallback): in phase 'starting' polls fast then slower (250 ms backing off to
   * 1 s) and sends PROBE_OK once ready (PROBE_LOADING while it loads); in phase 'healthy' probes every
   * health_check_interval and sends PROBE_FAILED after `maxMisses` consecutive failures.
   */
  healthPoller: { input: ServiceRef & { phase: 'starting' | 'healthy'; maxMisses: number } };
  /**
   * `checkGpus` (fromPromise), before a vLLM spawn: probes nvidia-smi (bounded) and rejects with
   * GPU_UNAVAILABLE (none visible, fewer than tensor_parallel_size, nvidia-smi failing) or GPU_MEMORY
   * (less free than memory_utilization x total, naming who holds it). Resolves with the GPUs it would use.
   */
  checkGpus: { input: ServiceRef; output: { gpus: GpuInfo[] } };
  /**
   * `fetchModel` (fromPromise), before a vLLM spawn: a hub model not complete in the cache is checked on
   * the hub (MODEL_NOT_FOUND, AUTH_FAILED, unreachable) and pulled, sending PULL_PROGRESS; airgapped or
   * models.allow_download: false rejects with MODEL_NOT_FOUND and the pre-stage steps. Cancelled, it
   * stops the download (the next pull resumes it).
   */
  fetchModel: { input: ServiceRef; output: FetchResult };
  /**
   * `watchGpus` (fromCallback), while vLLM is healthy: probes at health_check_interval and sends
   * GPU_FAULT / GPU_OK when the GPUs it uses go bad or recover. Never throws; cleanup stops it.
   */
  watchGpus: { input: ServiceRef };
  /** `checkModel` (fromPromise): is the configured model present (Ollama) / served (OpenAI-compatible)? */
  checkModel: { input: ServiceRef; output: ModelCheckResult };
  /**
   * `pullModel` (fromCallback over an rxjs Observable): sends PULL_PROGRESS, then PULL_DONE or
   * PULL_FAILED with the server's reason. Refuses in airgapped mode (PULL_FAILED, AIRGAP_VIOLATION).
   */
  pullModel: { input: ServiceRef };
  /**
   * `stopServer` (fromPromise): SIGTERM, grace, SIGKILL, wait for exit; only for a pid whose pid file
   * matches /proc/<pid> (start time + command line); removes the pid file.
   */
  stopServer: {
    input: ServiceRef & { pid: number; graceMs: number };
    output: { signal: 'SIGTERM' | 'SIGKILL' | 'none' };
  };
}

/** Sent back by pullModel besides PULL_PROGRESS. */
export type PullOutcomeEvent = { type: 'PULL_DONE' } | { type: 'PULL_FAILED'; error: SerializedError };
