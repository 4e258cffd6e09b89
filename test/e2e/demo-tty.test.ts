// `acode demo` with a terminal: the built CLI under a pseudo-terminal (util-linux `script`), not CI. It
// shows the Ink status frame between steps and still ends with nothing left behind.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasScript) console.warn('SKIPPED demo TTY test: util-linux `script` is missing');

let sandbox: string | undefined;
afterAll(async () => {
  if (sandbox) await rm(sandbox, { recursive: true, force: true });
});

const plain = (s: string) => stripVTControlCharacters(s).replace(/\r/g, '');

describe.skipIf(!hasScript)('acode demo with a TTY', () => {
  it('renders the Ink status frame between steps, exits 0, leaves no stand-in running', async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with \`npx tsc -p tsconfig.json\``);
    sandbox = await mkdtemp(join(tmpdir(), 'acode-demo-tty-'));
    const home = join(sandbox, 'home');
    const tmp = join(sandbox, 'tmp');
    await mkdir(home);
    await mkdir(tmp);
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = `stty cols 100 rows 50; exec ${quote(process.execPath)} ${quote(MAIN)} demo`;
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        cwd: sandbox,
        env: { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: tmp, TERM: 'xterm-256color' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d.toString('utf8');
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
    const text = plain(run.out);
    expect(text).toMatch(/demo finished in/);
    expect(run.code).toBe(0);
    // The StatusView's title and rows, as the TUI draws them.
    expect(text).toMatch(/acode status\s+2 providers/);
    expect(text).toMatch(/vllm\s+healthy\s+meta-llama\/Llama-2-7b-hf ready/);
    expect(text).toMatch(/llamacpp\s+failed/);
    const pids = [...text.matchAll(/process started: pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(3);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
      } catch {
        return false;
      }
    };
    expect(pids.filter(alive)).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  }, 70_000);
});
