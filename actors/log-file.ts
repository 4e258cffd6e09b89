// The server's stdout/stderr go to <stateDir>/logs/<server key>.log (state-dir.ts), written by the
// child itself (a raw fd, not a pipe through us), so the server keeps logging after the CLI exits.
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

const LOG_MAX_BYTES = 5 * 1024 * 1024;

/**
 * Opens the log for appending and returns the fd for the child plus the offset where this run
 * starts. Rotates first when the file is over the cap (one generation, `.1`), since a running child
 * holds its fd and cannot be rotated under it.
 */
export async function openServerLog(
  file: string,
  { maxBytes = LOG_MAX_BYTES, banner }: { maxBytes?: number; banner?: string } = {},
): Promise<{ fd: number; offset: number; close(): Promise<void> }> {
  await mkdir(dirname(file), { recursive: true });
  const size = await stat(file)
    .then((s) => s.size)
    .catch(() => 0);
  if (size > maxBytes) {
    await rm(`${file}.1`, { force: true });
    await rename(file, `${file}.1`).catch(() => undefined);
  }
  const handle = await open(file, 'a');
  const offset = (await handle.stat()).size;
  if (banner) await handle.write(`${banner}\n`);
  return { fd: handle.fd, offset, close: () => handle.close() };
}

const TAIL_WINDOW_BYTES = 64 * 1024;

/** The last `lines` lines written since `offset` (the start of this run). Reads only the file's end. */
export async function logTail(
  file: string,
  { lines = 20, offset = 0 }: { lines?: number; offset?: number } = {},
): Promise<string[]> {
  try {
    const handle = await open(file, 'r');
    try {
      const size = (await handle.stat()).size;
      // A rotated (smaller) file invalidates the offset: fall back to its start.
      const runStart = offset <= size ? offset : 0;
      const from = Math.max(runStart, size - TAIL_WINDOW_BYTES);
      const buffer = Buffer.alloc(size - from);
      await handle.read(buffer, 0, buffer.length, from);
      const all = buffer.toString('utf8').split('\n');
      if (all.at(-1) === '') all.pop();
      // A window that starts mid-line drops its first, partial line.
      if (from > runStart) all.shift();
      return all.slice(-lines);
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
}
