// A Hugging Face hub client over undici: model info with file metadata, search, and file downloads (with
// HTTP ranges, following the hub's redirect of LFS files to its CDN). It talks to HF_ENDPOINT only (a
// redirect the hub itself sends is followed, without the token when it leaves the endpoint's origin,
// as huggingface_hub does). Why not @huggingface/hub: see the note in README (it bundles a wasm chunker
// and its cache download neither resumes nor checks sha256; this is ~150 lines on a dependency we have).
import type { Readable } from 'node:stream';
import type { Pool as PoolType } from 'undici';
import { Pool, request } from './undici-core.js';
import type { HubEnv } from './hf-env.js';
import {
  hubAccessRefused,
  modelNotOnHub,
  revisionNotOnHub,
  unexpectedHubStatus,
  type HubErrorContext,
} from './hf-errors.js';
import { classifyTransportError } from './wire-errors.js';

export interface HubFile {
  name: string;
  size: number;
  /** LFS files: the sha256 the hub reports; the downloaded bytes must hash to it. */
  sha256?: string;
  /** The git blob id (non-LFS files are cached under it). */
  blobId?: string;
}

export interface HubModelInfo {
  id: string;
  /** The commit the asked revision resolves to. */
  commit: string;
  gated: boolean;
  private: boolean;
  files: HubFile[];
}

export interface HubResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

interface RawInfo {
  id?: string;
  sha?: string;
  gated?: boolean | string;
  private?: boolean;
  siblings?: { rfilename?: string; size?: number; blobId?: string; lfs?: { sha256?: string; size?: number } }[];
}

const MAX_REDIRECTS = 5;
const TIMEOUTS = { connectMs: 10_000, headersMs: 30_000, bodyMs: 60_000 };

export class HubClient {
  readonly endpoint: string;
  private readonly pools = new Map<string, PoolType>();
  readonly #token: string | undefined;

  constructor(env: Pick<HubEnv, 'endpoint' | 'token'>) {
    this.endpoint = env.endpoint;
    this.#token = env.token;
  }

  context(repoId: string): HubErrorContext {
    return { endpoint: this.endpoint, repoId, tokenSent: this.#token !== undefined };
  }

  /** GET /api/models/{id}/revision/{rev}?blobs=true; 404 → MODEL_NOT_FOUND (with the hub's near names), 401/403 → AUTH_FAILED. */
  async modelInfo(repoId: string, revision: string, opts: { signal?: AbortSignal } = {}): Promise<HubModelInfo> {
    const path = `/api/models/${repoId}/revision/${encodeURIComponent(revision)}?blobs=true`;
    const res = await this.send('GET', `${this.endpoint}${path}`, {}, opts.signal, repoId);
    const text = await res.body
      .setEncoding('utf8')
      .toArray()
      .then((parts) => parts.join(''));
    if (res.status === 404) {
      if (header(res, 'x-error-code') === 'RevisionNotFound') throw revisionNotOnHub(this.context(repoId), revision);
      throw modelNotOnHub(this.context(repoId), await this.suggest(repoId, opts.signal));
    }
    if (res.status === 401 || res.status === 403) throw hubAccessRefused(this.context(repoId), res.status);
    if (res.status !== 200) throw unexpectedHubStatus(this.context(repoId), path, res.status, text);
    let raw: RawInfo;
    try {
      raw = JSON.parse(text) as RawInfo;
    } catch {
      throw unexpectedHubStatus(this.context(repoId), path, res.status, text);
    }
    return {
      id: raw.id ?? repoId,
      commit: raw.sha ?? '',
      gated: raw.gated !== undefined && raw.gated !== false,
      private: raw.private === true,
      files: (raw.siblings ?? [])
        .filter((s) => typeof s.rfilename === 'string')
        .map((s) => ({
          name: s.rfilename as string,
          size: s.lfs?.size ?? s.size ?? 0,
          ...(s.lfs?.sha256 ? { sha256: s.lfs.sha256 } : {}),
          ...(s.blobId ? { blobId: s.blobId } : {}),
        })),
    };
  }

  /** The hub's search, for a did-you-mean; an answer that does not come is no suggestion, not an error. */
  async suggest(repoId: string, signal?: AbortSignal): Promise<string[]> {
    const name = repoId.split('/').pop() ?? repoId;
    for (const query of [name, name.slice(0, Math.max(4, Math.floor(name.length / 2)))]) {
      try {
        const res = await this.send(
          'GET',
          `${this.endpoint}/api/models?search=${encodeURIComponent(query)}&limit=5`,
          {},
          signal,
          repoId,
        );
        const text = await res.body
          .setEncoding('utf8')
          .toArray()
          .then((p) => p.join(''));
        if (res.status !== 200) return [];
        const ids = (JSON.parse(text) as { id?: string }[])
          .map((m) => m.id)
          .filter((id): id is string => typeof id === 'string' && id !== repoId);
        if (ids.length > 0) return ids.slice(0, 3);
      } catch {
        return [];
      }
    }
    return [];
  }

  /** HEAD on a file: a gated repo answers its info but refuses its files; 401/403 → AUTH_FAILED. */
  async checkAccess(repoId: string, revision: string, file: string, signal?: AbortSignal): Promise<void> {
    const res = await this.openFile(repoId, revision, file, { method: 'HEAD', ...(signal ? { signal } : {}) });
    res.body.resume();
    if (res.status === 401 || res.status === 403) throw hubAccessRefused(this.context(repoId), res.status);
  }

  /** GET /{id}/resolve/{rev}/{file}, following the hub's redirects; `from` asks for the bytes from that offset on. */
  async openFile(
    repoId: string,
    revision: string,
    file: string,
    opts: { from?: number; method?: 'GET' | 'HEAD'; signal?: AbortSignal } = {},
  ): Promise<HubResponse> {
    let url = `${this.endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
    const headers: Record<string, string> = opts.from ? { range: `bytes=${opts.from}-` } : {};
    for (let hop = 0; ; hop++) {
      const res = await this.send(opts.method ?? 'GET', url, headers, opts.signal, repoId);
      const location = header(res, 'location');
      if (res.status < 300 || res.status >= 400 || location === undefined || hop >= MAX_REDIRECTS) return res;
      res.body.resume();
      url = new URL(location, url).toString();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => undefined)));
    this.pools.clear();
  }

  private async send(
    method: 'GET' | 'HEAD',
    url: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    repoId: string,
  ): Promise<HubResponse> {
    const target = new URL(url);
    const sameOrigin = target.origin === new URL(this.endpoint).origin;
    const auth = this.#token !== undefined && sameOrigin ? { authorization: `Bearer ${this.#token}` } : {};
    try {
      const res = await request(this.pool(target.origin), {
        method,
        path: `${target.pathname}${target.search}`,
        headers: { 'user-agent': 'acode', ...auth, ...headers },
        headersTimeout: TIMEOUTS.headersMs,
        bodyTimeout: TIMEOUTS.bodyMs,
        ...(signal ? { signal } : {}),
      });
      return { status: res.statusCode, headers: res.headers, body: res.body as unknown as Readable };
    } catch (err) {
      throw classifyTransportError(err, { provider: `huggingface (${repoId})`, url }, 0, signal);
    }
  }

  private pool(origin: string): PoolType {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, { connect: { timeout: TIMEOUTS.connectMs }, connections: 8 });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

export function header(res: Pick<HubResponse, 'headers'>, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
