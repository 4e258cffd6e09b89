// Notices edits of the config file for long-running commands (`status --watch`, `inspect`, later
// `serve`). Editors save by writing in place or by writing a temp file and renaming it over the
// original, so the directory is watched, not the file's inode; a burst of events (write, chmod,
// rename) is one reload after a quiet moment.
import { watch as watchFs, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AcodeError, toAcodeError } from './errors.js';
import type { AcodeConfig } from './types.js';

export interface ConfigWatchOptions {
  /** The config file to follow (AcodeConfig.file). */
  file: string;
  /** Reads and validates it again (the command's own loader, same flags and environment). */
  load: () => Promise<AcodeConfig>;
  /** A valid edit that changed the effective config. */
  onReload: (next: AcodeConfig) => void | Promise<void>;
  /** An edit that does not load (or could not be applied): the caller keeps running on the last good config. */
  onInvalid: (error: AcodeError) => void;
  signal: AbortSignal;
  /** Quiet time after the last file event before reloading. */
  debounceMs?: number;
}

export const CONFIG_RELOAD_DEBOUNCE_MS = 250;

/** Starts following the file; stops when `signal` aborts. */
export function watchConfigFile(current: AcodeConfig, options: ConfigWatchOptions): void {
  const { file, signal } = options;
  const debounceMs = options.debounceMs ?? CONFIG_RELOAD_DEBOUNCE_MS;
  if (signal.aborted) return;
  let last = JSON.stringify(current);
  let timer: NodeJS.Timeout | undefined;
  // One reload at a time; an edit during a reload schedules one more after it.
  let running: Promise<void> | undefined;
  let again = false;

  const reload = async (): Promise<void> => {
    let next: AcodeConfig;
    try {
      next = await options.load();
    } catch (error) {
      if (!signal.aborted) options.onInvalid(toAcodeError(error));
      return;
    }
    if (signal.aborted) return;
    const text = JSON.stringify(next);
    // Saved without a change that matters (or a comment edit): nothing to apply.
    if (text === last) return;
    last = text;
    try {
      await options.onReload(next);
    } catch (error) {
      if (!signal.aborted) options.onInvalid(toAcodeError(error));
    }
  };

  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (running) {
        again = true;
        return;
      }
      running = reload().finally(() => {
        running = undefined;
        if (again && !signal.aborted) {
          again = false;
          schedule();
        }
      });
    }, debounceMs);
  };

  let watcher: FSWatcher;
  try {
    watcher = watchFs(dirname(file), { persistent: false }, (_event, name) => {
      // Some platforms omit the name; then any change in the directory counts.
      if (name === null || name === basename(file)) schedule();
    });
  } catch {
    // The directory vanished or cannot be watched: the command goes on with the config it has.
    return;
  }
  watcher.on('error', () => watcher.close());
  signal.addEventListener(
    'abort',
    () => {
      clearTimeout(timer);
      watcher.close();
    },
    { once: true },
  );
}
