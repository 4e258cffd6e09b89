// Where state that outlives one acode process lives (pid files, locks, logs).
import { isAbsolute, join } from 'node:path';
import { xdgState } from 'xdg-basedir';
import { AcodeError } from './errors.js';
import type { Env } from './types.js';

/**
 * $ACODE_STATE_DIR, else $XDG_STATE_HOME/acode, else ~/.local/state/acode. Reads the env it is
 * given (xdg-basedir reads process.env at import, so it is only the last resort).
 */
export function resolveStateDir(env: Env): string {
  const explicit = env.ACODE_STATE_DIR?.trim();
  if (explicit) return explicit;
  // The XDG spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  const xdg = env.XDG_STATE_HOME?.trim();
  if (xdg && isAbsolute(xdg)) return join(xdg, 'acode');
  const home = env.HOME?.trim();
  if (home) return join(home, '.local', 'state', 'acode');
  if (xdgState) return join(xdgState, 'acode');
  throw new AcodeError(
    'CONFIG_INVALID',
    'Cannot find a state directory: neither ACODE_STATE_DIR, XDG_STATE_HOME nor HOME is set.',
    'Set ACODE_STATE_DIR to a writable directory.',
  );
}
