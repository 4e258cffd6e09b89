// The public API of machines/: the service machine, its contract types, the policy predicates, the
// service handle, the registry (supervisor, runtime wiring, selector) and the request machine (one per
// ask: select, acquire, stream, recover, fall back). Other folders import from here only.
export { serviceMachine } from './service.machine.js';
export { initialContext } from './service-setup.js';
export { placeholderActors } from './service-actors.js';
export type { ServiceActorLogic } from './service-actors.js';
export {
  SERVICE_STATES,
  MODEL_STATES,
  DEFAULT_BACKOFF,
  DEFAULT_GRACE_MS,
  DEFAULT_MAX_MISSES,
} from './service-types.js';
export type {
  ServiceState,
  ModelState,
  ServiceCommand,
  ServiceEvent,
  ServiceInput,
  ServiceContext,
  PullState,
  BackoffOptions,
} from './service-types.js';
export * from './policy.js';
export { logSaysPortInUse, portTakenError } from './service-errors.js';
export { statusOf, stateLabel, topState, modelState, providerStatus, progressLine, LOAD_PHASE_WORD } from './status.js';
export type { StatusReport, ProviderStatus } from './status.js';
export {
  createService,
  bindService,
  isUsable,
  isSettled,
  hasFailed,
  errorFromSnapshot,
  waitForService,
} from './service.js';
export type {
  Service,
  ServiceHandle,
  ServiceActor,
  ServiceLogic,
  ServiceSnapshot,
  CreateServiceOptions,
  BindOptions,
  AdapterFactory,
  WaitOptions,
} from './service.js';
export {
  registryMachine,
  serviceSystemId,
  type RegistryInput,
  type RegistryContext,
  type RegistryEvent,
} from './registry.machine.js';
export {
  createRegistry,
  openRegistry,
  allowsFallback,
  type Registry,
  type RegistryOptions,
  type OpenRegistryOptions,
  type AcquireOptions,
  type Acquired,
  type FallbackReason,
  type ReloadSummary,
} from './registry.js';
export {
  selectProviders,
  capabilityRefusal,
  type Requirements,
  type HealthView,
  type Selection,
  type Refusal,
} from './selector.js';
// The request machine's definition imports no I/O: the inspector draws it beside the service chart.
export {
  resilientProvider,
  continuationRequest,
  RESUME_PATH,
  runRequest,
  streamRequest,
  type RecoverableService,
  type ResilientOptions,
  type ProviderSource,
  type AnswerSink,
  type RequestJob,
  type SpawnRequest,
} from './request-actors.js';
export {
  requestMachine,
  requestSetup,
  resumable,
  recoveryPath,
  DEFAULT_MAX_RETRIES,
  type RetryInfo,
  type RecoveryPath,
  type RequestInput,
  type RequestContext,
  type RequestEvent,
  type RequestEmitted,
  type RequestOutput,
  type Interruption,
  type Selection as RequestSelection,
} from './request.machine.js';
export {
  answer,
  streamAnswer,
  streamText,
  callProvider,
  type Answer,
  type AnswerOptions,
  type StreamAnswerOptions,
  type PinnedOptions,
  type Timings,
} from './request.js';
export { askRefusals, type AskRefusal } from './preflight.js';
export { modelChoice, type ModelChoice } from './model-choice.js';
