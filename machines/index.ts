// The public API of machines/: the service machine, its contract types, the policy predicates, the
// service handle, and the registry (supervisor, runtime wiring, selector, crash-safe provider wrapper
// and one-shot answers). Other folders import from here only.
export { serviceMachine } from './service.machine.js';
export { initialContext } from './service-setup.js';
export { placeholderActors } from './service-actors.js';
export type { ServiceActorLogic } from './service-actors.js';
export { SERVICE_STATES, MODEL_STATES, DEFAULT_BACKOFF, DEFAULT_GRACE_MS, DEFAULT_MAX_MISSES } from './service-types.js';
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
export { serializeError, logSaysPortInUse } from './service-errors.js';
export { statusOf, stateLabel, topState, modelState, providerStatus, progressLine, LOAD_PHASE_WORD } from './status.js';
export type { StatusReport, ProviderStatus } from './status.js';
export { createService, bindService, isUsable, isSettled, hasFailed, errorFromSnapshot, waitForService } from './service.js';
export type {
  Service, ServiceHandle, ServiceActor, ServiceLogic, ServiceSnapshot, CreateServiceOptions, BindOptions, AdapterFactory,
  ServiceClock, WaitOptions,
} from './service.js';
export { registryMachine, serviceSystemId, type RegistryInput, type RegistryContext, type RegistryEvent } from './registry.machine.js';
export {
  createRegistry, openRegistry, allowsFallback, type Registry, type RegistryOptions, type OpenRegistryOptions,
  type AcquireOptions, type Acquired, type FallbackReason, type ReloadSummary,
} from './registry.js';
export { selectProviders, capabilityRefusal, type Requirements, type HealthView, type Selection, type Refusal } from './selector.js';
export {
  resilientProvider, continuationRequest, RESUME_PATH, DEFAULT_MAX_RETRIES,
  type RecoverableService, type RetryInfo, type ResilientOptions,
} from './resilient-provider.js';
export { answer, type Answer, type AnswerOptions, type Timings } from './registry-ask.js';
export { askRefusals, type AskRefusal } from './preflight.js';
export { modelChoice, type ModelChoice } from './model-choice.js';
