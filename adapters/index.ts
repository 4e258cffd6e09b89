// The adapters' public API: the ModelProvider contract, the factory, and the error helpers the retry
// layer and the actors need. Everything else in this folder is internal.
export type * from './types.js';
export { createProvider, mustStayOnLoopback, type CreateProviderOptions } from './create-provider.js';
export { assertLoopbackHost, isLoopbackHost } from './loopback-guard.js';
export { createConnectionPools, type ConnectionPools } from './connection-pools.js';
export { hostUnresolved, isServerGone } from './wire-errors.js';
export { HEALTH_TIMEOUT_MS, type Timeouts } from './transport.js';
export { SERVER_QUIRKS, quirksFor, type ServerQuirks, type HealthQuirks, type ContinueStyle } from './server-quirks.js';
export { hubEnv, isRepoId, type HubEnv } from './hf-env.js';
export {
  cachedModel,
  checkModelDir,
  modelFilesComplete,
  repoFolder,
  type CachedModel,
  type Completeness,
} from './hf-cache.js';
export { HubClient, type HubFile, type HubModelInfo } from './hf-client.js';
export { preflightHubModel, type HubPolicy, type Preflight } from './hf-preflight.js';
export { preStageHint } from './hf-errors.js';
