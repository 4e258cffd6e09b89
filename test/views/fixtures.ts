// Builders for StatusReport values used across the view tests.
import type { StatusReport } from '../../cli/views/index.js';

export function report(overrides: Partial<StatusReport> = {}): StatusReport {
  return {
    id: 'ollama',
    kind: 'ollama',
    state: 'healthy',
    model: 'llama3.2:3b',
    modelState: 'ready',
    lifecycle: 'managed',
    mode: 'local-only',
    pid: 4242,
    port: 11434,
    baseUrl: 'http://127.0.0.1:11434',
    owned: true,
    uptimeMs: 3_723_000,
    restartsInWindow: 0,
    ...overrides,
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Lines of a frame, escape codes removed, so widths are measured in columns. */
export function frameLines(frame: string | undefined): string[] {
  return stripAnsi(frame ?? '').split('\n');
}

export function widestLine(frame: string | undefined): number {
  return Math.max(...frameLines(frame).map((l) => [...l].length));
}
