// fetchVllmModel, the step before a managed vLLM spawn, against the hub stand-in (a process on loopback,
// a scratch HF_HOME per test): what it leaves alone (a local directory, a complete cache entry: no hub
// request), what it refuses without asking the hub (airgapped, models.allow_download: false), and a pull
// whose progress events carry the file, its bytes, the total and a rate.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchVllmModel } from '../../actors/vllm-fetch.js';
import { realClock, type ActorEvent, type ServiceRef } from '../../actors/index.js';
import { testRef } from '../service/fakes.js';
import { startHub, type HubServer } from '../servers/harness-hub.js';
import { acodeFailure } from './helpers.js';

const MODEL = 'acode-test/tiny-llm';
let hub: HubServer;
let dir: string;
let log: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'acode-vllm-fetch-'));
  log = join(dir, 'requests.jsonl');
  hub = await startHub({ requestLog: log, weightBytes: 200_000 });
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

const requests = (): number =>
  existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).length : 0;
const env = () => ({ HOME: dir, HF_HOME: join(dir, `hf${(n += 1)}`), HF_ENDPOINT: hub.url });
function ref(model: string, over: Partial<ServiceRef> = {}): ServiceRef {
  const base = testRef();
  return { ...base, provider: { ...base.provider, model }, ...over };
}
const deps = (e: NodeJS.ProcessEnv) => ({ env: e, clock: realClock });

describe('fetchVllmModel', () => {
  it('pulls a model the cache lacks, with per-file progress, then finds it cached without asking the hub', async () => {
    const e = env();
    const events: Extract<ActorEvent, { type: 'PULL_PROGRESS' }>[] = [];
    expect(await fetchVllmModel(ref(MODEL), deps(e), { onProgress: (ev) => events.push(ev) })).toEqual({
      kind: 'pulled',
      downloaded: expect.any(Number),
    });
    const last = events.at(-1)!;
    expect(last.completed).toBe(last.total);
    expect(events.some((ev) => /^model\.safetensors \d+\.\d\/0\.2 MB$/.test(ev.status))).toBe(true);
    const before = requests();
    expect(await fetchVllmModel(ref(MODEL), deps(e))).toEqual({ kind: 'cached', downloaded: 0 });
    expect(requests()).toBe(before);
  });

  it('leaves a local model directory to the launch check, without asking the hub', async () => {
    const local = join(dir, 'local', 'model');
    await mkdir(local, { recursive: true });
    await writeFile(join(local, 'config.json'), '{}');
    const before = requests();
    expect(await fetchVllmModel(ref(local), deps(env()))).toEqual({ kind: 'local', downloaded: 0 });
    expect(requests()).toBe(before);
  });

  it.each([
    ['airgapped', { mode: 'airgapped' as const }, 'airgapped mode never contacts the hub'],
    ['models.allow_download: false', { allowDownload: false }, 'models.allow_download is false'],
  ])('%s: MODEL_NOT_FOUND with the pre-stage steps; the hub is never asked', async (_name, over, why) => {
    const before = requests();
    const err = await acodeFailure(fetchVllmModel(ref(MODEL, over), deps(env())));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toContain(why);
    expect(err.hint).toContain(`acode models pull ${MODEL} --provider vllm`);
    expect(requests()).toBe(before);
  });
});
