// The inputs the service machine hands its actors, derived from context only (actors/contracts.ts).
import type { ActorContracts, ServiceRef } from '../actors/index.js';
import type { ServiceContext } from './service-types.js';

type Args = { context: ServiceContext };

export const refInput = ({ context }: Args): ServiceRef => context.ref;

// The restarts within the window travel with the spawn into the pid file, so another acode process
// (the TUI of a later `acode status --watch`) can show how often this server was restarted.
export const spawnInput = ({ context }: Args): ActorContracts['spawnServer']['input'] =>
  context.restarts.length === 0 ? context.ref : { ...context.ref, restarts: context.restarts };

// pid 0 never reaches an actor: these are invoked only in states entered with a pid (hasPid guards).
export const watchInput = ({ context }: Args): ActorContracts['watchProcess']['input'] => ({ ...context.ref, pid: context.pid ?? 0 });

export const stopInput = ({ context }: Args): ActorContracts['stopServer']['input'] => ({
  ...context.ref,
  pid: context.pid ?? 0,
  graceMs: context.graceMs,
});

export const pollerInput =
  (phase: 'starting' | 'healthy') =>
  ({ context }: Args): ActorContracts['healthPoller']['input'] => ({ ...context.ref, phase, maxMisses: context.maxMisses });
