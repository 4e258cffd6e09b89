// The hub cache layout reader and the HF environment, on scratch dirs (never the real ~/.cache/huggingface).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedModel, checkModelDir, modelFilesComplete, repoFolder } from '../../adapters/hf-cache.js';
import { hubEnv } from '../../adapters/hf-env.js';

const COMMIT = 'a'.repeat(40);
const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'acode-hfcache-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Writes a snapshot the way huggingface_hub does: blobs, relative links, refs/main. */
function stage(
  cache: string,
  repoId: string,
  files: Record<string, string>,
  opts: { dangling?: string[] } = {},
): string {
  const folder = repoFolder(cache, repoId);
  const snap = join(folder, 'snapshots', COMMIT);
  mkdirSync(join(folder, 'blobs'), { recursive: true });
  mkdirSync(snap, { recursive: true });
  mkdirSync(join(folder, 'refs'), { recursive: true });
  writeFileSync(join(folder, 'refs', 'main'), COMMIT);
  let n = 0;
  for (const [name, content] of Object.entries(files)) {
    const blob = `blob${(n += 1)}`;
    if (!opts.dangling?.includes(name)) writeFileSync(join(folder, 'blobs', blob), content);
    symlinkSync(join('..', '..', 'blobs', blob), join(snap, name));
  }
  return snap;
}

describe('hubEnv', () => {
  it('honours HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_CACHE and HF_HUB_OFFLINE as huggingface_hub does', () => {
    expect(hubEnv({ HOME: '/h' })).toEqual({
      endpoint: 'https://huggingface.co',
      token: undefined,
      cacheDir: '/h/.cache/huggingface/hub',
      offline: false,
    });
    expect(hubEnv({ HOME: '/h', XDG_CACHE_HOME: '/x' }).cacheDir).toBe('/x/huggingface/hub');
    expect(
      hubEnv({ HF_HOME: '/hf', HF_ENDPOINT: 'http://127.0.0.1:9/', HF_TOKEN: 'hf_x', HF_HUB_OFFLINE: 'YES' }),
    ).toEqual({ endpoint: 'http://127.0.0.1:9', token: 'hf_x', cacheDir: '/hf/hub', offline: true });
    expect(hubEnv({ HF_HOME: '/hf', HF_HUB_CACHE: '/cache' }).cacheDir).toBe('/cache');
    expect(hubEnv({ HF_HUB_OFFLINE: '0' }).offline).toBe(false);
  });
});

describe('modelFilesComplete', () => {
  it('wants a config (config.json or params.json) and weights, and every shard an index names', () => {
    const none = new Map<string, unknown>();
    expect(modelFilesComplete(['config.json', 'model.safetensors'], none)).toEqual({ complete: true, missing: [] });
    expect(modelFilesComplete(['params.json', 'consolidated.safetensors'], none).complete).toBe(true);
    expect(modelFilesComplete(['model.safetensors'], none).missing).toEqual(['config.json or params.json']);
    expect(modelFilesComplete(['config.json', 'tokenizer.json'], none).missing).toEqual([
      'weights (*.safetensors or *.bin)',
    ]);
    const index = new Map([
      [
        'model.safetensors.index.json',
        { weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } },
      ],
    ]);
    expect(
      modelFilesComplete(['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors'], index)
        .missing,
    ).toEqual(['model-00002-of-00002.safetensors']);
  });
});

describe('cachedModel', () => {
  it('reads refs/main and finds a complete snapshot', async () => {
    const cache = scratch();
    const snap = stage(cache, 'org/m', { 'config.json': '{}', 'model.safetensors': 'w' });
    expect(await cachedModel(cache, 'org/m')).toMatchObject({ complete: true, commit: COMMIT, snapshot: snap });
  });

  it('a model missing from the cache, a dangling link or a missing shard is not complete', async () => {
    const cache = scratch();
    expect(await cachedModel(cache, 'org/absent')).toMatchObject({ complete: false, commit: null });
    stage(cache, 'org/m', { 'config.json': '{}', 'model.safetensors': 'w' }, { dangling: ['model.safetensors'] });
    expect(await cachedModel(cache, 'org/m')).toMatchObject({
      complete: false,
      missing: ['weights (*.safetensors or *.bin)'],
    });
    expect(await cachedModel(cache, 'org/m', 'b'.repeat(40))).toMatchObject({ complete: false, snapshot: null });
  });

  it('checks a local model directory the same way', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'config.json'), '{}');
    expect((await checkModelDir(dir)).missing).toEqual(['weights (*.safetensors or *.bin)']);
    writeFileSync(join(dir, 'pytorch_model.bin'), 'w');
    expect((await checkModelDir(dir)).complete).toBe(true);
  });
});
