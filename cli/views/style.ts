// Colour for the status views. We write SGR codes ourselves instead of using Ink's `color` props: Ink's
// chalk decides from the process's own stdout whether to colour, but the caller decides once (env + TTY)
// and passes `color`, and with `color: false` the frame must carry no escape code at all.
import type { ModelState, ServiceState } from './types.js';

export type Tone = 'green' | 'yellow' | 'red' | 'cyan' | 'magenta' | 'gray' | 'bold' | 'dim' | 'inverse';

const SGR: Record<Tone, readonly [number, number]> = {
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
  cyan: [36, 39],
  magenta: [35, 39],
  gray: [90, 39],
  bold: [1, 22],
  dim: [2, 22],
  inverse: [7, 27],
};

/** Wraps text in the tone's escape codes when colour is on; returns it untouched otherwise. */
export function paint(text: string, tone: Tone | undefined, color: boolean): string {
  if (!color || !tone || text === '') return text;
  const [open, close] = SGR[tone];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

export const STATE_TONE: Record<ServiceState, Tone> = {
  stopped: 'gray',
  detecting: 'yellow',
  starting: 'yellow',
  healthy: 'green',
  crashed: 'red',
  restarting: 'yellow',
  reloading: 'yellow',
  stopping: 'yellow',
  failed: 'red',
  unavailable: 'magenta',
};

export const MODEL_TONE: Record<ModelState, Tone> = {
  unknown: 'gray',
  checking: 'yellow',
  pulling: 'cyan',
  ready: 'green',
  missing: 'red',
};

/** A run of text with one tone; a line is a list of segments so its plain width is known before painting. */
export interface Segment {
  text: string;
  tone?: Tone;
}

export function plainText(segments: readonly Segment[]): string {
  return segments.map((s) => s.text).join('');
}

export function paintSegments(segments: readonly Segment[], color: boolean): string {
  return segments.map((s) => paint(s.text, s.tone, color)).join('');
}

// NO_COLOR (no-color.org) wins when set and non-empty; FORCE_COLOR overrides the TTY check; TERM=dumb never colours.
/** Decides once, from the environment and whether stdout is a terminal, if the views may colour. */
export function shouldUseColor({ env, isTTY }: { env: Record<string, string | undefined>; isTTY: boolean }): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '')
    return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.TERM === 'dumb') return false;
  return isTTY;
}
