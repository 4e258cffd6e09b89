// One probe of the server's free route, read with the quirks table's readiness semantics. Never throws:
// the service machine turns the status into PROBE_OK / PROBE_LOADING / a missed probe.
import { withDeadline } from './deadline.js';
import { HEALTH_TIMEOUT_MS, readText, type Transport } from './transport.js';
import { authFailed, classifyTransportError, errorMessageOf, firstLineOf } from './wire-errors.js';
import type { HealthQuirks } from './server-quirks.js';
import type { CallOptions, HealthResult } from './types.js';

/**
 * Codes that mean nothing is there (yet): the process is not listening, not answering at all, or went
 * away during the probe. A reset is a server dying: a probe racing a crash can connect (the kernel
 * completes the handshake into the listen backlog) and is then reset as the listener closes. That is
 * not "something foreign answered" (detect would call it PORT_IN_USE, as a kill-mid-stream chaos run
 * did); a stranger that really holds the port is still found by detect's own bind check. A host name
 * that does not resolve reaches no server at all (detect reports it as such, never as a port holder).
 */
const DOWN = new Set([
  'CONNECTION_REFUSED',
  'HOST_UNRESOLVED',
  'CONNECT_TIMEOUT',
  'RESPONSE_TIMEOUT',
  'ABORTED',
  'STREAM_INTERRUPTED',
]);

// The server's own message from its error envelope; of anything else (a stranger's HTML page) one line.
function messageOf(text: string): string {
  try {
    return errorMessageOf(JSON.parse(text)) ?? firstLineOf(text);
  } catch {
    return firstLineOf(text);
  }
}

export async function probeHealth(
  t: Transport,
  quirks: HealthQuirks,
  { signal }: CallOptions = {},
): Promise<HealthResult> {
  const ctx = t.context(quirks.path);
  const deadline = withDeadline(HEALTH_TIMEOUT_MS, signal);
  const combined = deadline.signal;
  try {
    const res = await t.send({ method: 'GET', path: quirks.path, signal: combined });
    const text = await readText(res.body, ctx, 8 * 1024, combined);
    if (res.statusCode === 200) {
      if (quirks.readyBody && !quirks.readyBody.test(text)) {
        return {
          ok: false,
          status: 'error',
          code: 'PROTOCOL_ERROR',
          detail: `${ctx.url} answered, but not like ${t.provider}: "${firstLineOf(text)}"`,
        };
      }
      return { ok: true, status: 'ready' };
    }
    // An authenticated server (LM Studio's /v1/models) is up and is the server we expect: not down,
    // not a stranger. Requests will fail AUTH_FAILED until the key is right; the probe says why.
    if (res.statusCode === 401 || res.statusCode === 403) {
      return {
        ok: true,
        status: 'ready',
        code: 'AUTH_FAILED',
        detail: authFailed(ctx, res.statusCode, messageOf(text)).message,
      };
    }
    const detail = `HTTP ${res.statusCode} from ${ctx.url}: ${messageOf(text)}`;
    if (quirks.startingStatus === res.statusCode)
      return { ok: false, status: 'starting', code: `HTTP_${res.statusCode}`, detail };
    return { ok: false, status: 'error', code: `HTTP_${res.statusCode}`, detail };
  } catch (err) {
    if (deadline.timedOut && !signal?.aborted) {
      return {
        ok: false,
        status: 'down',
        code: 'RESPONSE_TIMEOUT',
        detail: `${ctx.url} did not answer within ${HEALTH_TIMEOUT_MS} ms`,
      };
    }
    const e = classifyTransportError(err, ctx, 0, signal);
    const note = e.code === 'CONNECTION_REFUSED' && quirks.refusedNote ? ` (${quirks.refusedNote})` : '';
    return { ok: false, status: DOWN.has(e.code) ? 'down' : 'error', code: e.code, detail: e.message + note };
  } finally {
    deadline.dispose();
  }
}
