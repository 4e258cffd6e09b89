// The pull into the hub cache layout, against the hub stand-in as a real process (HF_ENDPOINT on
// loopback, a scratch HF_HOME per test): layout, sha256 check, resume with ranges, disk check, one
// download for two concurrent pulls, progress.
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedModel, hubEnv, repoFolder, type HubEnv } from '../../adapters/index.js';
import { pullHubModel, type HubPullProgress } from '../../actors/hf-pull.js';
import { makeRepo, startHub, type HubKnobs, type HubServer } from '../servers/harness-hub.js';
import { acodeFailure } from './helpers.js';

const REPO = 'acode-test/tiny-llm';
const SIZE = 300_000;
const repo = makeRepo(REPO, SIZE);
const fileOf = (name: string) => repo.files.find((f) => f.name === name)!;

let hub: HubServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await hub?.stop();
  hub = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Setup {
  env: HubEnv;
  log: string;
  requests(): { path: string; range: string | null }[];
}
async function setup(knobs: Partial<HubKnobs> = {}): Promise<Setup> {
  const home = mkdtempSync(join(tmpdir(), 'acode-hfpull-'));
  dirs.push(home);
  const log = join(home, 'requests.jsonl');
  hub = await startHub({ weightBytes: SIZE, requestLog: log, ...knobs });
  const env = hubEnv({ HOME: home, HF_HOME: join(home, 'hf'), HF_ENDPOINT: hub.url });
  const requests = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { path: string; range: string | null })
      : [];
  return { env, log, requests };
}

describe('pullHubModel', () => {
  it('writes the hub cache layout (blobs by etag, relative snapshot links, refs/main) that reads as complete, with progress', async () => {
    const { env } = await setup();
    const events: HubPullProgress[] = [];
    const result = await pullHubModel(env, REPO, { onProgress: (p) => events.push(p) });
    const folder = repoFolder(env.cacheDir, REPO);
    expect(result.commit).toBe(repo.commit);
    expect(readFileSync(join(folder, 'refs', 'main'), 'utf8')).toBe(repo.commit);
    const snap = join(folder, 'snapshots', repo.commit);
    expect(readdirSync(snap).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(lstatSync(join(snap, 'model.safetensors')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(snap, 'model.safetensors'))).toBe(`../../blobs/${fileOf('model.safetensors').sha256}`);
    expect(readlinkSync(join(snap, 'config.json'))).toBe(`../../blobs/${fileOf('config.json').etag}`);
    expect(await cachedModel(env.cacheDir, REPO)).toMatchObject({ complete: true, snapshot: snap });
    const total = events[0]?.total ?? 0;
    expect(events.at(-1)).toMatchObject({ completed: total, total });
    expect(
      events.some(
        (e) => e.file === 'model.safetensors' && e.fileTotal === SIZE && e.fileCompleted > 0 && e.fileCompleted < SIZE,
      ),
    ).toBe(true);
    expect(events.some((e) => e.bytesPerSecond > 0 && e.etaSeconds !== null)).toBe(true);
  });

  it('--weights bin takes the PyTorch files instead', async () => {
    const { env } = await setup();
    const result = await pullHubModel(env, REPO, { weights: 'bin' });
    expect(result.files).toContain('pytorch_model.bin');
    expect(result.files).not.toContain('model.safetensors');
  });

  it('a sha256 mismatch deletes the blob and fails naming the file; nothing of it appears in the snapshot', async () => {
    const { env } = await setup({ corrupt: ['model.safetensors'] });
    const err = await acodeFailure(pullHubModel(env, REPO));
    expect(err.code).toBe('PULL_FAILED');
    expect(err.message).toBe(
      `Downloaded model.safetensors of '${REPO}' does not match the hub's sha256; the file was deleted.`,
    );
    const folder = repoFolder(env.cacheDir, REPO);
    expect(
      readdirSync(join(folder, 'blobs')).filter((b) => b.startsWith(fileOf('model.safetensors').sha256 ?? '-')),
    ).toEqual([]);
    expect(existsSync(join(folder, 'snapshots', repo.commit, 'model.safetensors'))).toBe(false);
    expect((await cachedModel(env.cacheDir, REPO)).complete).toBe(false);
  });

  it('a connection cut mid-file is resumed with an HTTP range', async () => {
    const { env, requests } = await setup({ cutAfterBytes: 100_000 });
    await pullHubModel(env, REPO);
    const sha = fileOf('model.safetensors').sha256;
    const ranges = requests()
      .filter((r) => r.path === `/cdn-lfs/${sha}`)
      .map((r) => r.range);
    expect(ranges[0]).toBeNull();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/=(\d+)-/.exec(ranges[1] ?? '')?.[1])).toBeGreaterThan(0);
    expect((await cachedModel(env.cacheDir, REPO)).complete).toBe(true);
  });

  it('a cancelled pull keeps its partial blob out of the snapshot, and the next pull resumes it', async () => {
    const { env, requests } = await setup({ slowBytesPerSecond: 400_000 });
    const ac = new AbortController();
    const err = await acodeFailure(
      pullHubModel(env, REPO, {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.file === 'model.safetensors' && p.fileCompleted > 50_000) ac.abort();
        },
      }),
    );
    expect(err.code).toBe('ABORTED');
    const folder = repoFolder(env.cacheDir, REPO);
    const sha = fileOf('model.safetensors').sha256 ?? '';
    const partial = lstatSync(join(folder, 'blobs', `${sha}.incomplete`)).size;
    expect(partial).toBeGreaterThan(0);
    expect(existsSync(join(folder, 'snapshots', repo.commit, 'model.safetensors'))).toBe(false);
    await pullHubModel(env, REPO);
    expect(
      requests()
        .filter((r) => r.path === `/cdn-lfs/${sha}`)
        .at(-1)?.range,
    ).toBe(`bytes=${partial}-`);
    expect((await cachedModel(env.cacheDir, REPO)).complete).toBe(true);
  });

  it('checks free disk space against the total before downloading anything', async () => {
    const { env, requests } = await setup();
    const err = await acodeFailure(pullHubModel(env, REPO, { freeBytes: async () => 1000 }));
    expect(err.code).toBe('PULL_FAILED');
    expect(err.message).toMatch(
      /^Not enough disk space to pull 'acode-test\/tiny-llm': it needs \d+ more bytes, 1000 are free/,
    );
    expect(requests().filter((r) => r.path.includes('/resolve/') || r.path.startsWith('/cdn-lfs/'))).toEqual([]);
  });

  it('two concurrent pulls of one model download each file once', async () => {
    const { env, requests } = await setup({ slowBytesPerSecond: 1_000_000 });
    const [a, b] = await Promise.all([pullHubModel(env, REPO), pullHubModel(env, REPO)]);
    expect(a.snapshot).toBe(b.snapshot);
    expect(a.downloaded + b.downloaded).toBe(a.downloaded > 0 ? a.downloaded : b.downloaded);
    const sha = fileOf('model.safetensors').sha256;
    expect(requests().filter((r) => r.path === `/cdn-lfs/${sha}`)).toHaveLength(1);
  });

  it('a gated repo without HF_TOKEN fails AUTH_FAILED before any file is fetched', async () => {
    const { env, requests } = await setup({ gated: [REPO] });
    const err = await acodeFailure(pullHubModel(env, REPO));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.hint).toContain('HF_TOKEN');
    expect(requests().filter((r) => r.path.startsWith('/cdn-lfs/'))).toEqual([]);
  });
});
