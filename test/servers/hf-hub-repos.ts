// The repos the hub stand-in serves, generated from their id so every run (and the test that checks a
// download) sees the same bytes: small JSON files stored in git, and weights stored in LFS with their
// sha256, as the real hub reports them (`siblings[].lfs.sha256`, `X-Linked-Etag`).
import { createCipheriv, createHash } from 'node:crypto';

export interface RepoFile {
  name: string;
  bytes: Buffer;
  /** LFS files: the sha256 the hub advertises; git files: null (their etag is the git blob sha1). */
  sha256: string | null;
  /** What the hub sends as ETag / X-Linked-Etag, and the blob name in the cache. */
  etag: string;
}

export interface Repo {
  id: string;
  commit: string;
  files: RepoFile[];
}

const sha1 = (data: string | Buffer): string => createHash('sha1').update(data).digest('hex');
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function gitFile(name: string, text: string): RepoFile {
  const bytes = Buffer.from(text);
  // git's blob id: sha1 over "blob <size>\0<content>".
  const etag = sha1(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]));
  return { name, bytes, sha256: null, etag };
}

function lfsFile(name: string, seed: string, size: number): RepoFile {
  // Deterministic pseudo-random bytes: AES-128-CTR keyed by the seed's sha256 over zeros (fast enough for
  // the bench's hundreds of MB), so a corrupted byte is detectable.
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const bytes = Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
  const digest = sha256(bytes);
  return { name, bytes, sha256: digest, etag: digest };
}

export function makeRepo(id: string, weightBytes: number): Repo {
  const files = [
    gitFile(
      'config.json',
      `${JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 64 }, null, 2)}\n`,
    ),
    gitFile('generation_config.json', `${JSON.stringify({ temperature: 0.7 })}\n`),
    gitFile('tokenizer.json', `${JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: { a: 0, b: 1 } } })}\n`),
    gitFile('tokenizer_config.json', `${JSON.stringify({ model_max_length: 2048 })}\n`),
    gitFile('README.md', `# ${id}\n\nA generated test repo of the acode hub stand-in.\n`),
    lfsFile('model.safetensors', `${id}/model.safetensors`, weightBytes),
    lfsFile('pytorch_model.bin', `${id}/pytorch_model.bin`, weightBytes),
  ];
  return { id, commit: sha1(`${id}@main`), files };
}
