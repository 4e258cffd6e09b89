// The model check before vLLM is spawned (buildLaunch): a local directory must be loadable, a hub id
// complete in the cache runs offline, airgapped refuses an id the cache lacks. Scratch HF_HOME per test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildLaunch } from '../../actors/index.js';
import { writeCache } from '../servers/lib/hf-cache.js';
import { acodeFailure, testEnv } from './helpers.js';
import { providerConfig } from '../support/providers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('vLLM model check before the spawn', () => {
  it('a local directory without config.json/params.json or weights is MODEL_NOT_FOUND naming what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acode-vllm-model-'));
    dirs.push(dir);
    const err = await acodeFailure(buildLaunch(providerConfig('vllm', 1, { model: dir }), 'local-only', testEnv()));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toBe(
      `vllm: the model directory ${dir} lacks config.json or params.json, weights (*.safetensors or *.bin).`,
    );
    writeFileSync(join(dir, 'params.json'), '{}');
    writeFileSync(join(dir, 'consolidated.safetensors'), 'w');
    const launch = await buildLaunch(providerConfig('vllm', 1, { model: dir }), 'local-only', testEnv());
    expect(launch.args.slice(0, 2)).toEqual(['serve', dir]);
  });

  it('a model that is neither a directory nor org/name is MODEL_NOT_FOUND', async () => {
    const err = await acodeFailure(
      buildLaunch(providerConfig('vllm', 1, { model: './no/such/dir' }), 'local-only', testEnv()),
    );
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toBe('vllm: ./no/such/dir is neither a model directory nor a Hugging Face id (org/name).');
  });

  it('a hub id complete in the HF cache starts vLLM with HF_HUB_OFFLINE=1; an incomplete one does not', async () => {
    const env = testEnv({ HF_HUB_OFFLINE: '' });
    expect((await buildLaunch(providerConfig('vllm', 1), 'local-only', env)).env.HF_HUB_OFFLINE).toBe('');
    writeCache(env, 'Qwen/Qwen2.5-0.5B-Instruct'); // config.json only: not loadable offline
    expect((await buildLaunch(providerConfig('vllm', 1), 'local-only', env)).env.HF_HUB_OFFLINE).toBe('');
    writeCache(env, 'Qwen/Qwen2.5-0.5B-Instruct', { weights: true });
    expect((await buildLaunch(providerConfig('vllm', 1), 'local-only', env)).env.HF_HUB_OFFLINE).toBe('1');
  });

  it('airgapped with the model not complete in the cache: MODEL_NOT_FOUND with the pre-stage steps, nothing spawned', async () => {
    const err = await acodeFailure(buildLaunch(providerConfig('vllm', 1), 'airgapped', testEnv()));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toMatch(
      /^Model 'Qwen\/Qwen2\.5-0\.5B-Instruct' is not complete in the Hugging Face cache \(.*\/hf\/hub\/models--Qwen--Qwen2\.5-0\.5B-Instruct\), and airgapped mode never contacts the hub\.$/,
    );
    expect(err.hint).toContain('huggingface-cli download Qwen/Qwen2.5-0.5B-Instruct');
    expect(err.hint).toContain('HF_HOME');
  });
});
