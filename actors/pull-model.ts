// pullModel: the service machine's pull actor. Airgapped mode never downloads; everything else is
// the adapter's pull stream through rxjs (pull-progress.ts), folded into totals and a rate.
import { AcodeError, serializeError, toAcodeError } from '../config/index.js';
import type { PullOutcomeEvent, ServiceRef } from './contracts.js';
import type { ActorDeps } from './deps.js';
import type { PullProgressEvent } from './pull-progress.js';

function airgapPullError(ref: ServiceRef, model: string): AcodeError {
  return new AcodeError(
    'AIRGAP_VIOLATION',
    `${ref.provider.id}: airgapped mode forbids downloading ${model}.`,
    `Pre-stage it on a connected machine (\`ollama pull ${model}\`, then copy ~/.ollama/models or OLLAMA_MODELS) and run again.`,
    { details: { provider: ref.provider.id, model } },
  );
}

/** Runs the pull and reports through sendBack; returns the cleanup (unsubscribe = abort). */
export function pullModel(
  ref: ServiceRef,
  deps: ActorDeps,
  sendBack: (event: PullProgressEvent | PullOutcomeEvent) => void,
): () => void {
  const model = ref.provider.model;
  const fail = (error: unknown): void => {
    const acode = toAcodeError(error);
    const wrapped =
      acode.code === 'ABORTED' || acode.code === 'PULL_FAILED' || acode.code === 'AIRGAP_VIOLATION'
        ? acode
        : new AcodeError(
            'PULL_FAILED',
            `${ref.provider.id}: pulling ${model ?? 'the model'} failed: ${acode.message}`,
            acode.hint,
            {
              cause: acode,
              details: { provider: ref.provider.id, model, reason: acode.code },
            },
          );
    deps.log.warn({ provider: ref.provider.id, model, code: wrapped.code, error: wrapped.message }, 'pull failed');
    sendBack({ type: 'PULL_FAILED', error: serializeError(wrapped) });
  };
  if (ref.mode === 'airgapped') {
    fail(airgapPullError(ref, model ?? 'the model'));
    return () => undefined;
  }
  if (!model) {
    fail(
      new AcodeError(
        'PULL_FAILED',
        `${ref.provider.id}: no model is configured to pull.`,
        `Set providers.${ref.provider.id}.model.`,
        { details: { provider: ref.provider.id } },
      ),
    );
    return () => undefined;
  }
  deps.log.info({ provider: ref.provider.id, model }, 'pulling model');
  // rxjs loads with the first pull, not with every command that imports the actors.
  let unsubscribe: (() => void) | undefined;
  let stopped = false;
  void import('./pull-progress.js').then(
    ({ subscribePull }) => {
      if (!stopped) unsubscribe = subscribePull(ref, deps, model, sendBack, fail);
    },
    (error: unknown) => {
      if (!stopped) fail(error);
    },
  );
  return () => {
    stopped = true;
    unsubscribe?.();
  };
}
