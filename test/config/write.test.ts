import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAcodeError, parseConfig, setKey, setKeyInText } from '../../config/index.js';
import { tempDir } from '../support/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const ORIGINAL = [
  '# acode settings for this repo',
  'providers:',
  '  active:   ollama    # switched by `acode provider set`',
  '',
  '  # the big GPU box',
  '  vllm:',
  '    model: "meta-llama/Llama-2-7b-hf"',
  '    lifecycle: { mode: managed,   stop_on_exit: false }',
  '    gpu: {memory_utilization: 0.9}   # leave room for the desktop',
  'fallback: [ ollama ]',
  '',
].join('\n');

describe('setKeyInText', () => {
  it('changes only that value and keeps comments, spacing and flow style', () => {
    const after = setKeyInText(ORIGINAL, ['providers', 'active'], 'vllm');
    expect(after).toBe(ORIGINAL.replace('active:   ollama ', 'active:   vllm '));
  });

  it('keeps the quoting style of the old value', () => {
    const after = setKeyInText(ORIGINAL, ['providers', 'vllm', 'model'], 'mistralai/Mistral-7B');
    expect(after).toBe(ORIGINAL.replace('"meta-llama/Llama-2-7b-hf"', '"mistralai/Mistral-7B"'));
  });

  it('adds a missing key and still keeps every comment', () => {
    const after = setKeyInText(ORIGINAL, ['providers', 'vllm', 'port'], 8001);
    expect(parseConfig(after, 'x').providers?.vllm).toMatchObject({ port: 8001, model: 'meta-llama/Llama-2-7b-hf' });
    for (const comment of [
      '# acode settings for this repo',
      '# switched by `acode provider set`',
      '# the big GPU box',
      '# leave room for the desktop',
    ]) {
      expect(after).toContain(comment);
    }
  });

  it('creates the path in an empty or comment-only file', () => {
    expect(parseConfig(setKeyInText('', ['providers', 'active'], 'vllm'), 'x')).toEqual({
      providers: { active: 'vllm' },
    });
    const commented = setKeyInText('# just a comment\n', ['providers', 'active'], 'vllm');
    expect(commented).toContain('# just a comment');
    expect(parseConfig(commented, 'x').providers?.active).toBe('vllm');
  });

  it('refuses to rewrite a file that is not YAML', () => {
    expect(() => setKeyInText('providers: [\n', ['providers', 'active'], 'vllm')).toThrow(/not valid YAML/);
  });
});

describe('setKey on disk', () => {
  it('writes atomically and leaves no temp file', async () => {
    const file = join(dir, '.agent', 'config.yml');
    await mkdir(join(dir, '.agent'));
    await writeFile(file, ORIGINAL);
    await setKey(file, ['providers', 'active'], 'vllm');
    expect(await readFile(file, 'utf8')).toBe(ORIGINAL.replace('active:   ollama ', 'active:   vllm '));
    expect(await readdir(join(dir, '.agent'))).toEqual(['config.yml']);
  });

  it('creates .agent/config.yml when none exists', async () => {
    const file = join(dir, '.agent', 'config.yml');
    await setKey(file, ['providers', 'active'], 'lmstudio');
    expect(parseConfig(await readFile(file, 'utf8'), file)).toEqual({ providers: { active: 'lmstudio' } });
  });

  it('a failure between write and rename leaves the old file intact and cleans up', async () => {
    const file = join(dir, '.agent', 'config.yml');
    await mkdir(join(dir, '.agent'));
    await writeFile(file, ORIGINAL);
    const renames: string[] = [];
    const failingRename = async (from: string): Promise<void> => {
      renames.push(from);
      // The temp file is complete and synced at this point: only the rename is lost.
      expect(await readFile(from, 'utf8')).toContain('active:   vllm');
      throw Object.assign(new Error('EIO: simulated crash'), { code: 'EIO' });
    };
    let caught: unknown;
    try {
      await setKey(file, ['providers', 'active'], 'vllm', { io: { rename: failingRename } });
    } catch (error) {
      caught = error;
    }
    expect(isAcodeError(caught) && caught.code).toBe('CONFIG_WRITE_FAILED');
    expect(renames).toHaveLength(1);
    expect(await readFile(file, 'utf8')).toBe(ORIGINAL);
    expect(await readdir(join(dir, '.agent'))).toEqual(['config.yml']);
  });
});
