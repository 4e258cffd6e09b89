// Turns what the transport and the servers throw at us into AcodeErrors with stable codes. Everything
// is classified by `code` on the cause chain or by HTTP status, never by message text: messages change
// between releases and are prose, codes are API (docs/design.md, "Errors").
import { AcodeError, findCauseCode, isAcodeError, type AcodeErrorCode } from '../config/index.js';

/** Facts every error carries so a log line or `--json` output can say which server and route. */
export interface WireContext {
  provider: string;
  url: string;
  /** The variable the API key comes from, and whether it was set (so a key went out); never the key. */
  apiKey?: { env?: string; sent: boolean };
}

const REFUSED = ['ECONNREFUSED'];
/** getaddrinfo: no such name (ENOTFOUND), or no answer from the resolver for now (EAI_AGAIN). */
const UNRESOLVED = ['ENOTFOUND', 'EAI_AGAIN'];
const CONNECT_TIMEOUT = ['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT'];
const HANG = ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'];
const GONE = ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE'];
const ABORT = ['UND_ERR_ABORTED', 'ABORT_ERR'];

/** Codes that mean "the server is gone (or never came)": re-probe it, then retry the request. */
const SERVER_GONE: readonly AcodeErrorCode[] = ['CONNECTION_REFUSED', 'CONNECT_TIMEOUT', 'STREAM_INTERRUPTED'];

// The retry layer's one question: is this "server is gone" (retry after re-probe) or "server said no"?
export function isServerGone(err: unknown): boolean {
  return isAcodeError(err) && SERVER_GONE.includes(err.code);
}

/**
 * What a message quotes of a body that is not one of the servers' error envelopes (a stranger's HTML
 * 404 page, a proxy's text): its HTML <title>, else its first line with text in it, whitespace
 * collapsed and cut to `max` characters. A message is one line; the whole body stays in `details`.
 */
export function firstLineOf(body: string, max = 80): string {
  const html = /^\s*</.test(body);
  const title = html ? /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body)?.[1]?.replace(/\s+/g, ' ').trim() : undefined;
  const line =
    title ||
    body
      .split(/\r?\n/)
      .map((l) => (html ? l.replace(/<[^>]*>/g, ' ') : l).replace(/\s+/g, ' ').trim())
      .find((l) => l !== '') ||
    '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Escapes the first bytes of an unexpected body so a message can show them on one line. */
function preview(bytes: Uint8Array | string, max = 80): string {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes.subarray(0, max * 4)).toString('latin1');
  return JSON.stringify(text.slice(0, max));
}

export function protocolError(
  ctx: WireContext,
  what: string,
  sample: Uint8Array | string,
  cause?: unknown,
): AcodeError {
  const first = preview(sample);
  return new AcodeError(
    'PROTOCOL_ERROR',
    `${ctx.provider}: ${what} from ${ctx.url}; first bytes: ${first}`,
    `Check that ${ctx.url} is really a ${ctx.provider} server (another program may hold the port).`,
    { cause, details: { provider: ctx.provider, url: ctx.url, firstBytes: first } },
  );
}

export function interrupted(ctx: WireContext, chunksDelivered: number, cause?: unknown): AcodeError {
  return new AcodeError(
    'STREAM_INTERRUPTED',
    `${ctx.provider}: the response from ${ctx.url} ended early after ${chunksDelivered} chunk(s).`,
    'The server probably crashed or was stopped; acode re-checks it and retries the request.',
    { cause, details: { provider: ctx.provider, url: ctx.url, chunksDelivered } },
  );
}

/** The config key that sets the bound which ran out. */
function timeoutKey(ctx: WireContext, phase: 'headers' | 'body'): string {
  return `providers.${ctx.provider}.timeouts.${phase === 'headers' ? 'response_seconds' : 'idle_seconds'}`;
}

/**
 * The server keeps the connection open but sends no whole chunk in time (a hang, a slow-loris). `phase`
 * names the bound that ran out, as undici's own timeouts do: `headers` bounds the first token too.
 */
export function stalled(
  ctx: WireContext,
  chunksDelivered: number,
  waitedMs: number,
  phase: 'headers' | 'body',
): AcodeError {
  return new AcodeError(
    'RESPONSE_TIMEOUT',
    `${ctx.provider}: ${ctx.url} sent no ${phase === 'headers' ? 'first' : 'further'} token within ${waitedMs / 1000} s ` +
      `(after ${chunksDelivered} chunk(s)); it is hung or trickling data.`,
    `Check the ${ctx.provider} server log; if it is just slow, raise ${timeoutKey(ctx, phase)}.`,
    { details: { provider: ctx.provider, url: ctx.url, chunksDelivered, phase, waitedMs } },
  );
}

/** The base_url's host name does not resolve: nothing was sent, and no port on this machine is involved. */
export function hostUnresolved(ctx: WireContext, cause?: unknown): AcodeError {
  const host = new URL(ctx.url).hostname;
  const resolver = findCauseCode(cause, UNRESOLVED);
  return new AcodeError(
    'HOST_UNRESOLVED',
    `${ctx.provider}: the host name ${host} (${ctx.url}) does not resolve${resolver ? ` (${resolver})` : ''}.`,
    `Check the host in providers.${ctx.provider}.base_url for a typo, and this machine's network and DNS.`,
    { cause, details: { provider: ctx.provider, url: ctx.url, host, ...(resolver ? { resolver } : {}) } },
  );
}

export function aborted(ctx: WireContext, cause?: unknown): AcodeError {
  return new AcodeError(
    'ABORTED',
    `${ctx.provider}: the request to ${ctx.url} was cancelled.`,
    'Run the command again when you are ready.',
    { cause, details: { provider: ctx.provider, url: ctx.url } },
  );
}

/** Maps a thrown transport error (undici, Node) onto our codes; AcodeErrors pass through untouched. */
export function classifyTransportError(
  err: unknown,
  ctx: WireContext,
  chunksDelivered = 0,
  signal?: AbortSignal,
): AcodeError {
  if (isAcodeError(err)) return err;
  const details = { provider: ctx.provider, url: ctx.url, chunksDelivered };
  if (signal?.aborted || findCauseCode(err, ABORT) || (err instanceof Error && err.name === 'AbortError')) {
    return aborted(ctx, err);
  }
  if (findCauseCode(err, REFUSED)) {
    return new AcodeError(
      'CONNECTION_REFUSED',
      `${ctx.provider}: connection refused at ${ctx.url}.`,
      `Start ${ctx.provider} (or let acode start it), or check providers.${ctx.provider}.port.`,
      { cause: err, details },
    );
  }
  if (findCauseCode(err, UNRESOLVED)) return hostUnresolved(ctx, err);
  if (findCauseCode(err, CONNECT_TIMEOUT)) {
    return new AcodeError(
      'CONNECT_TIMEOUT',
      `${ctx.provider}: connecting to ${ctx.url} timed out.`,
      `Check that ${ctx.provider} is running and not overloaded.`,
      { cause: err, details },
    );
  }
  const hang = findCauseCode(err, HANG);
  if (hang) {
    const phase = hang === 'UND_ERR_HEADERS_TIMEOUT' ? 'headers' : 'body';
    return new AcodeError(
      'RESPONSE_TIMEOUT',
      `${ctx.provider}: ${ctx.url} stopped answering (no ${phase === 'headers' ? 'response headers' : 'data'} in time).`,
      `The server may be hung or still loading the model; check its log, or raise ${timeoutKey(ctx, phase)}.`,
      { cause: err, details: { ...details, phase } },
    );
  }
  if (findCauseCode(err, GONE)) return interrupted(ctx, chunksDelivered, err);
  const message = err instanceof Error ? err.message : String(err);
  return new AcodeError(
    'INTERNAL',
    `${ctx.provider}: unexpected transport error: ${message}`,
    'This is a bug in acode. Run again with ACODE_DEBUG=1 and report the stack trace.',
    { cause: err, details },
  );
}

/** How much of a server's own message an error's one-line message quotes. */
const SERVER_MESSAGE_MAX = 200;

/** Reads the server's message out of any of the error envelopes the four servers use. */
export function errorMessageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.error === 'string') return b.error; // Ollama native
  if (typeof b.error === 'object' && b.error !== null) {
    const m = (b.error as Record<string, unknown>).message; // vLLM >= 0.10.1, llama-server, LM Studio
    if (typeof m === 'string') return m;
  }
  if (b.object === 'error' && typeof b.message === 'string') return b.message; // vLLM <= 0.10.0
  return undefined;
}

/** HTTP status of an envelope, where it carries one (llama-server/vLLM `code`). */
function errorStatusOf(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const inner = typeof b.error === 'object' && b.error !== null ? (b.error as Record<string, unknown>) : b;
  return typeof inner.code === 'number' ? inner.code : undefined;
}

/**
 * 401/403: an authenticated server (vLLM/llama-server `--api-key`, LM Studio's API tokens). Names the
 * variable, never its value; a retry with the same key cannot help, so it is not "server gone".
 */
export function authFailed(ctx: WireContext, status: number, serverMessage: string): AcodeError {
  const env = ctx.apiKey?.env;
  const said = serverMessage ? `: ${serverMessage}` : '';
  const setting = `providers.${ctx.provider}.api_key_env`;
  let message: string;
  let hint: string;
  if (env === undefined) {
    message = `${ctx.provider}: ${ctx.url} requires an API key (${status}${said}), and none is configured.`;
    hint = `Put the key in an environment variable (e.g. export ${ctx.provider.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_API_KEY=...) and name it in ${setting}.`;
  } else if (ctx.apiKey?.sent) {
    message = `${ctx.provider}: ${ctx.url} refused the API key in ${env} (${status}${said}).`;
    hint = `Set ${env} to the key the server was started with (its --api-key), or point ${setting} at the variable that holds it.`;
  } else {
    message = `${ctx.provider}: ${ctx.url} requires an API key (${status}${said}), and ${env} is not set.`;
    hint = `Set ${env} to the server's API key (export ${env}=...), or point ${setting} at the variable that holds it.`;
  }
  return new AcodeError('AUTH_FAILED', message, hint, {
    details: {
      provider: ctx.provider,
      url: ctx.url,
      status,
      ...(env === undefined ? {} : { apiKeyEnv: env }),
      serverMessage,
    },
  });
}

/** A non-2xx answer: 401/403 = auth, 404 = model not found, other 4xx = bad request, 5xx = server error. */
export function httpStatusError(ctx: WireContext, status: number, rawBody: string, model?: string): AcodeError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    parsed = undefined;
  }
  const fullMessage = errorMessageOf(parsed) ?? firstLineOf(rawBody);
  // A message is one line: servers quote whole prompts or answers in theirs (llama-server's parse
  // errors carry the generated text); the whole of it stays in details.
  const serverMessage = firstLineOf(fullMessage, SERVER_MESSAGE_MAX);
  if (status === 401 || status === 403) return authFailed(ctx, status, serverMessage);
  const details = {
    provider: ctx.provider,
    url: ctx.url,
    status,
    serverMessage: fullMessage,
    body: rawBody.slice(0, 2000),
    model,
  };
  if (status === 404) {
    return new AcodeError(
      'MODEL_NOT_FOUND',
      `${ctx.provider}: ${serverMessage || `404 from ${ctx.url}`}`,
      model
        ? `Pull or serve "${model}" first, or set providers.${ctx.provider}.model to a model the server has.`
        : `Check providers.${ctx.provider}.model and that the server serves it.`,
      { details },
    );
  }
  if (status >= 400 && status < 500) {
    return new AcodeError(
      'BAD_REQUEST',
      `${ctx.provider} rejected the request (${status}): ${serverMessage}`,
      'The server refused this request; change the request, retrying will not help.',
      { details },
    );
  }
  return new AcodeError(
    'SERVER_ERROR',
    `${ctx.provider} failed (${status}): ${serverMessage}`,
    `Check the ${ctx.provider} server log; it may be loading, overloaded or broken.`,
    { details },
  );
}

/** An error the server reported inside a 200 stream (Ollama error line, SSE error event). */
export function midStreamError(ctx: WireContext, envelope: unknown, chunksDelivered: number): AcodeError {
  const status = errorStatusOf(envelope);
  const message = errorMessageOf(envelope) ?? JSON.stringify(envelope).slice(0, 2000);
  const code: AcodeErrorCode = status !== undefined && status >= 400 && status < 500 ? 'BAD_REQUEST' : 'SERVER_ERROR';
  return new AcodeError(
    code,
    `${ctx.provider} reported an error mid-stream: ${firstLineOf(message, SERVER_MESSAGE_MAX)}`,
    `Check the ${ctx.provider} server log; the partial answer was discarded.`,
    {
      details: {
        provider: ctx.provider,
        url: ctx.url,
        status,
        serverMessage: message,
        chunksDelivered,
        midStream: true,
      },
    },
  );
}

/**
 * An `error:` SSE line (the legacy form some servers send mid-stream): its JSON envelope, or the raw
 * text as the message when it is not JSON.
 */
export function legacyStreamError(ctx: WireContext, value: string, chunksDelivered: number): AcodeError {
  let envelope: unknown = value;
  try {
    envelope = JSON.parse(value);
  } catch {
    /* keep the raw text as the message */
  }
  return midStreamError(ctx, typeof envelope === 'string' ? { error: envelope } : envelope, chunksDelivered);
}
