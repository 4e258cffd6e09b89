// `acode models pull org/name --provider vllm` in-process, against the hub stand-in (HF_ENDPOINT on
// loopback, HF_HOME in the scratch project): the download, the modes that refuse it, the hub's 404.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cachedModel, hubEnv } from '../../adapters/index.js';
import { makeRepo, startHub, type HubServer } from '../servers/harness-hub.js';
import { runBuilt, runInProcess } from './helpers.js';
import { tempDir } from '../support/temp-dir.js';

const REPO = 'acode-test/tiny-llm';
let hub: HubServer;
let log: string;
let dir: string;
let cleanup: () => Promise<void>;
let logDir: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  logDir = await tempDir();
  log = join(logDir.dir, 'requests.jsonl');
  hub = await startHub({ requestLog: log, slowBytesPerSecond: 2_000_000 });
});
afterAll(async () => {
  await hub.stop();
  await logDir.cleanup();
});
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

function config(yaml: string): void {
  mkdirSync(join(dir, '.agent'), { recursive: true });
  writeFileSync(join(dir, '.agent', 'config.yml'), `providers:\n  active: vllm\n  vllm:\n    model: ${REPO}\n${yaml}`);
}
const env = (): Record<string, string> => ({
  HOME: dir,
  HF_HOME: join(dir, 'hf'),
  HF_ENDPOINT: hub.url,
  ACODE_STATE_DIR: join(dir, 'state'),
  NO_COLOR: '1',
});
const hubRequests = (): number =>
  existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).length : 0;

describe('acode models pull --provider vllm', () => {
  it('downloads into the Hugging Face cache with progress lines on stderr; a second pull has nothing to do', async () => {
    config('');
    const r = await runInProcess(['models', 'pull', REPO, '--provider', 'vllm', '--json'], { cwd: dir, env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^acode-test\/tiny-llm: pulling model\.safetensors [\d.]+ [kM]?B\/[\d.]+ [kM]?B \d+0?%/m);
    expect(r.stderr).toMatch(/ 100%/);
    const out = JSON.parse(r.stdout) as { pulled: boolean; snapshot: string; files: string[] };
    expect(out.pulled).toBe(true);
    expect(out.files).toContain('model.safetensors');
    expect(await cachedModel(hubEnv(env()).cacheDir, REPO)).toMatchObject({ complete: true, snapshot: out.snapshot });
    const again = await runInProcess(['models', 'pull', REPO, '--provider', 'vllm'], { cwd: dir, env: env() });
    expect(again.stdout).toBe(`${REPO} is already in the Hugging Face cache (${out.snapshot}); nothing to pull\n`);
  });

  it('airgapped: AIRGAP_VIOLATION with the pre-stage steps, and the hub is never contacted', async () => {
    config('mode: airgapped\n');
    const before = hubRequests();
    const r = await runInProcess(['models', 'pull', REPO, '--provider', 'vllm'], { cwd: dir, env: env() });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /^error\[AIRGAP_VIOLATION\]: vllm: airgapped mode forbids downloading acode-test\/tiny-llm from Hugging Face\.\nhint: Pre-stage it: on a connected machine run `acode models pull acode-test\/tiny-llm --provider vllm` \(or `huggingface-cli download acode-test\/tiny-llm`\), copy its hub cache folder/m,
    );
    expect(hubRequests()).toBe(before);
  });

  it('models.allow_download: false refuses in local-only mode too', async () => {
    config('models:\n  allow_download: false\n');
    const before = hubRequests();
    const r = await runInProcess(['models', 'pull', REPO, '--provider', 'vllm'], { cwd: dir, env: env() });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^error\[MODE_FORBIDDEN\]: vllm: models\.allow_download is false/m);
    expect(hubRequests()).toBe(before);
  });

  it('a model the hub does not have: MODEL_NOT_FOUND with the did-you-mean, exit 4', async () => {
    config('');
    const r = await runInProcess(['models', 'pull', 'acode-test/tiny-lm', '--provider', 'vllm'], {
      cwd: dir,
      env: env(),
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(
      `error[MODEL_NOT_FOUND]: Model 'acode-test/tiny-lm' not found on Hugging Face (${hub.url}).\nhint: Did you mean 'acode-test/tiny-llm'?`,
    );
  });

  it('two acode processes pulling the same model download each file once (built CLI)', async () => {
    config('');
    // Paced so the weights take ~1.5 s: the two processes overlap, and without the lock both would fetch.
    const slowLog = join(dir, 'slow-requests.jsonl');
    const slow = await startHub({ requestLog: slowLog, slowBytesPerSecond: 200_000 });
    const pull = () =>
      runBuilt(['models', 'pull', REPO, '--provider', 'vllm', '--json'], {
        cwd: dir,
        env: { ...env(), HF_ENDPOINT: slow.url },
      });
    const [a, b] = await Promise.all([pull(), pull()]).finally(() => slow.stop());
    expect(a?.code, a?.stderr).toBe(0);
    expect(b?.code, b?.stderr).toBe(0);
    const outs = [a, b].map((r) => JSON.parse(r?.stdout ?? '{}') as { pulled: boolean; snapshot: string });
    expect(outs.map((o) => o.pulled).sort()).toEqual([false, true]);
    const sha = makeRepo(REPO, 300_000).files.find((f) => f.name === 'model.safetensors')?.sha256;
    const fetched = readFileSync(slowLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`/cdn-lfs/${sha}`));
    expect(fetched).toHaveLength(1);
  }, 60_000);
});
