// `--inspect [url]`: forwards the bus to @statelyai/inspect's WebSocket inspector, for people who use
// Stately's inspector. acode does not start that package's relay (it binds every interface and its UI is
// hosted on the internet): the user runs a relay, and we only connect to one on loopback.
import { connect } from 'node:net';
import { isLoopbackHost } from '../adapters/index.js';
import { AcodeError, type Env } from '../config/index.js';
import type { InspectionBus } from './bus.js';
import { toPlain } from './serialize.js';

export const DEFAULT_STATELY_URL = 'ws://127.0.0.1:8080';

export interface StatelyConnection {
  readonly url: string;
  close(): void;
}

/** Parses and checks the relay URL: ws(s) on a loopback host only. */
export function relayUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new AcodeError(
      'USAGE',
      `--inspect: "${text}" is not a URL.`,
      `Pass a WebSocket URL such as ${DEFAULT_STATELY_URL}.`,
      { cause },
    );
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new AcodeError(
      'USAGE',
      `--inspect: ${text} is not a ws:// URL.`,
      `Pass a WebSocket URL such as ${DEFAULT_STATELY_URL}.`,
    );
  }
  if (!isLoopbackHost(url.hostname)) {
    throw new AcodeError(
      'AIRGAP_VIOLATION',
      `--inspect: ${url.hostname} is not a loopback address; acode sends inspection data to 127.0.0.1 or ::1 only.`,
      `Run the relay on this machine and pass ${DEFAULT_STATELY_URL}, or use \`acode inspect\` (offline page on 127.0.0.1).`,
    );
  }
  return url;
}

// One TCP connect, so a missing relay is reported once instead of the inspector's endless 5 s retries.
function reachable(url: URL, { signal }: { signal?: AbortSignal } = {}): Promise<boolean> {
  const port = Number(url.port || (url.protocol === 'wss:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({
      host: host === 'localhost' ? '127.0.0.1' : host,
      port,
      timeout: 2000,
      ...(signal ? { signal } : {}),
    });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Connects, or returns undefined (after `warn`) when no relay listens there. */
export async function connectStatelyInspector(
  text: string,
  bus: InspectionBus,
  { env, warn, signal }: { env: Env; warn: (line: string) => void; signal?: AbortSignal },
): Promise<StatelyConnection | undefined> {
  const url = relayUrl(text);
  if (!(await reachable(url, signal ? { signal } : {}))) {
    warn(
      `warning: --inspect: nothing listens on ${url.href}; continuing without the Stately inspector (try \`acode inspect\` for the offline page)`,
    );
    return undefined;
  }
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  const inspector = createWebSocketInspector({
    url: url.href,
    sanitizeEvent: (e) => toPlain(e, env),
    sanitizeContext: (c) => toPlain(c, env),
  });
  const unsubscribe = bus.subscribe((event) => inspector.inspect.next?.(event));
  return {
    url: url.href,
    close() {
      unsubscribe();
      // The adapter reconnects on error forever; detach its handlers so a closing socket cannot re-arm it.
      const ws = (inspector.adapter as unknown as { ws?: { onerror: unknown; onclose: unknown } }).ws;
      if (ws) {
        ws.onerror = () => {};
        ws.onclose = () => {};
      }
      inspector.stop();
    },
  };
}
