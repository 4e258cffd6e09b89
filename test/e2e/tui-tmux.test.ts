// `acode status --watch` in a real terminal: tmux runs the built CLI in a 100x30 pane, the test presses
// keys with send-keys and reads the screen with capture-pane. Build first: npx tsc -p tsconfig.json
import { execFileSync, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../servers/harness.js';
import { MAIN, alive, portFree, project, providerYaml, type Project } from './project.js';

const VLLM_MODEL = 'meta-llama/Llama-2-7b-hf';
const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

let sockets: string[] = [];
let projects: Project[] = [];
afterEach(async () => {
  for (const socket of sockets) spawnSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  await Promise.all(projects.map((p) => p.cleanup()));
  sockets = [];
  projects = [];
});

class Terminal {
  constructor(readonly socket: string) {}

  tmux(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  screen(): string {
    return this.tmux(['capture-pane', '-p']);
  }

  keys(key: string): void {
    this.tmux(['send-keys', key]);
  }

  alive(): boolean {
    return spawnSync('tmux', ['-L', this.socket, 'has-session'], { stdio: 'ignore' }).status === 0;
  }

  // Polls the screen (bounded) until `test` holds; the failure shows the last screen.
  async waitFor(what: string, test: () => boolean, timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; screen:\n${this.alive() ? this.screen() : '(session gone)'}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async waitForScreen(pattern: RegExp): Promise<string> {
    let last = '';
    await this.waitFor(`${pattern}`, () => pattern.test((last = this.alive() ? this.screen() : '')));
    return last;
  }
}

describe.skipIf(!hasTmux)(`acode status --watch in tmux${hasTmux ? '' : ' (skipped: tmux is not installed)'}`, () => {
  it('s starts the provider (healthy), l shows its log, r restarts it (new pid), x stops it (process gone), q quits', async () => {
    const port = await freePort();
    const p = await project(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port }, { health_check_interval_seconds: 1 })}`,
    );
    projects.push(p);
    const term = new Terminal(`acode-tui-${process.pid}-${Date.now()}`);
    sockets.push(term.socket);
    // A fresh tmux server (its own socket) inherits this environment: the stand-ins on PATH, the temp state dir.
    execFileSync(
      'tmux',
      [
        '-L',
        term.socket,
        '-f',
        '/dev/null',
        'new-session',
        '-d',
        '-x',
        '100',
        '-y',
        '30',
        '-c',
        p.dir,
        `'${process.execPath}' '${MAIN}' status --watch`,
      ],
      { env: { ...p.env, TERM: 'xterm-256color' } },
    );

    // The key help line means Ink is listening for keys; the row shows the provider down.
    await term.waitForScreen(/> vllm\s+stopped[\s\S]*q quit/);
    expect(await portFree(port)).toBe(true);

    term.keys('s');
    const up = await term.waitForScreen(/vllm\s+healthy\s+meta-llama\/Llama-2-7b-hf ready/);
    const pid = Number(/pid (\d+) \(acode\)/.exec(up)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(up).toMatch(new RegExp(`port ${port}`));
    expect(alive(pid)).toBe(true);
    expect(p.recordedPids()).toContain(pid);

    // l: the server's log tail from the state dir, under the table.
    term.keys('l');
    await term.waitForScreen(/── log: vllm ─+[\s\S]*GET \/health/);

    // r: stop (ours) and start again: a new pid, healthy again.
    term.keys('r');
    const again = await term.waitForScreen(/vllm\s+healthy\s+meta-llama\/Llama-2-7b-hf ready[\s\S]*restart vllm: done/);
    const second = Number(/pid (\d+) \(acode\)/.exec(again)?.[1]);
    expect(second).toBeGreaterThan(0);
    expect(second).not.toBe(pid);
    expect(alive(pid)).toBe(false);

    term.keys('x');
    await term.waitForScreen(/> vllm\s+stopped[\s\S]*stop vllm: done/);
    expect(alive(second)).toBe(false);
    expect(await portFree(port)).toBe(true);

    term.keys('q');
    await term.waitFor('the session to end after q', () => !term.alive());
  }, 120_000);
});
