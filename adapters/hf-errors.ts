// The hub's answers as acode's typed errors: the message names the model, the hint says what to do.
import { AcodeError, isAcodeError } from '../config/index.js';
import { classifyTransportError } from './wire-errors.js';

export interface HubErrorContext {
  endpoint: string;
  repoId: string;
  /** Whether HF_TOKEN was set (so a token went out); never the token. */
  tokenSent: boolean;
}

export function modelNotOnHub(ctx: HubErrorContext, suggestions: readonly string[]): AcodeError {
  const didYouMean = suggestions.length > 0 ? `Did you mean ${suggestions.map((s) => `'${s}'`).join(', ')}? ` : '';
  return new AcodeError(
    'MODEL_NOT_FOUND',
    `Model '${ctx.repoId}' not found on Hugging Face (${ctx.endpoint}).`,
    `${didYouMean}Check the id (org/name, case matters) on ${ctx.endpoint}/models.`,
    { details: { model: ctx.repoId, endpoint: ctx.endpoint, suggestions } },
  );
}

export function revisionNotOnHub(ctx: HubErrorContext, revision: string): AcodeError {
  return new AcodeError(
    'MODEL_NOT_FOUND',
    `Model '${ctx.repoId}' has no revision '${revision}' on Hugging Face (${ctx.endpoint}).`,
    `Pass a branch, tag or commit that exists: see ${ctx.endpoint}/${ctx.repoId}/tree/main.`,
    { details: { model: ctx.repoId, endpoint: ctx.endpoint, revision } },
  );
}

/** 401/403: a gated repo without access, or a private one (the hub hides private repos behind 401). */
export function hubAccessRefused(ctx: HubErrorContext, status: number): AcodeError {
  const page = `${ctx.endpoint}/${ctx.repoId}`;
  const hint = ctx.tokenSent
    ? `HF_TOKEN was sent but its account has no access: request access on ${page} (or use a token of an account that has it).`
    : `Request access on ${page}, then set HF_TOKEN to a read token of that account (${ctx.endpoint}/settings/tokens).`;
  return new AcodeError(
    'AUTH_FAILED',
    `Model '${ctx.repoId}' on Hugging Face is gated or private: access refused (HTTP ${status}).`,
    hint,
    { details: { model: ctx.repoId, endpoint: ctx.endpoint, status, tokenSent: ctx.tokenSent } },
  );
}

const NETWORK = new Set([
  'CONNECTION_REFUSED',
  'HOST_UNRESOLVED',
  'CONNECT_TIMEOUT',
  'RESPONSE_TIMEOUT',
  'STREAM_INTERRUPTED',
]);

/** The hub could not be reached: the transport's code (refused, unresolved, timeout), a message that says so and what the cache holds. */
export function hubUnreachable(
  ctx: HubErrorContext,
  err: unknown,
  cache: { complete: boolean; folder: string },
  signal?: AbortSignal,
): AcodeError {
  const base = isAcodeError(err)
    ? err
    : classifyTransportError(err, { provider: 'huggingface', url: ctx.endpoint }, 0, signal);
  if (!NETWORK.has(base.code)) return base;
  const inCache = cache.complete
    ? `The cache has a complete copy (${cache.folder}): set HF_HUB_OFFLINE=1 to use it without the hub.`
    : `The cache has no complete copy of ${ctx.repoId} (${cache.folder}): connect to the hub, or pre-stage the model (\`acode models pull ${ctx.repoId} --provider vllm\` on a connected machine, copy the cache folder, set HF_HOME).`;
  return new AcodeError(
    base.code,
    `Cannot reach the Hugging Face hub at ${ctx.endpoint} to check '${ctx.repoId}' (${base.code.toLowerCase().replace(/_/g, ' ')}).`,
    `${inCache} Check the network, or HF_ENDPOINT if you use a mirror.`,
    { cause: err, details: { model: ctx.repoId, endpoint: ctx.endpoint, cached: cache.complete } },
  );
}

export function unexpectedHubStatus(ctx: HubErrorContext, url: string, status: number, body: string): AcodeError {
  return new AcodeError(
    status >= 500 ? 'SERVER_ERROR' : 'PROTOCOL_ERROR',
    `Hugging Face (${ctx.endpoint}) answered HTTP ${status} for ${url}: ${body.slice(0, 120).trim() || 'no body'}.`,
    'Try again later; if it persists, check HF_ENDPOINT and the hub status page.',
    { details: { model: ctx.repoId, endpoint: ctx.endpoint, url, status } },
  );
}

/** How to get a hub model onto a machine that may not download it. */
export function preStageHint(repoId: string): string {
  return (
    `Pre-stage it: on a connected machine run \`acode models pull ${repoId} --provider vllm\` (or \`huggingface-cli download ${repoId}\`), ` +
    `copy its hub cache folder (models--${repoId.split('/').join('--')}) into this machine's, and point HF_HOME (or HF_HUB_CACHE) at it.`
  );
}

/** Airgapped, offline, or downloads turned off, and the cache lacks the model: how to pre-stage it. */
export function modelNotStaged(
  repoId: string,
  cache: { folder: string; missing: readonly string[] },
  why: string,
): AcodeError {
  return new AcodeError(
    'MODEL_NOT_FOUND',
    `Model '${repoId}' is not complete in the Hugging Face cache (${cache.folder}), and ${why}.`,
    preStageHint(repoId),
    { details: { model: repoId, folder: cache.folder, missing: cache.missing } },
  );
}
