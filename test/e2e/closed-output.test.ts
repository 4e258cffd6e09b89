// A reader that stops early (`acode demo | head -3`): the built CLI ends quietly (exit 0 or 141, as a
// Unix tool ended by SIGPIPE), prints no stack trace, and leaves neither its temp dir nor a stand-in.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, MAIN, project, type Project } from './project.js';

/** Processes whose environment mentions `dir`: what the demo started under its TMPDIR (and nothing else's). */
function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${name}/environ`, 'utf8').includes(dir) && alive(Number(name))) found.push(Number(name));
    } catch {
      // another user's process, or gone meanwhile
    }
  }
  return found;
}

interface Closed {
  code: number | null;
  signal: string | null;
  stderr: string;
  read: string;
}

/** Runs `acode args`, reads stdout until `enough` matches, then closes the pipe as `head` does. */
function readThenClose(args: string[], env: Record<string, string>, cwd: string, enough: RegExp): Promise<Closed> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let read = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      read += d.toString('utf8');
      if (enough.test(read)) child.stdout.destroy();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, read });
    });
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function sandbox(): Promise<{ dir: string; tmp: string; env: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'acode-closed-output-'));
  const tmp = join(dir, 'tmp');
  await mkdir(join(dir, 'home'));
  await mkdir(tmp);
  cleanups.push(async () => {
    for (const pid of processesUnder(tmp)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, tmp, env: { PATH: process.env.PATH ?? '', HOME: join(dir, 'home'), TMPDIR: tmp, CI: 'true' } };
}

function expectQuietEnd(r: Closed): void {
  expect(r.signal).toBeNull();
  expect([0, 141]).toContain(r.code);
  expect(r.stderr).toBe('');
}

describe('a closed stdout ends a command quietly and cleans up', { timeout: 120_000 }, () => {
  it('acode demo | head -3: before any stand-in runs', async () => {
    const s = await sandbox();
    const r = await readThenClose(['demo'], s.env, s.dir, /(.*\n){3}/);
    expectQuietEnd(r);
    expect(readdirSync(s.tmp)).toEqual([]);
    expect(processesUnder(s.tmp)).toEqual([]);
  });

  it('acode demo closed mid-way: the stand-ins it started are stopped, its temp dir removed', async () => {
    const s = await sandbox();
    const r = await readThenClose(['demo'], s.env, s.dir, /stand-in \S+ process started: pid \d+/);
    const started = [...r.read.matchAll(/process started: pid (\d+)/g)].map((m) => Number(m[1]));
    expect(started.length).toBeGreaterThan(0);
    expectQuietEnd(r);
    expect(started.filter(alive)).toEqual([]);
    expect(processesUnder(s.tmp)).toEqual([]);
    expect(readdirSync(s.tmp)).toEqual([]);
  });

  it('acode provider list | head -1', async () => {
    const p: Project = await project('providers:\n  active: vllm\n');
    cleanups.push(() => p.cleanup());
    const r = await readThenClose(['provider', 'list'], p.env, p.dir, /\n/);
    expectQuietEnd(r);
  });
});
