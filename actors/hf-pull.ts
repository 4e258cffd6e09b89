// `acode models pull org/name --provider vllm`: downloads what vLLM needs into the hub cache layout, so
// vLLM (and any HF tool) loads it offline. Each file goes to blobs/<etag>.incomplete (resumed with an HTTP
// range after an interruption), is checked (LFS: the hub's sha256; git files: their blob id; hashed as
// the bytes stream in, so the file is not read a second time), renamed to
// blobs/<etag>, and only then linked into snapshots/<commit>/ (link made aside, renamed into place), so no
// half-written file is ever visible there. One lock per model: a second acode pulling the same model
// waits, then finds the blobs and downloads nothing.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, statfs, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { AcodeError, isAcodeError } from '../config/index.js';
import { HubClient, repoFolder, type HubEnv, type HubFile } from '../adapters/index.js';
import { header } from '../adapters/hf-client.js';
import { hubAccessRefused } from '../adapters/hf-errors.js';
import { acquireFileLock } from './lock.js';
import { selectFiles, type WeightsFormat } from './hf-select.js';
import { processLogger } from '../log/index.js';

export interface HubPullProgress {
  file: string;
  fileCompleted: number;
  fileTotal: number;
  completed: number;
  total: number;
  /** Bytes per second over this run's downloading (0 before the first byte). */
  bytesPerSecond: number;
  /** Seconds left at that rate, or null while it is unknown. */
  etaSeconds: number | null;
}

export interface HubPullOptions {
  revision?: string;
  weights?: WeightsFormat;
  signal?: AbortSignal;
  onProgress?: (p: HubPullProgress) => void;
  /** Free bytes at a directory (statfs); a seam so the disk check can be exercised without a full disk. */
  freeBytes?: (dir: string) => Promise<number>;
  /** A pull in another process may take long: how long to wait for its lock. */
  lockTimeoutMs?: number;
}

export interface HubPullResult {
  repoId: string;
  commit: string;
  snapshot: string;
  files: string[];
  /** Bytes this run fetched from the hub (0 when everything was already in the cache). */
  downloaded: number;
}

const ATTEMPTS = 4;
const COMMIT = /^[0-9a-f]{40}$/;

async function sizeOf(path: string): Promise<number | null> {
  return stat(path).then(
    (s) => s.size,
    () => null,
  );
}

async function systemFreeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

async function digestOf(path: string, algorithm: 'sha256' | 'sha1', prefix?: Buffer): Promise<string> {
  const hash = createHash(algorithm);
  if (prefix) hash.update(prefix);
  await pipeline(createReadStream(path), async function (source) {
    for await (const chunk of source) hash.update(chunk as Buffer);
  });
  return hash.digest('hex');
}

/** The cache names a file's blob by its etag: the sha256 for LFS files, the git blob id otherwise. */
function etagOf(file: HubFile): string {
  return file.sha256 ?? file.blobId ?? '';
}

function pullFailed(
  repoId: string,
  message: string,
  hint: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): AcodeError {
  return new AcodeError('PULL_FAILED', message, hint, {
    ...(cause ? { cause } : {}),
    details: { model: repoId, ...details },
  });
}

export async function pullHubModel(hub: HubEnv, repoId: string, opts: HubPullOptions = {}): Promise<HubPullResult> {
  const revision = opts.revision ?? 'main';
  const client = new HubClient(hub);
  try {
    const info = await client.modelInfo(repoId, revision, opts.signal ? { signal: opts.signal } : {});
    if (!COMMIT.test(info.commit)) {
      throw new AcodeError(
        'PROTOCOL_ERROR',
        `Hugging Face (${hub.endpoint}) gave no commit for '${repoId}' at ${revision}.`,
        'Check HF_ENDPOINT: a mirror must answer /api/models/{id}/revision/{rev} with the commit in `sha`.',
        { details: { model: repoId, revision } },
      );
    }
    const wanted = selectFiles(info.files, opts.weights ?? 'auto');
    if (!wanted.some((f) => /\.(safetensors|bin|pt)$/.test(f.name))) {
      throw pullFailed(
        repoId,
        `Model '${repoId}' has no ${opts.weights === 'bin' ? '*.bin' : opts.weights === 'safetensors' ? '*.safetensors' : 'safetensors or *.bin'} weights on the hub.`,
        `Look at ${hub.endpoint}/${repoId}/tree/${revision}; pass --weights safetensors or --weights bin to pick the format it has.`,
      );
    }
    if (info.gated || info.private)
      await client.checkAccess(repoId, info.commit, wanted[0]?.name ?? 'config.json', opts.signal);
    const folder = repoFolder(hub.cacheDir, repoId);
    await mkdir(join(folder, 'blobs'), { recursive: true });
    const lock = await acquireFileLock(
      join(hub.cacheDir, '.locks', `models--${repoId.split('/').join('--')}`, 'acode-pull.lock'),
      { id: repoId, what: 'the download lock' },
      {
        ...(opts.signal ? { signal: opts.signal } : {}),
        timeoutMs: opts.lockTimeoutMs ?? 24 * 3600_000,
        retryMs: 250,
        log: processLogger(),
      },
    ).catch((err: unknown) => {
      if (!opts.signal?.aborted) throw err;
      throw new AcodeError(
        'ABORTED',
        `Pull of '${repoId}' cancelled while another acode process was downloading it.`,
        'Run the pull again when you are ready; the other download carries on.',
        { cause: err, details: { model: repoId } },
      );
    });
    processLogger().info(
      { model: repoId, revision, commit: info.commit, files: wanted.length, endpoint: hub.endpoint },
      'pulling from the hub',
    );
    try {
      const result = await pullLocked(client, hub, repoId, revision, info.commit, wanted, folder, opts);
      processLogger().info({ model: repoId, commit: result.commit, downloaded: result.downloaded }, 'hub pull done');
      return result;
    } finally {
      await lock.release();
    }
  } finally {
    await client.close();
  }
}

async function pullLocked(
  client: HubClient,
  hub: HubEnv,
  repoId: string,
  revision: string,
  commit: string,
  files: HubFile[],
  folder: string,
  opts: HubPullOptions,
): Promise<HubPullResult> {
  const total = files.reduce((n, f) => n + f.size, 0);
  // The cache's complete blobs and partial downloads count as done: the disk must hold only the rest.
  let have = 0;
  for (const f of files) {
    const blob = join(folder, 'blobs', etagOf(f));
    have += (await sizeOf(blob)) ?? (await sizeOf(`${blob}.incomplete`)) ?? 0;
  }
  const free = await (opts.freeBytes ?? systemFreeBytes)(folder);
  if (free < total - have) {
    throw pullFailed(
      repoId,
      `Not enough disk space to pull '${repoId}': it needs ${total - have} more bytes, ${free} are free at ${hub.cacheDir}.`,
      'Free some space, or point HF_HOME (or HF_HUB_CACHE) at a disk with room.',
      { needed: total - have, free },
    );
  }
  const started = Date.now();
  let doneFiles = 0;
  let fetched = 0;
  const report = (file: HubFile, fileCompleted: number): void => {
    if (!opts.onProgress) return;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 && fetched > 0 ? fetched / seconds : 0;
    const completed = doneFiles + fileCompleted;
    opts.onProgress({
      file: file.name,
      fileCompleted,
      fileTotal: file.size,
      completed,
      total,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? (total - completed) / rate : null,
    });
  };
  const snapshot = join(folder, 'snapshots', commit);
  const scratch = join(hub.cacheDir, '.locks', `models--${repoId.split('/').join('--')}`);
  for (const file of files) {
    const blob = join(folder, 'blobs', etagOf(file));
    if ((await sizeOf(blob)) === null) {
      await downloadBlob(
        client,
        repoId,
        commit,
        file,
        blob,
        (size, delta) => {
          fetched += delta;
          report(file, size);
        },
        opts.signal,
      );
    }
    await linkAtomic(blob, join(snapshot, file.name), scratch);
    report(file, file.size);
    doneFiles += file.size;
  }
  if (!COMMIT.test(revision)) await writeAtomic(join(folder, 'refs', revision), commit);
  return { repoId, commit, snapshot, files: files.map((f) => f.name), downloaded: fetched };
}

const RETRYABLE = new Set(['STREAM_INTERRUPTED', 'RESPONSE_TIMEOUT', 'CONNECTION_REFUSED', 'CONNECT_TIMEOUT']);

/** Downloads one file into blob.incomplete (resuming what is there), checks it, renames it to the blob. */
async function downloadBlob(
  client: HubClient,
  repoId: string,
  commit: string,
  file: HubFile,
  blob: string,
  onBytes: (size: number, delta: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const partial = `${blob}.incomplete`;
  // The digest of what a fetch streamed (computed as the bytes arrive, so the file is not read again).
  let streamed: string | null;
  for (let attempt = 1; ; attempt++) {
    let from = (await sizeOf(partial)) ?? 0;
    if (from > file.size) {
      await rm(partial, { force: true });
      from = 0;
    }
    try {
      streamed =
        from < file.size || file.size === 0
          ? await fetchInto(client, repoId, commit, file, partial, from, onBytes, signal)
          : null;
      break;
    } catch (err) {
      if (signal?.aborted) {
        throw new AcodeError(
          'ABORTED',
          `Pull of '${repoId}' cancelled during ${file.name}.`,
          'Run the same pull again: it resumes from the bytes already downloaded.',
          { cause: err, details: { model: repoId, file: file.name } },
        );
      }
      const retry = !isAcodeError(err) || RETRYABLE.has(err.code);
      if (!retry) throw err;
      processLogger()[attempt >= ATTEMPTS ? 'warn' : 'info'](
        {
          model: repoId,
          file: file.name,
          attempt,
          attempts: ATTEMPTS,
          from,
          code: isAcodeError(err) ? err.code : undefined,
        },
        attempt >= ATTEMPTS ? 'download failed: giving up' : 'download interrupted: resuming',
      );
      if (attempt >= ATTEMPTS) {
        throw pullFailed(
          repoId,
          `Downloading ${file.name} of '${repoId}' failed ${ATTEMPTS} times: ${err instanceof Error ? err.message : String(err)}`,
          'Check the network and run the pull again: it resumes from the bytes already downloaded.',
          { file: file.name },
          err,
        );
      }
    }
  }
  const size = (await sizeOf(partial)) ?? 0;
  const check = checkOf(file);
  const ok =
    size === file.size &&
    (check === null || (streamed ?? (await digestOf(partial, check.algorithm, check.prefix))) === check.expected);
  if (!ok) {
    await rm(partial, { force: true });
    throw pullFailed(
      repoId,
      `Downloaded ${file.name} of '${repoId}' does not match the hub's ${file.sha256 ? 'sha256' : 'checksum'}; the file was deleted.`,
      'Run the pull again; if it fails the same way, a proxy or mirror (HF_ENDPOINT) is altering the file.',
      { file: file.name, expected: file.sha256 ?? file.blobId, size, expectedSize: file.size },
    );
  }
  await rename(partial, blob);
}

/** How a file is checked: LFS files by the hub's sha256, git files by their blob id (sha1 over `blob <size>\0` + bytes). */
function checkOf(file: HubFile): { algorithm: 'sha256' | 'sha1'; prefix?: Buffer; expected: string } | null {
  if (file.sha256) return { algorithm: 'sha256', expected: file.sha256 };
  if (file.blobId !== undefined)
    return { algorithm: 'sha1', prefix: Buffer.from(`blob ${file.size}\0`), expected: file.blobId };
  return null;
}

/** Streams the file (from `from` on) into `partial`; returns the digest of the whole file for its check. */
async function fetchInto(
  client: HubClient,
  repoId: string,
  commit: string,
  file: HubFile,
  partial: string,
  from: number,
  onBytes: (size: number, delta: number) => void,
  signal: AbortSignal | undefined,
): Promise<string | null> {
  const res = await client.openFile(repoId, commit, file.name, { from, ...(signal ? { signal } : {}) });
  if (res.status === 401 || res.status === 403) {
    res.body.resume();
    throw hubAccessRefused(client.context(repoId), res.status);
  }
  if (res.status === 416) {
    // The partial file is not a prefix the server can continue: start over.
    res.body.resume();
    await rm(partial, { force: true });
    throw new AcodeError(
      'STREAM_INTERRUPTED',
      `${file.name}: the hub refused to resume at byte ${from}.`,
      'Retrying from the start.',
    );
  }
  if (res.status !== 200 && res.status !== 206) {
    const text = await res.body
      .setEncoding('utf8')
      .toArray()
      .then(
        (p) => p.join('').slice(0, 120),
        () => '',
      );
    throw pullFailed(
      repoId,
      `Hugging Face answered HTTP ${res.status} for ${file.name} of '${repoId}': ${text.trim() || 'no body'}.`,
      'Try again later; if it persists, check HF_ENDPOINT.',
      { file: file.name, status: res.status, commit: header(res, 'x-repo-commit') },
    );
  }
  // 200 to a ranged request: the server sent the whole file, so write it from the start.
  let size = res.status === 206 ? from : 0;
  const check = checkOf(file);
  const hash = check ? createHash(check.algorithm) : null;
  if (hash && check?.prefix) hash.update(check.prefix);
  // A resumed file: the bytes already on disk go into the digest first (read once, here).
  if (hash && size > 0) {
    await pipeline(createReadStream(partial, { end: size - 1 }), async function (source) {
      for await (const chunk of source) hash.update(chunk as Buffer);
    });
  }
  onBytes(size, 0);
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      hash?.update(chunk);
      onBytes(size, chunk.length);
      done(null, chunk);
    },
  });
  await pipeline(
    res.body,
    count,
    createWriteStream(partial, { flags: res.status === 206 ? 'a' : 'w' }),
    signal ? { signal } : {},
  );
  return hash ? hash.digest('hex') : null;
}

/** A snapshot link appears whole or not at all: made in the scratch dir, renamed into place. */
async function linkAtomic(blob: string, link: string, scratch: string): Promise<void> {
  await mkdir(dirname(link), { recursive: true });
  await mkdir(scratch, { recursive: true });
  const tmp = join(scratch, `link-${process.pid}-${Math.random().toString(36).slice(2)}`);
  await symlink(relative(dirname(link), blob), tmp);
  await rename(tmp, link);
}

async function writeAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}
