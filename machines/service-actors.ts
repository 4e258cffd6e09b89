// The actors the service machine invokes: the logic slots (placeholders until provided) and the input
// each one gets, derived from the machine's context (actors/contracts.ts). The machine holds no I/O:
// the runtime (createService, the registry) and tests supply the real or fake logic through
// machine.provide({ actors }). A placeholder that runs means someone forgot to provide it, so it fails
// loudly with INTERNAL.
import { fromCallback, fromPromise } from 'xstate';
import type { CallbackActorLogic, EventObject, PromiseActorLogic } from 'xstate';
import { AcodeError } from '../config/index.js';
import type { ActorContracts, DetectResult, ModelCheckResult, ServiceRef } from '../actors/index.js';
import type { ServiceContext } from './service-types.js';

type In<K extends keyof ActorContracts> = ActorContracts[K]['input'];

/** The logic createService() and tests provide, one per actor name of actors/contracts.ts. */
export type ServiceActorLogic = {
  detect: PromiseActorLogic<DetectResult, ServiceRef>;
  spawnServer: PromiseActorLogic<ActorContracts['spawnServer']['output'], In<'spawnServer'>>;
  watchProcess: CallbackActorLogic<EventObject, In<'watchProcess'>>;
  watchLog: CallbackActorLogic<EventObject, In<'watchLog'>>;
  healthPoller: CallbackActorLogic<EventObject, In<'healthPoller'>>;
  checkGpus: PromiseActorLogic<ActorContracts['checkGpus']['output'], In<'checkGpus'>>;
  fetchModel: PromiseActorLogic<ActorContracts['fetchModel']['output'], In<'fetchModel'>>;
  watchGpus: CallbackActorLogic<EventObject, In<'watchGpus'>>;
  checkModel: PromiseActorLogic<ModelCheckResult, In<'checkModel'>>;
  pullModel: CallbackActorLogic<EventObject, In<'pullModel'>>;
  stopServer: PromiseActorLogic<ActorContracts['stopServer']['output'], In<'stopServer'>>;
};

function notProvided(name: keyof ServiceActorLogic): AcodeError {
  return new AcodeError(
    'INTERNAL',
    `The service machine's actor '${name}' was not provided.`,
    'Build services with createService(), which provides the real actors, or provide fakes in tests.',
  );
}

function promisePlaceholder<O, I>(name: keyof ServiceActorLogic): PromiseActorLogic<O, I> {
  return fromPromise<O, I>(async () => {
    throw notProvided(name);
  });
}

function callbackPlaceholder<I>(name: keyof ServiceActorLogic): CallbackActorLogic<EventObject, I> {
  return fromCallback<EventObject, I>(() => {
    throw notProvided(name);
  });
}

export const placeholderActors: ServiceActorLogic = {
  detect: promisePlaceholder('detect'),
  spawnServer: promisePlaceholder('spawnServer'),
  watchProcess: callbackPlaceholder('watchProcess'),
  watchLog: callbackPlaceholder('watchLog'),
  healthPoller: callbackPlaceholder('healthPoller'),
  checkGpus: promisePlaceholder('checkGpus'),
  fetchModel: promisePlaceholder('fetchModel'),
  watchGpus: callbackPlaceholder('watchGpus'),
  checkModel: promisePlaceholder('checkModel'),
  pullModel: callbackPlaceholder('pullModel'),
  stopServer: promisePlaceholder('stopServer'),
};

// --- inputs, from context only -------------------------------------------------------------------

type Args = { context: ServiceContext };

export const refInput = ({ context }: Args): ServiceRef => context.ref;

// The restarts within the window travel with the spawn into the pid file, so another acode process
// (the TUI of a later `acode status --watch`) can show how often this server was restarted.
export const spawnInput = ({ context }: Args): ActorContracts['spawnServer']['input'] =>
  context.restarts.length === 0 ? context.ref : { ...context.ref, restarts: context.restarts };

// pid 0 never reaches an actor: these are invoked only in states entered with a pid (hasPid guards).
export const watchInput = ({ context }: Args): ActorContracts['watchProcess']['input'] => ({
  ...context.ref,
  pid: context.pid ?? 0,
});

export const stopInput = ({ context }: Args): ActorContracts['stopServer']['input'] => ({
  ...context.ref,
  pid: context.pid ?? 0,
  graceMs: context.graceMs,
});

export const pollerInput =
  (phase: 'starting' | 'healthy') =>
  ({ context }: Args): ActorContracts['healthPoller']['input'] => ({
    ...context.ref,
    phase,
    maxMisses: context.maxMisses,
  });
