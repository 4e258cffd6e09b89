// The hub stand-in as a process: the routes and headers the acode hub client relies on, and each knob.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { makeRepo, startHub, type HubServer } from './harness-hub.js';

const REPO = 'acode-test/tiny-llm';
let hub: HubServer | undefined;
afterEach(async () => {
  await hub?.stop();
  hub = undefined;
});

const sha256 = (b: ArrayBuffer): string => createHash('sha256').update(Buffer.from(b)).digest('hex');

describe('hf-hub stand-in', () => {
  it('serves model info with LFS sha256 and resolves files with the hub headers, LFS through a ranged CDN route', async () => {
    hub = await startHub({ weightBytes: 1000 });
    const repo = makeRepo(REPO, 1000);
    const info = (await (await fetch(`${hub.url}/api/models/${REPO}/revision/main?blobs=true`)).json()) as {
      sha: string;
      siblings: { rfilename: string; lfs?: { sha256: string } }[];
    };
    expect(info.sha).toBe(repo.commit);
    const weights = info.siblings.find((s) => s.rfilename === 'model.safetensors');
    expect(weights?.lfs?.sha256).toBe(repo.files.find((f) => f.name === 'model.safetensors')?.sha256);
    const cfg = await fetch(`${hub.url}/${REPO}/resolve/main/config.json`);
    expect(cfg.headers.get('x-repo-commit')).toBe(repo.commit);
    expect(JSON.parse(await cfg.text())).toMatchObject({ model_type: 'llama' });
    const lfs = await fetch(`${hub.url}/${REPO}/resolve/main/model.safetensors`, { redirect: 'manual' });
    expect(lfs.status).toBe(302);
    expect(lfs.headers.get('x-linked-etag')).toBe(`"${weights?.lfs?.sha256}"`);
    const whole = await fetch(new URL(lfs.headers.get('location') ?? '', hub.url));
    expect(sha256(await whole.arrayBuffer())).toBe(weights?.lfs?.sha256);
    const tail = await fetch(new URL(lfs.headers.get('location') ?? '', hub.url), { headers: { range: 'bytes=600-' } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe('bytes 600-999/1000');
    expect((await tail.arrayBuffer()).byteLength).toBe(400);
  });

  it('answers 404 RepoNotFound for an unknown repo, and search finds the near names', async () => {
    hub = await startHub();
    const res = await fetch(`${hub.url}/api/models/acode-test/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-error-code')).toBe('RepoNotFound');
    const hits = (await (await fetch(`${hub.url}/api/models?search=tiny&limit=5`)).json()) as { id: string }[];
    expect(hits.map((h) => h.id)).toEqual([REPO]);
  });

  it('gated: info answers, files want the token (401 without, 403 with a wrong one); private: 401 everywhere', async () => {
    hub = await startHub({ gated: [REPO], private: ['Qwen/Qwen2.5-0.5B-Instruct'], token: 'hf_good' });
    expect((await fetch(`${hub.url}/api/models/${REPO}`)).status).toBe(200);
    const none = await fetch(`${hub.url}/${REPO}/resolve/main/config.json`, { method: 'HEAD' });
    expect([none.status, none.headers.get('x-error-code')]).toEqual([401, 'GatedRepo']);
    expect(
      (await fetch(`${hub.url}/${REPO}/resolve/main/config.json`, { headers: { authorization: 'Bearer hf_bad' } }))
        .status,
    ).toBe(403);
    expect(
      (await fetch(`${hub.url}/${REPO}/resolve/main/config.json`, { headers: { authorization: 'Bearer hf_good' } }))
        .status,
    ).toBe(200);
    expect((await fetch(`${hub.url}/api/models/Qwen/Qwen2.5-0.5B-Instruct`)).status).toBe(401);
  });

  it('cuts the first whole transfer of a blob and corrupts the named file', async () => {
    hub = await startHub({ weightBytes: 200_000, cutAfterBytes: 50_000, corrupt: ['pytorch_model.bin'] });
    const repo = makeRepo(REPO, 200_000);
    const bin = repo.files.find((f) => f.name === 'pytorch_model.bin');
    const st = repo.files.find((f) => f.name === 'model.safetensors');
    const first = await fetch(`${hub.url}/cdn-lfs/${st?.sha256}`);
    await expect(first.arrayBuffer()).rejects.toThrow();
    const again = await fetch(`${hub.url}/cdn-lfs/${st?.sha256}`);
    expect(sha256(await again.arrayBuffer())).toBe(st?.sha256);
    await (await fetch(`${hub.url}/cdn-lfs/${bin?.sha256}`, { headers: { range: 'bytes=0-9' } })).arrayBuffer();
    const corrupted = await fetch(`${hub.url}/cdn-lfs/${bin?.sha256}`, { headers: { range: 'bytes=0-' } });
    expect(sha256(await corrupted.arrayBuffer())).not.toBe(bin?.sha256);
  });

  it('refuses a knob typo', async () => {
    process.env.ACODE_HUB_TYPO = '1';
    try {
      const { spawnSync } = await import('node:child_process');
      const { serversSnapshot } = await import('./harness-dist.js');
      const { repoRoot } = await import('./harness.js');
      const r = spawnSync(process.execPath, [`${serversSnapshot(repoRoot)}/hf-hub.js`], {
        env: { ...process.env },
        encoding: 'utf8',
      });
      expect([r.status, r.stderr]).toEqual([2, 'hf-hub (acode fake): unknown knob ACODE_HUB_TYPO\n']);
    } finally {
      delete process.env.ACODE_HUB_TYPO;
    }
  });
});
