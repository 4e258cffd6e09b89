// The check before a vLLM start, against the hub stand-in as a real process (HF_ENDPOINT on loopback,
// scratch HF_HOME): 404 with did-you-mean, gated without / with a wrong token, hub unreachable, airgapped.
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubEnv } from '../../adapters/hf-env.js';
import { preflightHubModel } from '../../adapters/hf-preflight.js';
import { startHub, type HubServer } from '../servers/harness-hub.js';
import { acodeFailure } from '../actors/helpers.js';
import { freePort } from '../servers/lib/free-port.js';

let hub: HubServer;
let home: string;
let log: string;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'acode-preflight-'));
  log = join(home, 'requests.jsonl');
  hub = await startHub({ gated: ['Qwen/Qwen2.5-0.5B-Instruct'], token: 'hf_good', requestLog: log });
});
afterAll(async () => {
  await hub.stop();
  rmSync(home, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) =>
  hubEnv({ HOME: home, HF_HOME: join(home, 'hf'), HF_ENDPOINT: hub.url, ...extra });

describe('preflightHubModel', () => {
  it('finds a model on the hub and reports its commit and files', async () => {
    const r = await preflightHubModel(env(), 'acode-test/tiny-llm', { policy: 'allowed' });
    expect(r.kind).toBe('on-hub');
    if (r.kind === 'on-hub')
      expect(r.info.files.find((f) => f.name === 'model.safetensors')?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('404: MODEL_NOT_FOUND "not found on Hugging Face" with a did-you-mean from the search', async () => {
    const err = await acodeFailure(preflightHubModel(env(), 'acode-test/tiny-lm', { policy: 'allowed' }));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toBe(`Model 'acode-test/tiny-lm' not found on Hugging Face (${hub.url}).`);
    expect(err.hint).toContain("Did you mean 'acode-test/tiny-llm'?");
  });

  it('gated without a token: AUTH_FAILED naming HF_TOKEN and the page to request access on', async () => {
    const err = await acodeFailure(preflightHubModel(env(), 'Qwen/Qwen2.5-0.5B-Instruct', { policy: 'allowed' }));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('gated or private');
    expect(err.hint).toContain(`Request access on ${hub.url}/Qwen/Qwen2.5-0.5B-Instruct, then set HF_TOKEN`);
  });

  it('gated with a token that has no access: AUTH_FAILED saying HF_TOKEN was sent; the right token passes', async () => {
    const err = await acodeFailure(
      preflightHubModel(env({ HF_TOKEN: 'hf_bad' }), 'Qwen/Qwen2.5-0.5B-Instruct', { policy: 'allowed' }),
    );
    expect([err.code, err.details.status]).toEqual(['AUTH_FAILED', 403]);
    expect(err.hint).toContain('HF_TOKEN was sent');
    expect(
      (await preflightHubModel(env({ HF_TOKEN: 'hf_good' }), 'Qwen/Qwen2.5-0.5B-Instruct', { policy: 'allowed' })).kind,
    ).toBe('on-hub');
  });

  it('hub unreachable: says so and that the cache has no copy', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const err = await acodeFailure(
      preflightHubModel(env({ HF_ENDPOINT: closed }), 'acode-test/tiny-llm', { policy: 'allowed' }),
    );
    expect(err.code).toBe('CONNECTION_REFUSED');
    expect(err.message).toBe(
      `Cannot reach the Hugging Face hub at ${closed} to check 'acode-test/tiny-llm' (connection refused).`,
    );
    expect(err.hint).toContain('The cache has no complete copy of acode-test/tiny-llm');
  });

  it('airgapped and HF_HUB_OFFLINE never contact the hub: MODEL_NOT_FOUND with the pre-stage steps', async () => {
    const before = existsSync(log) ? readFileSync(log, 'utf8') : '';
    const err = await acodeFailure(preflightHubModel(env(), 'acode-test/tiny-llm', { policy: 'airgapped' }));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toContain('airgapped mode never contacts the hub');
    expect(err.hint).toContain('acode models pull acode-test/tiny-llm --provider vllm');
    expect(err.hint).toContain('huggingface-cli download acode-test/tiny-llm');
    expect(err.hint).toContain('HF_HOME');
    const offline = await acodeFailure(
      preflightHubModel(env({ HF_HUB_OFFLINE: '1' }), 'acode-test/tiny-llm', { policy: 'allowed' }),
    );
    expect(offline.message).toContain('HF_HUB_OFFLINE');
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe(before);
  });
});
