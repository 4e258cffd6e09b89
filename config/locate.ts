// Finds .agent/config.yml the way git finds .git: the current directory or the nearest parent that
// has an .agent/ directory. --config PATH overrides the search.
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export const CONFIG_DIR = '.agent';
export const CONFIG_FILE = 'config.yml';

export interface ConfigLocation {
  /** Absolute path of the config file (where it is, or where `acode provider set` would create it). */
  file: string;
  /** Whether that file exists now. */
  exists: boolean;
  /** How it was chosen: --config, the nearest .agent/ directory, or none found (cwd/.agent/config.yml). */
  source: 'flag' | 'search' | 'default';
}

async function kind(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/** Nearest directory at or above `cwd` that contains `.agent/`, or undefined. */
export async function findProjectRoot(
  cwd: string,
  { signal }: { signal?: AbortSignal } = {},
): Promise<string | undefined> {
  let dir = resolve(cwd);
  for (;;) {
    signal?.throwIfAborted();
    if ((await kind(join(dir, CONFIG_DIR))) === 'dir') return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export async function locateConfig(
  { cwd, configPath }: { cwd: string; configPath?: string | undefined },
  { signal }: { signal?: AbortSignal } = {},
): Promise<ConfigLocation> {
  if (configPath !== undefined) {
    const file = isAbsolute(configPath) ? configPath : resolve(cwd, configPath);
    return { file, exists: (await kind(file)) !== undefined, source: 'flag' };
  }
  const root = await findProjectRoot(cwd, signal === undefined ? {} : { signal });
  if (root === undefined)
    return { file: join(resolve(cwd), CONFIG_DIR, CONFIG_FILE), exists: false, source: 'default' };
  const file = join(root, CONFIG_DIR, CONFIG_FILE);
  return { file, exists: (await kind(file)) !== undefined, source: 'search' };
}
