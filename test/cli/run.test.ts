// In-process runs of the program with captured output: the error printer and exit-code mapping.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AcodeError, ERROR_CODES, type AcodeErrorCode } from '../../config/index.js';
import type { CommandRegistrar } from '../../cli/deps.js';
import { OutputClosed } from '../../cli/output/index.js';
import { runInProcess } from './helpers.js';
import { tempDir } from '../support/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

// A stand-in command that fails the way a later command would, to exercise the one error path.
function failing(make: () => unknown): CommandRegistrar {
  return (program) => {
    program.command('boom').action(() => {
      throw make();
    });
  };
}

describe('error printing and exit codes', () => {
  it.each([
    ['PORT_IN_USE', 3],
    ['MODEL_NOT_FOUND', 4],
    ['AIRGAP_VIOLATION', 5],
    ['CONNECTION_REFUSED', 6],
    ['ABORTED', 130],
    ['CONFIG_INVALID', 2],
  ] as [AcodeErrorCode, number][])('%s prints error[CODE] + hint and exits %d', async (code, exit) => {
    expect(ERROR_CODES[code]).toBe(exit);
    const r = await runInProcess(['boom'], {
      cwd: dir,
      commands: [failing(() => new AcodeError(code, 'it failed: port 8000', 'do the thing'))],
    });
    expect(r).toEqual({ code: exit, stdout: '', stderr: `error[${code}]: it failed: port 8000\nhint: do the thing\n` });
  });

  it('a START_FAILED error prints the log lines that explain the exit between message and hint', async () => {
    const details = {
      logExcerpt: ['ValueError: no such model'],
      logFile: '/s/logs/vllm.log',
      logTail: ['noise', 'ValueError: no such model'],
    };
    const r = await runInProcess(['boom'], {
      cwd: dir,
      commands: [
        failing(
          () =>
            new AcodeError('START_FAILED', 'vllm: exited', 'Fix what its log (/s/logs/vllm.log) reports', { details }),
        ),
      ],
    });
    expect(r.stderr).toBe(
      'error[START_FAILED]: vllm: exited\n  > ValueError: no such model\nhint: Fix what its log (/s/logs/vllm.log) reports\n',
    );
  });

  it('a command cancelled because its output was closed ends with 141 and prints nothing', async () => {
    const controller = new AbortController();
    const cancelled: CommandRegistrar = (program, deps) => {
      program.command('boom').action(() => {
        deps.stdout.write('first line\n');
        controller.abort(new OutputClosed());
        deps.signal.throwIfAborted();
      });
    };
    const r = await runInProcess(['boom'], { cwd: dir, signal: controller.signal, commands: [cancelled] });
    expect(r).toEqual({ code: 141, stdout: 'first line\n', stderr: '' });
  });

  it('an unexpected exception is INTERNAL, exit 1, without a stack', async () => {
    const r = await runInProcess(['boom'], { cwd: dir, commands: [failing(() => new TypeError('x is undefined'))] });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error\[INTERNAL\]: Unexpected error: x is undefined\nhint: This is a bug in acode/);
    expect(r.stderr).not.toMatch(/\s+at /);
  });

  it('ACODE_DEBUG=1 adds the stack trace and its causes', async () => {
    const cause = new Error('EADDRINUSE 127.0.0.1:8000');
    const r = await runInProcess(['boom'], {
      cwd: dir,
      env: { ACODE_DEBUG: '1' },
      commands: [failing(() => new AcodeError('PORT_IN_USE', 'port 8000 is taken', 'free it', { cause }))],
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^error\[PORT_IN_USE\]: port 8000 is taken\nhint: free it\nAcodeError: port 8000 is taken\n\s+at /,
    );
    expect(r.stderr).toMatch(/caused by: Error: EADDRINUSE 127\.0\.0\.1:8000/);
  });

  it('redacts secret env values from error messages', async () => {
    const r = await runInProcess(['boom'], {
      cwd: dir,
      env: { HF_TOKEN: 'hf_verysecret' },
      commands: [
        failing(() => new AcodeError('START_FAILED', 'vllm exited: bad token hf_verysecret', 'check HF_TOKEN')),
      ],
    });
    expect(r.stderr).toBe('error[START_FAILED]: vllm exited: bad token ***\nhint: check HF_TOKEN\n');
  });

  it('a cancelled run (Ctrl-C) exits 130 as ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await runInProcess(['config', 'show'], { cwd: dir, signal: controller.signal });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/^error\[ABORTED\]: /);
  });

  it('`acode help config` prints help on stdout and exits 0', async () => {
    const r = await runInProcess(['help', 'config'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: acode config \[options\] \[command\]/);
    expect(r.stderr).toBe('');
  });

  it('a missing subcommand shows help on stderr and exits 2', async () => {
    const r = await runInProcess(['provider'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: acode provider \[options\] \[command\]/);
  });

  it('a missing argument and an unknown option are usage errors (exit 2)', async () => {
    const missing = await runInProcess(['provider', 'set'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error\[USAGE\]: missing required argument 'id'\nhint: /);
    const option = await runInProcess(['provider', 'list', '--jsn'], { cwd: dir });
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^error\[USAGE\]: unknown option '--jsn' \(Did you mean --json\?\)\nhint: /);
  });

  it('a typo in a command name suggests the command', async () => {
    const r = await runInProcess(['provder', 'list'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[USAGE\]: unknown command 'provder' \(Did you mean provider\?\)\n/);
  });

  it('the global --config works before or after the command', async () => {
    const before = await runInProcess(['--config', 'x.yml', 'provider', 'list'], { cwd: dir });
    expect(before.stderr).toMatch(/^error\[CONFIG_NOT_FOUND\]: Config file .*x\.yml/);
    const after = await runInProcess(['provider', 'list', '--config', 'y.yml'], { cwd: dir });
    expect(after.stderr).toMatch(/^error\[CONFIG_NOT_FOUND\]: Config file .*y\.yml/);
  });

  it('ACODE_PROVIDER changes the active marker without touching the file', async () => {
    const r = await runInProcess(['provider', 'list', '--json'], { cwd: dir, env: { ACODE_PROVIDER: 'llamacpp' } });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string; active: boolean }[]).find((e) => e.active)?.id).toBe('llamacpp');
  });
});
