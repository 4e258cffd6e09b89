import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAcodeError, loadConfig, type AcodeError } from '../../config/index.js';
import { tempDir } from '../support/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

async function loadBytes(
  bytes: Buffer,
): Promise<{ file: string; result: AcodeError | Awaited<ReturnType<typeof loadConfig>> }> {
  await mkdir(join(dir, '.agent'), { recursive: true });
  const file = join(dir, '.agent', 'config.yml');
  await writeFile(file, bytes);
  try {
    return { file, result: await loadConfig({ cwd: dir, env: {} }) };
  } catch (error) {
    if (isAcodeError(error)) return { file, result: error };
    throw error;
  }
}

describe('a config file that is not UTF-8', () => {
  it('is CONFIG_INVALID naming the line and column of the first bad byte, not decoded with U+FFFD', async () => {
    // Latin-1 "é" (0xE9) in a model name on line 3, after "    model: caf".
    const latin1 = Buffer.concat([
      Buffer.from('providers:\n  ollama:\n    model: caf'),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]);
    const { file, result } = await loadBytes(latin1);
    expect(isAcodeError(result)).toBe(true);
    const error = result as AcodeError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`${file}:3:15: (encoding): byte 0xE9 is not valid UTF-8`);
    expect(error.details.errors).toEqual([expect.objectContaining({ file, line: 3, column: 15, path: '(encoding)' })]);
    expect(error.hint).toMatch(/UTF-8/);
  });

  it('counts columns in characters, so a valid multi-byte character before the bad byte is one column', async () => {
    const bytes = Buffer.concat([
      Buffer.from('# ü\nmode: burst # '),
      Buffer.from('ü'),
      Buffer.from([0xff]),
      Buffer.from('\n'),
    ]);
    const error = (await loadBytes(bytes)).result as AcodeError;
    expect(error.details.errors).toEqual([expect.objectContaining({ line: 2, column: 16 })]);
  });

  it('still reads UTF-8 text with a BOM and non-ASCII characters', async () => {
    const { result } = await loadBytes(Buffer.from('\uFEFFproviders:\n  ollama:\n    model: "café"\n'));
    expect(isAcodeError(result)).toBe(false);
    expect((result as Awaited<ReturnType<typeof loadConfig>>).providers.ollama!.model).toBe('café');
  });
});
