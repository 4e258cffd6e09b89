// vitest globalSetup: the suite must leave the user's real caches alone. Before any test runs it
// records every path under the places a stand-in or acode writes by default (the Hugging Face cache,
// ~/.ollama, acode's state dir); after the last test it looks again and fails the run, naming each
// path that appeared, changed or vanished. A test (or the demo) that forgets to hand its servers a
// scratch HOME / HF_HOME / OLLAMA_MODELS shows up here, whichever file it is in.
import { lstatSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

type Snapshot = Map<string, string>;

/** The roots a server or acode writes into when a test hands it the developer's own environment. */
export function guardedRoots(env: NodeJS.ProcessEnv = process.env, home = env.HOME || homedir()): string[] {
  const roots = [
    join(home, '.cache', 'huggingface'),
    join(home, '.ollama'),
    join(home, '.local', 'state', 'acode'),
    join(home, '.config', 'acode'),
  ];
  for (const value of [
    env.HF_HOME,
    env.OLLAMA_MODELS,
    env.XDG_STATE_HOME && join(env.XDG_STATE_HOME, 'acode'),
    env.ACODE_STATE_DIR,
  ]) {
    if (value) roots.push(value);
  }
  return [...new Set(roots)];
}

/** path -> kind, size and mtime of everything under the roots (a missing root is recorded as such). */
export function snapshot(roots: string[]): Snapshot {
  const seen: Snapshot = new Map();
  const walk = (path: string): void => {
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      return;
    }
    seen.set(
      path,
      stat.isDirectory() ? 'dir' : `${stat.isSymbolicLink() ? 'link' : 'file'} ${stat.size} ${stat.mtimeMs}`,
    );
    if (!stat.isDirectory()) return;
    for (const name of readdirSync(path)) walk(join(path, name));
  };
  for (const root of roots) walk(root);
  return seen;
}

export function changes(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const [path, now] of after) {
    const was = before.get(path);
    if (was === undefined) out.push(`new      ${path}`);
    else if (was !== now) out.push(`changed  ${path}`);
  }
  for (const path of before.keys()) if (!after.has(path)) out.push(`removed  ${path}`);
  return out.sort((a, b) => a.slice(9).localeCompare(b.slice(9)));
}

export default function setup(): () => void {
  const roots = guardedRoots();
  const before = snapshot(roots);
  return () => {
    const found = changes(before, snapshot(roots));
    if (found.length === 0) return;
    const shown = found.slice(0, 40).join('\n  ');
    const more = found.length > 40 ? `\n  … and ${found.length - 40} more` : '';
    const message =
      `The test suite wrote into the real HOME (${roots.join(', ')}):\n  ${shown}${more}\n` +
      'Every server a test or the demo starts needs a scratch HOME, HF_HOME and OLLAMA_MODELS (see test/servers/lib/scratch-home.ts).';
    // vitest only logs a teardown error; the exit code is what CI reads.
    process.exitCode = 1;
    console.error(`\nHOME GUARD FAILED: ${message}`);
    throw new Error(message);
  };
}
