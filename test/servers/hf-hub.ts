#!/usr/bin/env node
// Stand-in for the Hugging Face hub (what HF_ENDPOINT points at): model info with file metadata, search,
// and `resolve` downloads with the hub's headers (X-Repo-Commit, ETag / X-Linked-Etag, X-Linked-Size), LFS
// files redirected to a CDN route that honours HTTP ranges. Knobs (ACODE_HUB_*): gated and private repos,
// a slow body, a connection cut mid-file, corrupted bytes. Listens on loopback only.
//   node hf-hub.js --host 127.0.0.1 --port N   (prints `hf-hub listening on http://host:port`)
import { appendFileSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs, requireLoopback } from './lib/boot.js';
import { parseHubKnobs, type HubKnobs } from './lib/hub-knobs.js';
import { KnobError } from './lib/knobs.js';
import { delay } from './lib/runtime.js';
import { makeRepo, type Repo, type RepoFile } from './hf-hub-repos.js';

type Access = 'ok' | 'no-token' | 'bad-token';

function access(knobs: HubKnobs, repo: Repo, req: IncomingMessage): Access {
  if (!knobs.gated.includes(repo.id) && !knobs.private.includes(repo.id)) return 'ok';
  const auth = req.headers.authorization;
  if (auth === undefined) return 'no-token';
  return auth === `Bearer ${knobs.token}` ? 'ok' : 'bad-token';
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer = ''): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'Content-Length': String(buf.length) });
  res.end(buf);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(body));
}

const repoNotFound = (res: ServerResponse, status: 401 | 404): void =>
  json(
    res,
    status,
    { error: 'Repository not found' },
    { 'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Repository not found' },
  );

function refuse(res: ServerResponse, knobs: HubKnobs, repo: Repo, why: Access): void {
  if (knobs.private.includes(repo.id)) return repoNotFound(res, 401);
  const message = `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
  json(
    res,
    why === 'no-token' ? 401 : 403,
    { error: message },
    { 'X-Error-Code': 'GatedRepo', 'X-Error-Message': message },
  );
}

function modelInfo(knobs: HubKnobs, repo: Repo): unknown {
  return {
    _id: repo.commit.slice(0, 24),
    id: repo.id,
    modelId: repo.id,
    sha: repo.commit,
    private: knobs.private.includes(repo.id),
    gated: knobs.gated.includes(repo.id) ? 'manual' : false,
    disabled: false,
    tags: ['safetensors'],
    library_name: 'transformers',
    siblings: repo.files.map((f) => ({
      rfilename: f.name,
      blobId: f.etag,
      size: f.bytes.length,
      ...(f.sha256 ? { lfs: { sha256: f.sha256, size: f.bytes.length, pointerSize: 134 } } : {}),
    })),
    usedStorage: repo.files.reduce((n, f) => n + f.bytes.length, 0),
  };
}

/** Writes `body` paced by the slow knob; stops (destroying the socket) after `cutAt` bytes when given. */
async function stream(res: ServerResponse, body: Buffer, bps: number | null, cutAt: number | null): Promise<void> {
  const end = cutAt === null ? body.length : Math.min(cutAt, body.length);
  const slice = bps === null ? 64 * 1024 : Math.max(1, Math.floor(bps / 20));
  for (let off = 0; off < end && !res.destroyed; off += slice) {
    const part = body.subarray(off, Math.min(off + slice, end));
    if (!res.write(part)) await new Promise((r) => res.once('drain', r));
    if (bps !== null) await delay(50);
  }
  if (cutAt !== null && cutAt < body.length) {
    await delay(20);
    res.destroy();
    return;
  }
  res.end();
}

/** The hub's HTTP server over these knobs, not listening yet (the suite's global hub runs it in-process). */
export function hubServer(knobs: HubKnobs): Server {
  const repos = new Map(knobs.repos.map((id) => [id, makeRepo(id, knobs.weightBytes)]));
  const blobs = new Map<string, { repo: Repo; file: RepoFile }>();
  for (const repo of repos.values())
    for (const file of repo.files) if (file.sha256) blobs.set(file.sha256, { repo, file });
  const cutDone = new Set<string>();

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    if (knobs.requestLog !== null) {
      appendFileSync(
        knobs.requestLog,
        `${JSON.stringify({ method: req.method, path: url.pathname, search: url.search, range: req.headers.range ?? null, token: req.headers.authorization !== undefined })}\n`,
      );
    }
    void handle(req, res, url, path).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    if (path === '/api/models' && req.method === 'GET') {
      const q = (url.searchParams.get('search') ?? '').toLowerCase();
      const limit = Number(url.searchParams.get('limit') ?? '20');
      const hits = [...repos.values()]
        .filter((r) => !knobs.private.includes(r.id) && r.id.toLowerCase().includes(q))
        .slice(0, limit);
      return json(
        res,
        200,
        hits.map((r) => ({ _id: r.commit.slice(0, 24), id: r.id, modelId: r.id })),
      );
    }
    const info = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/.exec(path);
    if (info && req.method === 'GET') {
      const repo = repos.get(info[1] ?? '');
      if (!repo) return repoNotFound(res, 404);
      if (knobs.private.includes(repo.id) && access(knobs, repo, req) !== 'ok') return repoNotFound(res, 401);
      const rev = info[2] ?? 'main';
      if (rev !== 'main' && rev !== repo.commit)
        return json(res, 404, { error: `Invalid rev id: ${rev}` }, { 'X-Error-Code': 'RevisionNotFound' });
      return json(res, 200, modelInfo(knobs, repo));
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve && (req.method === 'GET' || req.method === 'HEAD')) {
      const repo = repos.get(resolve[1] ?? '');
      if (!repo) return repoNotFound(res, 404);
      const ok = access(knobs, repo, req);
      if (ok !== 'ok') return refuse(res, knobs, repo, ok);
      const rev = resolve[2] ?? 'main';
      if (rev !== 'main' && rev !== repo.commit)
        return json(res, 404, { error: `Invalid rev id: ${rev}` }, { 'X-Error-Code': 'RevisionNotFound' });
      const file = repo.files.find((f) => f.name === resolve[3]);
      if (!file) return json(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
      const common = { 'X-Repo-Commit': repo.commit, 'X-Linked-Size': String(file.bytes.length) };
      if (file.sha256) {
        // The real hub redirects LFS files to its CDN; here the CDN is a route of the same server.
        return send(res, 302, {
          ...common,
          'X-Linked-Etag': `"${file.etag}"`,
          ETag: `"${file.etag}"`,
          Location: `/cdn-lfs/${file.sha256}`,
        });
      }
      const headers = { ...common, ETag: `"${file.etag}"`, 'Content-Type': 'text/plain; charset=utf-8' };
      if (req.method === 'HEAD')
        return void (res.writeHead(200, { ...headers, 'Content-Length': String(file.bytes.length) }), res.end());
      res.writeHead(200, { ...headers, 'Content-Length': String(file.bytes.length) });
      return stream(res, file.bytes, knobs.slowBytesPerSecond, null);
    }
    const cdn = /^\/cdn-lfs\/([0-9a-f]{64})$/.exec(path);
    if (cdn && (req.method === 'GET' || req.method === 'HEAD')) {
      const blob = blobs.get(cdn[1] ?? '');
      if (!blob) return send(res, 404, { 'Content-Type': 'text/plain' }, 'NoSuchKey');
      let body = blob.file.bytes;
      if (knobs.corrupt.includes(blob.file.name)) {
        body = Buffer.from(body);
        body[Math.floor(body.length / 2)] = (body[Math.floor(body.length / 2)] ?? 0) ^ 0xff;
      }
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const end = range && range[2] !== '' ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      if (range && start >= body.length) return send(res, 416, { 'Content-Range': `bytes */${body.length}` });
      const part = body.subarray(start, end + 1);
      const headers: Record<string, string> = {
        'Content-Type': 'application/octet-stream',
        'Accept-Ranges': 'bytes',
        ETag: `"${blob.file.etag}"`,
        'Content-Length': String(part.length),
      };
      if (range) headers['Content-Range'] = `bytes ${start}-${end}/${body.length}`;
      res.writeHead(range ? 206 : 200, headers);
      if (req.method === 'HEAD') return void res.end();
      // The cut knob drops the first whole-file transfer of each blob; a resumed (ranged) one completes.
      const cut =
        knobs.cutAfterBytes !== null && start === 0 && !cutDone.has(blob.file.etag) ? knobs.cutAfterBytes : null;
      if (cut !== null) cutDone.add(blob.file.etag);
      return stream(res, part, knobs.slowBytesPerSecond, cut);
    }
    return send(res, 404, { 'Content-Type': 'text/plain' }, 'Not Found');
  }
  return server;
}

function main(): void {
  let knobs: HubKnobs;
  try {
    knobs = parseHubKnobs(process.env);
  } catch (err) {
    if (!(err instanceof KnobError)) throw err;
    process.stderr.write(`hf-hub (acode fake): ${err.message}\n`);
    process.exit(2);
  }
  const { flags } = parseArgs(process.argv.slice(2), {}, new Set());
  const host = requireLoopback(flags.get('host') ?? '127.0.0.1', 'hf-hub');
  const port = Number(flags.get('port') ?? '0');
  const server = hubServer(knobs);
  server.listen({ host, port, exclusive: true }, () => {
    const addr = server.address();
    const bound = typeof addr === 'object' && addr ? addr.port : port;
    process.stdout.write(`hf-hub listening on http://${host.includes(':') ? `[${host}]` : host}:${bound}\n`);
  });
  server.on('error', (err) => {
    process.stderr.write(`hf-hub (acode fake): ${err.message}\n`);
    process.exit(1);
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// Run as a process (bin shim, startHub); imported, it only exports hubServer.
if (process.argv[1] !== undefined && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1]))
  main();
