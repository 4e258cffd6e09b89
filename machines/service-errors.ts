// The errors the service machine records in context.lastError: code, what happened, what to do. They
// are plain data (SerializedError) so snapshots stay serialisable; ensureHealthy turns them back into
// AcodeErrors.
import { serializeError, type ProviderConfig, type ProviderKind } from '../config/index.js';
import { modeRefusalError } from './policy.js';
import type { LoadProgress, SerializedError, ServiceRef } from '../actors/index.js';
import { linesExplainingExit } from './exit-explanation.js';

/**
 * What each server prints when its port is taken (docs/protocols.md §0). A server tells us only through its
 * log, so this is the one place where text is inspected; anything else that exits is START_FAILED.
 */
const PORT_IN_USE_MARKERS: Record<ProviderKind, RegExp[]> = {
  ollama: [/bind: address already in use/i, /only one usage of each socket address/i],
  vllm: [/address already in use/i, /error while attempting to bind on address/i],
  llamacpp: [/couldn't bind HTTP server socket/i],
  lmstudio: [/address already in use/i],
  custom: [/address already in use/i, /couldn't bind/i],
};

export function logSaysPortInUse(kind: ProviderKind, logTail: readonly string[]): boolean {
  const markers = PORT_IN_USE_MARKERS[kind];
  return logTail.some((line) => markers.some((m) => m.test(line)));
}

const SERVE_COMMAND: Record<ProviderKind, (model: string) => string> = {
  ollama: () => 'ollama serve',
  vllm: (m) => `vllm serve ${m}`,
  llamacpp: (m) => `llama-server -m <path of ${m}>`,
  lmstudio: (m) => `lms load ${m}`,
  custom: (m) => `your server with the model ${m}`,
};

function name(ref: ServiceRef): string {
  return ref.provider.id;
}

/**
 * What an error about an exited server carries of its log: the few lines that explain the exit (the
 * CLI prints them under the error), the file that holds the rest, and its last lines for `--json`.
 */
function logDetails(logTail: readonly string[], logFile: string | undefined): Record<string, unknown> {
  return { logExcerpt: linesExplainingExit(logTail), ...(logFile ? { logFile } : {}), logTail: logTail.slice(-20) };
}

/** "Fix what its log (<file>) reports": the hint of an error whose log lines are printed with it. */
function readTheLog(logFile: string | undefined): string {
  return `Fix what its log${logFile ? ` (${logFile})` : ''} reports`;
}

/** The process exited before it became healthy. */
export function startExitError(
  ref: ServiceRef,
  exitCode: number | null,
  signal: string | null,
  logTail: string[],
  logFile?: string,
): SerializedError {
  const { port, id, kind } = ref.provider;
  if (logSaysPortInUse(kind, logTail)) {
    return {
      code: 'PORT_IN_USE',
      message: `${id}: port ${port} is already in use (the server said so as it exited).`,
      hint: `Stop what holds port ${port}, or set providers.${id}.port to a free port.`,
      details: { port, exitCode, signal, logTail: logTail.slice(-20) },
    };
  }
  const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
  return {
    code: 'START_FAILED',
    message: `${id}: the server ${how} while starting.`,
    hint: `${readTheLog(logFile)}, then run \`acode providers start ${id}\`.`,
    details: { exitCode, signal, ...logDetails(logTail, logFile) },
  };
}

export function startTimeoutError(ref: ServiceRef): SerializedError {
  const { id, lifecycle } = ref.provider;
  return {
    code: 'START_TIMEOUT',
    message: `${id}: the server did not answer within ${lifecycle.startTimeoutSeconds} s of starting.`,
    hint: `Check its log, or raise providers.${id}.lifecycle.start_timeout_seconds.`,
  };
}

export function modelLoadTimeoutError(ref: ServiceRef, load: LoadProgress | null = null): SerializedError {
  const { id, lifecycle, model } = ref.provider;
  // What the server's log last said tells a slow download from a slow load.
  const last = load ? ` Its log last said: ${load.text}${load.percent === null ? '' : ` (${load.percent}%)`}.` : '';
  const raise = `raise providers.${id}.lifecycle.model_load_timeout_seconds`;
  return {
    code: 'MODEL_LOAD_TIMEOUT',
    message: `${id}: the model ${model ?? ''} was still loading after ${lifecycle.modelLoadTimeoutSeconds} s.${last}`,
    hint:
      load?.phase === 'download'
        ? `Download the model ahead (e.g. \`huggingface-cli download ${model ?? '<model>'}\`), or ${raise}.`
        : `${raise[0]!.toUpperCase()}${raise.slice(1)}, or use a smaller model.`,
  };
}

/** A healthy server went away (exit or failed probes); recorded in `crashed`. */
export function crashError(ref: ServiceRef, detail: string, logTail: string[] = []): SerializedError {
  return {
    code: 'PROVIDER_UNAVAILABLE',
    message: `${name(ref)}: the server stopped answering (${detail}).`,
    hint: 'acode restarts managed servers within the restart budget; check the server log if it keeps happening.',
    details: logTail.length > 0 ? { logTail: logTail.slice(-20) } : {},
  };
}

export function crashLoopError(ref: ServiceRef, exits: number, logTail: string[], logFile?: string): SerializedError {
  const { id, lifecycle } = ref.provider;
  return {
    code: 'CRASH_LOOP',
    message: `${id}: crash-looping: ${exits} exits in ${lifecycle.restartWindowSeconds} s.`,
    hint: `${readTheLog(logFile)}, then run \`acode providers start ${id}\` to try again.`,
    details: { exits, windowSeconds: lifecycle.restartWindowSeconds, ...logDetails(logTail, logFile) },
  };
}

export function unavailableError(ref: ServiceRef): SerializedError {
  const { id, lifecycle, baseUrl } = ref.provider;
  const hint =
    lifecycle.mode === 'monitored'
      ? `It is managed outside acode: start it (e.g. \`systemctl start ${id}\`, or \`systemctl --user start ${id}\`); acode polls until it answers.`
      : `It is an external server: start it yourself at ${baseUrl}, or set providers.${id}.lifecycle.mode: managed.`;
  return { code: 'PROVIDER_UNAVAILABLE', message: `${id}: nothing answers at ${baseUrl}.`, hint };
}

/** Detect found the port held by something that is not the expected server (status reports it too). */
export function portTakenError(
  provider: Pick<ProviderConfig, 'id' | 'port'>,
  holder: string | undefined,
): SerializedError {
  const { id, port } = provider;
  const by = holder ? ` by ${holder}` : '';
  return {
    code: 'PORT_IN_USE',
    message: `${id}: port ${port} is held${by}, which is not the expected server.`,
    hint: `Stop what holds port ${port}, or set providers.${id}.port to a free port.`,
    details: { port, ...(holder ? { holder } : {}) },
  };
}

export function airgapStartError(ref: ServiceRef): SerializedError {
  const { id } = ref.provider;
  return {
    code: 'AIRGAP_VIOLATION',
    message: `${id}: nothing answers, and airgapped mode does not start servers.`,
    hint: `Start it yourself and set providers.${id}.lifecycle.mode: monitored (or external), or leave airgapped mode.`,
  };
}

/** The operating mode refuses the provider: the registry's refusal, recorded as the service's error. */
export function modeForbiddenError(ref: ServiceRef): SerializedError {
  return serializeError(modeRefusalError(ref.mode, ref.provider));
}

/** The model is not there and will not be pulled (airgapped), or the server serves another one. */
export function modelMissingError(ref: ServiceRef): SerializedError {
  const { id, kind, type, model = '(none configured)' } = ref.provider;
  if (type === 'ollama') {
    return {
      code: 'MODEL_NOT_FOUND',
      message: `${id}: the model ${model} is not present, and ${ref.mode} mode does not download models.`,
      hint: `Pre-stage it with \`ollama pull ${model}\` on a connected machine, then copy ~/.ollama/models to this one.`,
      details: { model },
    };
  }
  return {
    code: 'MODEL_NOT_FOUND',
    message: `${id}: the server serves a different model than ${model}.`,
    hint: `Restart it with \`${SERVE_COMMAND[kind](model)}\`, or set providers.${id}.model to the model it serves.`,
    details: { model },
  };
}
