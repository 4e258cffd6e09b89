// Number and text formatting for the status views. Pure functions, no locale: the output is the same on
// every machine, so frames and plain lines can be compared and grepped.

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

// Decimal units, as Ollama's own CLI prints pull sizes, so the two read alike.
/** 0 -> "0 B", 1_500 -> "1.5 kB", 120_000_000 -> "120 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit === 0) return `${Math.floor(value)} B`;
  // One decimal below 10 keeps small sizes informative without widening large ones.
  const text = value < 10 ? value.toFixed(1) : String(Math.round(value));
  // 999.6 kB rounds to "1000 kB": carry into the next unit instead.
  if (text === '1000' && unit < UNITS.length - 1) return `1.0 ${UNITS[unit + 1]}`;
  return `${text} ${UNITS[unit]}`;
}

/** Bytes per second as "120 MB/s". */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Seconds left as "m:ss", or "h:mm:ss" from one hour; undefined when it cannot be known. */
export function formatEta(seconds: number): string | undefined {
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  const total = Math.ceil(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${m}:${pad2(s)}`;
}

/** Uptime in milliseconds as "h:mm:ss" (hours grow past 24 rather than switching to days). */
export function formatUptime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0:00:00';
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  return `${h}:${pad2(m)}:${pad2(total % 60)}`;
}

/** Clamps a fraction into [0, 1]; anything unknown (NaN, Infinity) counts as 0. */
export function clampFraction(fraction: number): number {
  if (!Number.isFinite(fraction) || fraction <= 0) return 0;
  return fraction >= 1 ? 1 : fraction;
}

// Floors, so a pull at 99.7% never claims 100% before it is done.
/** 0.437 -> "43%". */
export function formatPercent(fraction: number): string {
  return `${Math.floor(clampFraction(fraction) * 100)}%`;
}

/** completed/total, or undefined when the total is not known yet. */
export function progressFraction(detail: { completed: number; total: number } | undefined): number | undefined {
  if (!detail || !Number.isFinite(detail.total) || detail.total <= 0) return undefined;
  return clampFraction(detail.completed / detail.total);
}

/** Seconds until a transfer finishes at its current rate, or undefined when the rate is zero or unknown. */
export function etaSeconds(detail: { completed: number; total: number; bytesPerSecond: number }): number | undefined {
  if (!(detail.total > 0) || !(detail.bytesPerSecond > 0)) return undefined;
  return Math.max(0, detail.total - detail.completed) / detail.bytesPerSecond;
}

// ESC-introduced sequences (CSI, OSC, two-byte) and other C0/C1 controls. Server logs and error text come
// from outside: they must neither inject escape codes into a NO_COLOR frame nor move the cursor.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Strips escape sequences and control characters; tabs become one space, newlines become " / ". */
export function sanitizeText(text: string): string {
  return text.replace(ANSI, '').replace(/\r?\n/g, ' / ').replace(/\t/g, ' ').replace(CONTROLS, '');
}
