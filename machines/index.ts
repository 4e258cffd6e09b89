// The public API of machines/: the service machine, its contract types, the policy predicates and the
// service handle. Other folders import from here only.
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
export { logSaysPortInUse, portTakenError } from './service-errors.js';
export { modeRefusalError } from './registry-policy.js';
export { statusOf, stateLabel, topState, modelState, LOAD_PHASE_WORD } from './status.js';
export type { StatusReport } from './status.js';
export { createService } from './service.js';
export type { Service, ServiceActor, CreateServiceOptions, AdapterFactory } from './service.js';
export { isUsable, isSettled, hasFailed, errorFromSnapshot, waitForService } from './service-wait.js';
export type { ServiceSnapshot, WaitOptions } from './service-wait.js';
export { defaultServiceActors, defaultCreateAdapter } from './default-actors.js';
export * from './registry-api.js';
