// The registry's public API, re-exported by machines/index.ts: the supervisor, its runtime wiring, the
// selector and the mode policy (the request machine is exported by index.ts itself).
export { registryMachine, serviceSystemId, type RegistryInput, type RegistryContext, type RegistryEvent } from './registry.machine.js';
export {
  createRegistry, allowsFallback, type Registry, type RegistryOptions, type ServiceHandle, type BindService,
  type AcquireOptions, type Acquired, type FallbackReason, type ReloadSummary,
} from './registry.js';
export { openRegistry, type OpenRegistryOptions } from './registry-runtime.js';
export { bindServiceRef, type BindingOptions } from './registry-binding.js';
export { providerStatus, progressLine, type ProviderStatus, type PullView } from './registry-status.js';
export { selectProviders, capabilityRefusal, type Requirements, type HealthView, type Selection, type Refusal } from './selector.js';
export { modeRefusal, type ModeRefusal } from './registry-policy.js';
export { askRefusals, type AskRefusal } from './preflight.js';
export { modelChoice, type ModelChoice } from './model-choice.js';
