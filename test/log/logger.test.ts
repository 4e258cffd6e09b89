// Item 12.6: acode's own log. Levels, where the file is (under the state dir it is given, never the
// real HOME), rotation at open, secrets redacted, stderr only when asked, nothing opened when nothing logs.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  humanLine,
  installProcessLogger,
  openLogger,
  processLogger,
  processLogPath,
  silentLogger,
} from '../../log/logger.js';
import { isAcodeError } from '../../config/index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'acode-log-'));
  dirs.push(dir);
  return dir;
}

function lines(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function collector() {
  let text = '';
  return { write: (s: string) => void (text += s), text: () => text };
}

describe('the process log', () => {
  it('writes JSON lines at info and above to <state>/logs/acode.log, with pid, time, level and the fields', async () => {
    const dir = await stateDir();
    const log = openLogger({ env: { ACODE_STATE_DIR: dir } });
    log.debug({ provider: 'vllm' }, 'probe refused');
    log.info({ provider: 'vllm', pid: 4711 }, 'spawned server');
    log.child({ provider: 'ollama' }).warn({ attempt: 2 }, 'lock held');
    await log.flush();
    expect(log.file).toBe(join(dir, 'logs', 'acode.log'));
    const entries = lines(join(dir, 'logs', 'acode.log'));
    expect(entries.map((e) => [e.level, e.msg])).toEqual([
      ['info', 'spawned server'],
      ['warn', 'lock held'],
    ]);
    expect(entries[0]).toMatchObject({ provider: 'vllm', pid: 4711 });
    expect(entries[1]).toMatchObject({ provider: 'ollama', attempt: 2, pid: process.pid });
    expect(new Date(entries[0]!.time as string).getTime()).toBeGreaterThan(0);
  });

  it('opens nothing (no file, no logs dir) when no line reaches the level', async () => {
    const dir = await stateDir();
    const log = openLogger({ env: { ACODE_STATE_DIR: dir } });
    log.debug({ provider: 'vllm' }, 'probe refused');
    await log.flush();
    expect(existsSync(join(dir, 'logs'))).toBe(false);
  });

  it('ACODE_LOG_LEVEL sets the level and echoes to stderr; silent writes nothing anywhere', async () => {
    for (const [level, expected] of [
      ['debug', ['debug', 'info', 'error']],
      ['error', ['error']],
    ] as const) {
      const dir = await stateDir();
      const stderr = collector();
      const log = openLogger({ env: { ACODE_STATE_DIR: dir, ACODE_LOG_LEVEL: level }, stderr });
      log.debug({}, 'one');
      log.info({}, 'two');
      log.error({}, 'three');
      await log.flush();
      expect(lines(processLogPath(dir)).map((e) => e.level)).toEqual(expected);
      expect(stderr.text().trim().split('\n')).toHaveLength(expected.length);
    }
    const dir = await stateDir();
    const stderr = collector();
    const log = openLogger({ env: { ACODE_STATE_DIR: dir, ACODE_LOG_LEVEL: 'silent' }, stderr });
    log.error({}, 'nothing');
    await log.flush();
    expect(existsSync(join(dir, 'logs'))).toBe(false);
    expect(stderr.text()).toBe('');
    expect(log.file).toBeUndefined();
  });

  it('prints on stderr only with --verbose (debug and up), one readable line per entry', async () => {
    const dir = await stateDir();
    const quiet = collector();
    const plain = openLogger({ env: { ACODE_STATE_DIR: dir }, stderr: quiet });
    plain.warn({ provider: 'vllm' }, 'lock held');
    await plain.flush();
    expect(quiet.text()).toBe('');

    const loud = collector();
    const verbose = openLogger({ env: { ACODE_STATE_DIR: dir }, stderr: loud, verbose: true });
    verbose.child({ provider: 'vllm' }).debug({ port: 8000, holder: 'python3 (pid 12)' }, 'port check');
    await verbose.flush();
    expect(loud.text()).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} DEBUG port check provider=vllm port=8000 holder="python3 \(pid 12\)"\n$/,
    );
    expect(lines(processLogPath(dir)).map((e) => e.msg)).toEqual(['lock held', 'port check']);
  });

  it('refuses an unknown ACODE_LOG_LEVEL with a typed error that names it', () => {
    let error: unknown;
    try {
      openLogger({ env: { ACODE_LOG_LEVEL: 'loud' } });
    } catch (e) {
      error = e;
    }
    expect(isAcodeError(error) && error.code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toContain('ACODE_LOG_LEVEL=loud');
    expect((error as { hint: string }).hint).toContain('debug, info, warn, error, silent');
  });

  it('redacts secrets: HF_TOKEN and *_API_KEY values (what api_key_env names), Authorization headers, apiKey fields', async () => {
    const dir = await stateDir();
    const env = {
      ACODE_STATE_DIR: dir,
      HF_TOKEN: 'hf_secretvalue123',
      VLLM_API_KEY: 'sk-vllm-0987654321',
      LOCAL_SECRET: 'plainly-named-secret',
    };
    const stderr = collector();
    const log = openLogger({ env, stderr, verbose: true });
    log.info(
      { argv: ['vllm', 'serve', '--api-key', 'sk-vllm-0987654321'], env: { HF_TOKEN: 'hf_secretvalue123' } },
      'spawned server',
    );
    log
      .child({ headers: { authorization: 'Bearer sk-header-55555' } })
      .warn({ apiKey: 'sk-field-4444', note: 'key plainly-named-secret' }, 'request refused with hf_secretvalue123');
    await log.flush();
    const text = readFileSync(processLogPath(dir), 'utf8');
    for (const secret of [
      'hf_secretvalue123',
      'sk-vllm-0987654321',
      'plainly-named-secret',
      'sk-header-55555',
      'sk-field-4444',
    ]) {
      expect(text).not.toContain(secret);
      expect(stderr.text()).not.toContain(secret);
    }
    expect(text).toContain('***');
    expect(lines(processLogPath(dir)).map((e) => e.msg)).toEqual(['spawned server', 'request refused with ***']);
  });

  it('rotates a file over the size at open, keeping a bounded number of old files', async () => {
    const dir = await stateDir();
    const file = processLogPath(dir);
    mkdirSync(join(dir, 'logs'));
    for (let run = 0; run < 5; run++) {
      writeFileSync(file, `${'x'.repeat(200)}\n`.repeat(2), { flag: 'a' });
      const log = openLogger({ env: { ACODE_STATE_DIR: dir }, maxBytes: 300, keep: 2 });
      log.info({ run }, 'opened');
      await log.flush();
    }
    expect(readdirSync(join(dir, 'logs')).sort()).toEqual(['acode.1.log', 'acode.2.log', 'acode.log']);
    expect(lines(file).map((e) => e.run)).toEqual([4]);
    expect(readFileSync(join(dir, 'logs', 'acode.1.log'), 'utf8')).toContain('"run":3');
    expect(readFileSync(join(dir, 'logs', 'acode.2.log'), 'utf8')).toContain('"run":2');
  });

  it('is silent for actors until a run installs its logger, and the previous one comes back', () => {
    expect(processLogger()).toBe(silentLogger);
    const log = openLogger({ env: { ACODE_STATE_DIR: '/nonexistent-state' } });
    const restore = installProcessLogger(log);
    expect(processLogger()).toBe(log);
    restore();
    expect(processLogger()).toBe(silentLogger);
  });

  it('formats a line that is not JSON as it is', () => {
    expect(humanLine('plain')).toBe('plain\n');
  });
});
