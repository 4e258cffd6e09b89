// The package's library entry (`import ... from 'acode-provider-orchestration'`): the public API of each
// folder, for a Node program that wants healthy providers without the CLI. createRegistry is the
// registry wired to real servers (machines' openRegistry); see README "Use it as a library".
export * from './config/index.js';
export * from './adapters/index.js';
export * from './actors/index.js';
export * from './machines/index.js';
export * from './inspector/index.js';
// Both folders define it today; the adapters' one is the stricter (it parses the address).
export { isLoopbackHost } from './adapters/index.js';
export { openRegistry as createRegistry } from './machines/index.js';
