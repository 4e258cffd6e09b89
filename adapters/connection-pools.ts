// Connection pools shared per provider endpoint: the health poller, detect, the model check and the
// adapter a request streams through all talk to the same server, so they share one keep-alive undici
// Pool instead of each opening its own (three per `ask` before). The owner (the registry) closes them.
import type { Socket } from 'node:net';
import type { buildConnector as BuildConnector, Pool as PoolType } from 'undici';
import { Pool, buildConnector } from './undici-core.js';
import { assertLoopbackHost } from './loopback-guard.js';

export interface PoolSpec {
  provider: string;
  /** scheme://host:port of the server. */
  origin: string;
  /** Refuse any non-loopback address in the connector (airgapped mode, local providers). */
  loopbackOnly: boolean;
  connectMs: number;
  /** Test seam: sees every socket the pool opens (bytes read, close events). */
  onSocket?: (socket: Socket) => void;
}

export interface ConnectionPools {
  /** The pool for this endpoint, opened on first use. */
  poolFor(spec: PoolSpec): PoolType;
  /** How many pools were opened over this object's life (one per endpoint when shared). */
  readonly opened: number;
  /** Closes every pool; later poolFor calls open new ones. */
  close(): Promise<void>;
}

/** One undici Pool: keep-alive, the connect timeout, and the loopback guard before any socket exists. */
export function openPool(spec: PoolSpec): PoolType {
  const base = buildConnector({ timeout: spec.connectMs, keepAlive: true });
  const connect: BuildConnector.connector = (connectOptions, callback) => {
    if (spec.loopbackOnly) {
      try {
        assertLoopbackHost(connectOptions.hostname, { provider: spec.provider });
      } catch (err) {
        callback(err as Error, null);
        return;
      }
    }
    base(connectOptions, (err, socket) => {
      if (err === null && socket) spec.onSocket?.(socket);
      if (err === null) callback(null, socket);
      else callback(err, null);
    });
  };
  // Headers and body timeouts are per request (a health probe and a stream differ), not per pool.
  return new Pool(spec.origin, { connect, keepAliveTimeout: 10_000, connections: 16 });
}

// The key holds everything the connector depends on: a provider moved to another port, or whose mode
// changed the loopback rule, gets a new pool.
const keyOf = (spec: PoolSpec): string =>
  JSON.stringify([spec.provider, spec.origin, spec.loopbackOnly, spec.connectMs]);

export function createConnectionPools(): ConnectionPools {
  const pools = new Map<string, PoolType>();
  let opened = 0;
  return {
    poolFor(spec) {
      const key = keyOf(spec);
      let pool = pools.get(key);
      if (!pool || pool.closed || pool.destroyed) {
        pool = openPool(spec);
        opened += 1;
        pools.set(key, pool);
      }
      return pool;
    },
    get opened() {
      return opened;
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.allSettled(all.map((p) => p.close()));
    },
  };
}
