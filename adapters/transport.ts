// One undici Pool per provider: keep-alive, explicit connect/headers/body timeouts, the loopback guard
// in the connector, and helpers that turn status codes and bodies into typed errors.
import type { Socket } from 'node:net';
import type { Dispatcher, Pool as PoolType } from 'undici';
import { request } from './undici-core.js';
import type { RequestTimeouts } from '../config/index.js';
import { openPool, type ConnectionPools } from './connection-pools.js';
import { classifyTransportError, httpStatusError, protocolError, type WireContext } from './wire-errors.js';

export interface Timeouts {
  /** TCP connect. */
  connectMs: number;
  /** Until the response headers, and until the first streamed token (both wait on prompt processing). */
  headersMs: number;
  /** Between two body chunks, and between two decoded tokens (so a trickle of bytes still times out). */
  bodyMs: number;
}

/** The config's `timeouts` section in the transport's terms. */
export function timeoutsOf(config: RequestTimeouts): Timeouts {
  return {
    connectMs: config.connectSeconds * 1000,
    headersMs: config.responseSeconds * 1000,
    bodyMs: config.idleSeconds * 1000,
  };
}
/** Health probes must answer fast or count as a miss. */
export const HEALTH_TIMEOUT_MS = 2_000;
/** Error bodies are read up to this size; the rest is not our business. */
const MAX_ERROR_BODY = 64 * 1024;

export interface TransportOptions {
  provider: string;
  baseUrl: string;
  /** Refuse any non-loopback address in the connector (airgapped mode, local providers). */
  loopbackOnly: boolean;
  timeouts: Timeouts;
  /** The variable the key comes from (for messages) and its value; sent as `Authorization: Bearer`. */
  apiKey?: ApiKey;
  /** Test seam: sees every socket the pool opens (bytes read, close events). */
  onSocket?: (socket: Socket) => void;
  /** Shared pools (one per endpoint, closed by their owner); without them the transport owns its pool. */
  pools?: ConnectionPools;
}

export interface ApiKey {
  env?: string;
  value?: string;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'HEAD';
  path: string;
  json?: unknown;
  signal?: AbortSignal;
}

export class Transport {
  readonly provider: string;
  readonly baseUrl: string;
  readonly timeouts: Timeouts;
  private readonly pool: PoolType;
  private readonly ownsPool: boolean;
  private readonly apiKeyEnv: string | undefined;
  // An ES private field: invisible to JSON.stringify, util.inspect and the recorder; only send() reads it.
  readonly #authorization: string | undefined;

  constructor(options: TransportOptions) {
    this.provider = options.provider;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeouts = options.timeouts;
    this.apiKeyEnv = options.apiKey?.env;
    this.#authorization = options.apiKey?.value ? `Bearer ${options.apiKey.value}` : undefined;
    const spec = {
      provider: options.provider,
      origin: new URL(this.baseUrl).origin,
      loopbackOnly: options.loopbackOnly,
      connectMs: options.timeouts.connectMs,
      ...(options.onSocket ? { onSocket: options.onSocket } : {}),
    };
    this.ownsPool = options.pools === undefined;
    this.pool = options.pools ? options.pools.poolFor(spec) : openPool(spec);
  }

  context(path: string): WireContext {
    return {
      provider: this.provider,
      url: this.baseUrl + path,
      apiKey: { env: this.apiKeyEnv, sent: this.#authorization !== undefined },
    };
  }

  /** Sends one request; transport failures come back as AcodeErrors, any status is returned as is. */
  async send(spec: RequestSpec): Promise<Dispatcher.ResponseData> {
    const ctx = this.context(spec.path);
    const headers: Record<string, string> =
      spec.json === undefined ? { accept: '*/*' } : { 'content-type': 'application/json', accept: '*/*' };
    if (this.#authorization !== undefined) headers.authorization = this.#authorization;
    try {
      return await request(this.pool, {
        method: spec.method,
        path: spec.path,
        headers,
        body: spec.json === undefined ? undefined : JSON.stringify(spec.json),
        signal: spec.signal,
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyMs,
      });
    } catch (err) {
      throw classifyTransportError(err, ctx, 0, spec.signal);
    }
  }

  /** Sends, then fails on a non-2xx status with the server's own message (and drops the body). */
  async open(spec: RequestSpec & { model?: string }): Promise<Dispatcher.ResponseData> {
    const res = await this.send(spec);
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    const text = await readText(res.body, this.context(spec.path), MAX_ERROR_BODY, spec.signal);
    throw httpStatusError(this.context(spec.path), res.statusCode, text, spec.model);
  }

  /** A small JSON answer (lists, model info): status checked, body parsed, garbage is PROTOCOL_ERROR. */
  async json<T>(spec: RequestSpec & { model?: string }): Promise<T> {
    const res = await this.open(spec);
    const ctx = this.context(spec.path);
    const text = await readText(res.body, ctx, 16 * 1024 * 1024, spec.signal);
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw protocolError(ctx, 'invalid JSON', text, err);
    }
  }

  /** Closes the pool if this transport owns it; a shared one is closed by its owner. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }
}

/** Reads a body up to `max` bytes as UTF-8; longer bodies are cut (and the socket released). */
export async function readText(
  body: Dispatcher.ResponseData['body'],
  ctx: WireContext,
  max: number,
  signal?: AbortSignal,
): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      parts.push(buf);
      size += buf.length;
      if (size >= max) break;
    }
  } catch (err) {
    throw classifyTransportError(err, ctx, 0, signal);
  } finally {
    body.destroy();
  }
  return Buffer.concat(parts).subarray(0, max).toString('utf8');
}

/** The media type without parameters, lower-cased: `text/event-stream; charset=utf-8` -> `text/event-stream`. */
export function mediaType(headers: Dispatcher.ResponseData['headers']): string {
  const raw = headers['content-type'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The first bytes of a body, for a PROTOCOL_ERROR message; the rest is dropped with the socket. */
export async function firstBytes(
  body: Dispatcher.ResponseData['body'],
  ctx: WireContext,
  signal?: AbortSignal,
  max = 80,
): Promise<Buffer> {
  try {
    for await (const chunk of body) return (chunk as Buffer).subarray(0, max);
  } catch (err) {
    // No bytes at all (a hang, a reset): that is the failure to report, not the content type.
    throw classifyTransportError(err, ctx, 0, signal);
  } finally {
    body.destroy();
  }
  return Buffer.alloc(0);
}
