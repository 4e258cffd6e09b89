// `acode demo` as a user runs it from a clone: the BUILT binary, CI=true and no TTY, a fresh empty HOME
// and TMPDIR. It must pass every step, leave none of the processes it started alive, and leave both
// directories as empty as it found them. Build first: npx tsc -p tsconfig.json
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

let sandbox: string;
let home: string;
let tmp: string;
let run: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with \`npx tsc -p tsconfig.json\``);
  sandbox = await mkdtemp(join(tmpdir(), 'acode-demo-e2e-'));
  home = join(sandbox, 'home');
  tmp = join(sandbox, 'tmp');
  await mkdir(home);
  await mkdir(tmp);
  run = await new Promise((resolve) => {
    // No XDG_* and no ACODE_STATE_DIR: the demo must not fall back to the user's real directories.
    const env = { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: tmp, CI: 'true' };
    const child = spawn(process.execPath, [MAIN, 'demo'], { cwd: sandbox, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    // The bound: under a minute. A hung demo fails here instead of hanging the suite.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}, 70_000);

afterAll(async () => {
  // Only if the assertions below failed: do not leak what the demo left behind.
  for (const pid of pidsIn(run?.stdout ?? '')) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await rm(sandbox, { recursive: true, force: true });
});

function pidsIn(stdout: string): number[] {
  return [...stdout.matchAll(/stand-in \S+ process started: pid (\d+)/g)].map((m) => Number(m[1]));
}

describe('acode demo (built CLI, CI=true, no TTY)', () => {
  it('exits 0 and labels the servers as stand-ins', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/STAND-INS from test\/servers\//);
    // Plain lines only: no escape code without a TTY.
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('walks through every step with its key lines, in order', () => {
    const expected = [
      /== step 1: cold start/,
      /vllm: starting/,
      /vllm healthy with its model ready after/,
      /== step 2: Ollama/,
      /ollama: pulling llama3\.2:latest 50%/,
      /ollama: pulling llama3\.2:latest 100%/,
      /ollama: ready/,
      /== step 3: an answer streamed/,
      /answered by vllm/,
      /== step 4: the server is killed/,
      /killed the vllm stand-in \(pid \d+\) with SIGKILL/,
      /request retried: vllm/,
      /vllm: crashed/,
      /vllm: restarting/,
      /recovered: vllm restarted as pid \d+, 1 request retry/,
      /the recovered answer is identical to the uninterrupted one/,
      /== step 5: a port conflict/,
      /error\[PORT_IN_USE\]: llamacpp: port \d+ is held by/,
      /hint: Stop what holds port \d+/,
      /== step 6: clean stop/,
      /none is left running/,
      /removed .*acode-demo-/,
      /demo finished in/,
    ];
    let from = 0;
    for (const re of expected) {
      const at = run.stdout.slice(from).search(re);
      expect({ line: re.source, found: at >= 0 }).toEqual({ line: re.source, found: true });
      from += at;
    }
  });

  it('leaves none of the processes it started running', () => {
    const pids = pidsIn(run.stdout);
    // vLLM, Ollama, and vLLM again after the kill.
    expect(pids).toHaveLength(3);
    expect(new Set(pids).size).toBe(3);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('writes nothing outside its temporary directory, and removes that', () => {
    expect(listAll(home)).toEqual([]);
    expect(listAll(tmp)).toEqual([]);
    expect(listAll(sandbox).sort()).toEqual(['home', 'tmp']);
  });
});
