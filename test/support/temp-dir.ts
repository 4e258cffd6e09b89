// A scratch directory per test (never the user's files), removed by the cleanup it comes with.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function tempDir(prefix = 'test'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `acode-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 5 }) };
}
