// Item: tests and the stand-ins never write into the real HOME. The env every test hands a server (or
// an acode under test) points HOME, HF_HOME, OLLAMA_MODELS and the XDG dirs at a scratch dir; the
// globalSetup guard (home-guard.ts) notices anything that still lands in the real one.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testEnv } from '../actors/helpers.js';
import { standInEnv } from '../chaos/helpers.js';
import { World } from '../service/helpers.js';
import { changes, guardedRoots, snapshot } from './home-guard.js';

const realHome = process.env.HOME || homedir();
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('the env tests start servers with', () => {
  const envs: Array<[string, () => Promise<Record<string, string | undefined>>]> = [
    ['actors testEnv()', async () => testEnv()],
    ['chaos standInEnv()', async () => standInEnv()],
    [
      'service World.env()',
      async () => {
        const w = await World.create();
        cleanups.push(() => void w.cleanup());
        return w.env();
      },
    ],
  ];
  it.each(envs)('%s: HOME, HF_HOME, OLLAMA_MODELS are a scratch dir, never the real HOME', async (_name, make) => {
    const env = await make();
    expect(env.HOME).toBeDefined();
    expect(env.HOME).not.toBe(realHome);
    expect(env.HOME!.startsWith(tmpdir())).toBe(true);
    for (const key of ['HF_HOME', 'OLLAMA_MODELS'] as const) {
      expect(env[key], key).toBeDefined();
      expect(env[key]!.startsWith(env.HOME!), `${key}=${env[key]}`).toBe(true);
    }
  });
});

describe('home guard', () => {
  it('watches the Hugging Face cache, ~/.ollama and acode state dir, and any override of them', () => {
    const roots = guardedRoots({ HOME: '/h', HF_HOME: '/hf', OLLAMA_MODELS: '/om' }, '/h');
    expect(roots).toEqual(
      expect.arrayContaining(['/h/.cache/huggingface', '/h/.ollama', '/h/.local/state/acode', '/hf', '/om']),
    );
  });

  it('names every path that appeared, changed or vanished', () => {
    const home = mkdtempSync(join(tmpdir(), 'acode-guard-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const roots = guardedRoots({ HOME: home }, home);
    mkdirSync(join(home, '.ollama'), { recursive: true });
    writeFileSync(join(home, '.ollama', 'kept'), 'a');
    writeFileSync(join(home, '.ollama', 'gone'), 'a');
    const before = snapshot(roots);
    expect(changes(before, snapshot(roots))).toEqual([]);
    mkdirSync(join(home, '.cache', 'huggingface', 'hub', 'models--a--b'), { recursive: true });
    writeFileSync(join(home, '.ollama', 'kept'), 'longer');
    rmSync(join(home, '.ollama', 'gone'));
    expect(changes(before, snapshot(roots))).toEqual([
      `new      ${join(home, '.cache', 'huggingface')}`,
      `new      ${join(home, '.cache', 'huggingface', 'hub')}`,
      `new      ${join(home, '.cache', 'huggingface', 'hub', 'models--a--b')}`,
      `removed  ${join(home, '.ollama', 'gone')}`,
      `changed  ${join(home, '.ollama', 'kept')}`,
    ]);
  });
});
