// The hub cache layout huggingface_hub writes and vLLM reads offline:
//   <cache>/models--org--name/blobs/<etag>          file contents, named by sha256 (LFS) or git blob sha1
//   <cache>/models--org--name/snapshots/<commit>/f  relative symlinks into ../../blobs
//   <cache>/models--org--name/refs/<branch>         the commit a branch pointed at when last fetched
// and whether a directory (a snapshot, or a local model path) holds what vLLM needs to load a model.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export function repoFolder(cacheDir: string, repoId: string): string {
  return join(cacheDir, `models--${repoId.split('/').join('--')}`);
}

const COMMIT = /^[0-9a-f]{40}$/;
const WEIGHTS = /\.(safetensors|bin|pt|pth|gguf)$/;
const CONFIGS = ['config.json', 'params.json'];

export interface Completeness {
  complete: boolean;
  /** What is missing, in words a message can quote ("config.json or params.json", a shard name, "weights"). */
  missing: string[];
}

/**
 * Pure: given the files of a model directory and the contents of its weight index files, is it loadable?
 * vLLM needs config.json (HF) or params.json (Mistral), and weights; a sharded checkpoint needs every
 * shard its index names.
 */
export function modelFilesComplete(files: readonly string[], indexes: ReadonlyMap<string, unknown>): Completeness {
  const have = new Set(files);
  const missing: string[] = [];
  if (!CONFIGS.some((c) => have.has(c))) missing.push('config.json or params.json');
  const weights = files.filter((f) => WEIGHTS.test(f) && !f.startsWith('training_args'));
  if (weights.length === 0) missing.push('weights (*.safetensors or *.bin)');
  for (const index of indexes.values()) {
    const map = (index as { weight_map?: Record<string, string> } | null)?.weight_map ?? {};
    for (const shard of new Set(Object.values(map))) if (!have.has(shard)) missing.push(shard);
  }
  return { complete: missing.length === 0, missing };
}

/** Files of a directory (one level deep is what a checkpoint uses) that can actually be read: a dangling snapshot link does not count. */
async function readableFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const ok = await Promise.all(
    entries.map(async (name) => {
      const s = await stat(join(dir, name)).catch(() => undefined);
      return s?.isFile() ? name : undefined;
    }),
  );
  return ok.filter((n): n is string => n !== undefined);
}

/** Checks a model directory (local path or snapshot) for what vLLM needs. */
export async function checkModelDir(dir: string): Promise<Completeness> {
  const files = await readableFiles(dir);
  const indexes = new Map<string, unknown>();
  for (const f of files.filter((n) => n.endsWith('.index.json'))) {
    indexes.set(
      f,
      await readFile(join(dir, f), 'utf8')
        .then((t) => JSON.parse(t) as unknown)
        .catch(() => null),
    );
  }
  return modelFilesComplete(files, indexes);
}

export interface CachedModel extends Completeness {
  repoId: string;
  /** The commit the revision resolves to in the cache, or null when the cache has no ref for it. */
  commit: string | null;
  /** The snapshot directory (a model path vLLM could load), or null. */
  snapshot: string | null;
  folder: string;
}

/** Is `repoId` at `revision` complete in the cache? Reads refs/<revision> (or takes a commit as is). */
export async function cachedModel(cacheDir: string, repoId: string, revision = 'main'): Promise<CachedModel> {
  const folder = repoFolder(cacheDir, repoId);
  const ref = COMMIT.test(revision)
    ? revision
    : (await readFile(join(folder, 'refs', revision), 'utf8').catch(() => '')).trim();
  if (ref === '')
    return { repoId, commit: null, snapshot: null, folder, complete: false, missing: [`${repoId} (not in the cache)`] };
  const snapshot = join(folder, 'snapshots', ref);
  const exists = await stat(snapshot).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!exists)
    return {
      repoId,
      commit: ref,
      snapshot: null,
      folder,
      complete: false,
      missing: [`${repoId} (snapshot ${ref} missing)`],
    };
  return { repoId, commit: ref, snapshot, folder, ...(await checkModelDir(snapshot)) };
}
