// watchConfigFile against a real file in a temp dir: edits in place and editor-style rename-over both
// reload, a burst is one reload, a save that changes nothing applies nothing, a broken edit is reported
// and the watch goes on, and an aborted watch reports nothing more.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AcodeError, watchConfigFile, type AcodeConfig } from '../../config/index.js';

let dirs: string[] = [];
const controllers: AbortController[] = [];
afterEach(async () => {
  for (const c of controllers.splice(0)) c.abort();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

// A stand-in for loadConfig: the file holds "active: <id>" or "broken".
async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'acode-watch-'));
  dirs.push(dir);
  const file = join(dir, 'config.yml');
  await writeFile(file, 'active: vllm\n');
  const { readFile } = await import('node:fs/promises');
  const load = async (): Promise<AcodeConfig> => {
    const text = (await readFile(file, 'utf8')).trim();
    if (text === 'broken') throw new AcodeError('CONFIG_INVALID', `${file}:1:1: broken`, 'fix it');
    return { file, mode: 'local-only', active: text.replace('active: ', ''), fallback: [], providers: {} };
  };
  const reloads: string[] = [];
  const invalid: string[] = [];
  const controller = new AbortController();
  controllers.push(controller);
  const current = await load();
  watchConfigFile(current, {
    file,
    load,
    signal: controller.signal,
    debounceMs: 300,
    onReload: (next) => {
      reloads.push(next.active);
    },
    onInvalid: (error) => {
      invalid.push(error.code);
    },
  });
  return { dir, file, reloads, invalid, controller };
}

describe('watchConfigFile', () => {
  it('reloads once per burst of writes, skips saves that change nothing, reports a broken edit and goes on', async () => {
    const { file, reloads, invalid } = await setup();
    await writeFile(file, 'active: ollama\n');
    await writeFile(file, 'active: llamacpp\n');
    await expect.poll(() => reloads, { timeout: 10_000 }).toEqual(['llamacpp']);

    await writeFile(file, 'broken\n');
    await expect.poll(() => invalid, { timeout: 10_000 }).toEqual(['CONFIG_INVALID']);

    // Back to the last good config: nothing to apply. Then a real change, which is applied.
    await writeFile(file, 'active: llamacpp\n');
    await writeFile(file, 'active: lmstudio\n');
    await expect.poll(() => reloads, { timeout: 10_000 }).toEqual(['llamacpp', 'lmstudio']);
  });

  it('follows an editor that writes a temp file and renames it over the config', async () => {
    const { dir, file, reloads } = await setup();
    const tmp = join(dir, '.config.yml.swp');
    await writeFile(tmp, 'active: ollama\n');
    await rename(tmp, file);
    await expect.poll(() => reloads, { timeout: 10_000 }).toEqual(['ollama']);
    await writeFile(tmp, 'active: vllm\n');
    await rename(tmp, file);
    await expect.poll(() => reloads, { timeout: 10_000 }).toEqual(['ollama', 'vllm']);
  });

  it('reports nothing once its signal has aborted', async () => {
    const { file, reloads, controller } = await setup();
    controller.abort();
    // A second watch on the same file: once it has seen the edit, the aborted one would have too.
    const seen: string[] = [];
    const live = new AbortController();
    controllers.push(live);
    watchConfigFile(
      { file, mode: 'local-only', active: 'vllm', fallback: [], providers: {} },
      {
        file,
        signal: live.signal,
        debounceMs: 300,
        load: async () => ({ file, mode: 'local-only', active: 'ollama', fallback: [], providers: {} }),
        onReload: (next) => {
          seen.push(next.active);
        },
        onInvalid: () => {},
      },
    );
    await writeFile(file, 'active: ollama\n');
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual(['ollama']);
    expect(reloads).toEqual([]);
  });
});
