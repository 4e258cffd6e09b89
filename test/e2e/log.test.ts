// Item 12.6, end to end: the built CLI writes what its actors did to <ACODE_STATE_DIR>/logs/acode.log
// (lock, port check, probes, spawn, signal), prints it on stderr only with --verbose, and keeps
// secrets out of it. Build first: npm run build.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../servers/harness.js';
import { project, providerYaml, type Project } from './project.js';

const SECRET = 'hf_e2elogsecret0123456789';
const KEY = 'sk-e2e-api-key-value-42';

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

async function vllmProject(args: string[] = []): Promise<Project> {
  const port = await freePort();
  const provider = providerYaml(
    'vllm',
    { model: 'meta-llama/Llama-2-7b-hf', port, api_key_env: 'E2E_SERVER_API_KEY' },
    { stop_on_exit: true },
  );
  const yaml = `providers:\n  active: vllm\n${provider}${args.length > 0 ? `    args: ${JSON.stringify(args)}\n` : ''}`;
  const p = await project(yaml);
  projects.push(p);
  return p;
}

function logEntries(p: Project): Array<Record<string, unknown>> {
  const file = join(p.stateDir, 'logs', 'acode.log');
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const LOG_LINE = /^\d\d:\d\d:\d\d\.\d{3} (DEBUG|INFO |WARN |ERROR) /m;

describe('acode log (built CLI, stand-in servers)', { timeout: 120_000 }, () => {
  it('ask: spawn, readiness and the stop signal land in the file at info; stderr shows none of it', async () => {
    const p = await vllmProject();
    const r = await p.acode(['ask', 'hi'], { env: { HF_TOKEN: SECRET, E2E_SERVER_API_KEY: KEY } });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(LOG_LINE);
    const entries = logEntries(p);
    const messages = entries.map((e) => e.msg);
    expect(messages).toEqual(expect.arrayContaining(['spawned server', 'server ready', 'sent SIGTERM']));
    expect(entries.every((e) => e.level !== 'debug')).toBe(true);
    const spawned = entries.find((e) => e.msg === 'spawned server')!;
    expect(spawned).toMatchObject({
      provider: 'vllm',
      binary: expect.stringMatching(/\/vllm$/),
      serverPid: expect.any(Number),
    });
    expect(p.recordedPids()).toContain(spawned.serverPid);
    const text = readFileSync(join(p.stateDir, 'logs', 'acode.log'), 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(KEY);
  });

  it('--verbose: the lock, port check, probe and spawn lines on stderr and in the file, secrets redacted', async () => {
    // The token's value in a launch argument, which the spawn line records.
    const p = await vllmProject(['--download-dir', `/tmp/${SECRET}`]);
    const r = await p.acode(['--verbose', 'ask', 'hi'], { env: { HF_TOKEN: SECRET, E2E_SERVER_API_KEY: KEY } });
    expect(r.code).toBe(0);
    for (const line of [
      /DEBUG detected provider=vllm .*kind=absent/,
      /DEBUG lock acquired provider=vllm file=\S+\.lock/,
      /DEBUG port free provider=vllm/,
      /INFO {2}spawned server provider=vllm serverPid=\d+/,
      /DEBUG probe provider=vllm phase=starting/,
      /INFO {2}server ready provider=vllm/,
      /INFO {2}sent SIGTERM/,
    ]) {
      expect(r.stderr).toMatch(line);
    }
    const messages = logEntries(p).map((e) => e.msg);
    expect(messages).toEqual(
      expect.arrayContaining(['detected', 'lock acquired', 'port free', 'spawned server', 'probe', 'server ready']),
    );
    expect(messages.indexOf('lock acquired')).toBeLessThan(messages.indexOf('spawned server'));
    const spawned = logEntries(p).find((e) => e.msg === 'spawned server')!;
    expect(spawned.args).toEqual(expect.arrayContaining(['--download-dir', '/tmp/***']));
    const logLines = r.stderr
      .split('\n')
      .filter((l) => LOG_LINE.test(l))
      .join('\n');
    for (const out of [logLines, readFileSync(join(p.stateDir, 'logs', 'acode.log'), 'utf8')]) {
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain(KEY);
    }
  });

  it('a config reload under status --watch, and the restart it causes, are logged', async () => {
    const port = await freePort();
    const yaml = (model: string) => `providers:\n  active: vllm\n${providerYaml('vllm', { model, port })}`;
    const p = await project(yaml('Qwen/Qwen2.5-0.5B-Instruct'));
    projects.push(p);
    expect((await p.acode(['providers', 'start', 'vllm', '--json'])).code).toBe(0);
    const watch = p.live(['status', '--watch', '--json']);
    await watch.waitForStdout(/"state":"healthy"/);
    await writeFile(join(p.dir, '.agent', 'config.yml'), yaml('Qwen/Qwen2.5-1.5B-Instruct'));
    await watch.waitForStderr(/config reloaded/);
    await expect
      .poll(() => logEntries(p).map((e) => e.msg), { timeout: 30_000 })
      .toEqual(expect.arrayContaining(['config reloaded', 'sent SIGTERM', 'spawned server', 'server ready']));
    expect(logEntries(p).find((e) => e.msg === 'config reloaded')).toMatchObject({ restarting: ['vllm'] });
  });

  it('a read (provider status, --version) writes no log at all: nothing at info, pino never loaded', async () => {
    const p = await vllmProject();
    expect((await p.acode(['--version'])).code).toBe(0);
    const status = await p.acode(['provider', 'status', '--json']);
    expect(status.code).toBe(0);
    expect(status.stderr).toBe('');
    expect(existsSync(join(p.stateDir, 'logs', 'acode.log'))).toBe(false);
  });

  it('ACODE_LOG_LEVEL=debug shows the detect line on stderr for the same read; a bad level is a typed error', async () => {
    const p = await vllmProject();
    const debug = await p.acode(['provider', 'status', '--json'], { env: { ACODE_LOG_LEVEL: 'debug' } });
    expect(debug.code).toBe(0);
    expect(debug.stderr).toMatch(/DEBUG detected provider=vllm .*kind=absent/);
    const bad = await p.acode(['provider', 'status'], { env: { ACODE_LOG_LEVEL: 'chatty' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^error\[CONFIG_INVALID\]: ACODE_LOG_LEVEL=chatty is not a log level\.\nhint: Set ACODE_LOG_LEVEL to one of debug, info, warn, error, silent/,
    );
  });
});
