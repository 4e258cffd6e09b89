// Waiting on conditions and processes in tests that run real processes: a bounded poll (never a bare
// sleep) and "is this pid still a live process".
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `predicate` until true or the bound passes: a wait on a condition, not a sleep. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, what = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Alive and not a zombie (a zombie only waits for its parent to reap it). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
