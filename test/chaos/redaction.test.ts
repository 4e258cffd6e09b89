// Secret redaction: every CLI command (found by walking the commander program, so new commands are
// covered without touching this file) runs with HF_TOKEN and an API key set; their values must appear
// nowhere: stdout, stderr, --json output, --record recordings, or any file in the state dir (logs, pid
// files). Plus a config file that holds a secret: the error names the key, never the value.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/run.js';
import { freePort } from '../servers/harness.js';
import { MAIN, PidLedger, requireBuilt, standInEnv } from './helpers.js';
import { tempDir } from '../support/temp-dir.js';
import { MODELS } from '../support/providers.js';

const SECRETS = {
  HF_TOKEN: 'hf_ChaosSecretValue0123456789abcdef',
  OPENAI_API_KEY: 'sk-chaos-secret-0123456789abcdefABCDEF',
  ACODE_API_KEY: 'acode-chaos-key-9f8e7d6c5b4a',
};
const VALUES = Object.values(SECRETS);
// Long-running or interactive commands still get checked; they are stopped at this bound.
// (`tui` waits for a terminal that never comes, so it always runs into this bound.)
const PER_RUN_MS = 10_000;

interface Leaf {
  path: string[];
  args: { name: string; required: boolean }[];
  json: boolean;
}

function leaves(): Leaf[] {
  const out = { write: () => true };
  const program = buildProgram({
    stdout: out,
    stderr: out,
    env: {},
    cwd: '/',
    signal: new AbortController().signal,
    config: {} as never,
  });
  const found: Leaf[] = [];
  const walk = (c: Command, path: string[]): void => {
    if (c.commands.length === 0) {
      found.push({
        path,
        args: c.registeredArguments.map((a) => ({ name: a.name(), required: a.required })),
        json: c.options.some((o) => o.long === '--json'),
      });
      return;
    }
    for (const sub of c.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return found;
}

const ledger = new PidLedger();
let work: { dir: string; cleanup: () => Promise<void> };
let stateDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  requireBuilt();
  work = await tempDir('redact');
  stateDir = join(work.dir, 'state');
  const port = await freePort();
  await mkdir(join(work.dir, '.agent'), { recursive: true });
  await writeFile(
    join(work.dir, '.agent', 'config.yml'),
    [
      'providers:',
      '  active: llamacpp',
      '  llamacpp:',
      `    model: ${MODELS.llamacpp}`,
      `    port: ${port}`,
      '    lifecycle: { mode: managed, start_timeout_seconds: 20, stop_on_exit: false }',
      '',
    ].join('\n'),
  );
  // demo and inspect make their own temp dirs (and state dirs): keep them inside work.dir so afterAll
  // finds the pid files of stand-ins a command left behind when its bound SIGKILLed it.
  await mkdir(join(work.dir, 'tmp'), { recursive: true });
  env = { ...standInEnv(), HOME: work.dir, TMPDIR: join(work.dir, 'tmp'), ACODE_STATE_DIR: stateDir, ...SECRETS };
  delete env.ACODE_DEBUG;
});
afterAll(async () => {
  // Servers a command started outlive it (stop_on_exit: false): stop them by their pid files.
  const pidFiles = filesUnder(work.dir).filter((f) => /[/\\]run[/\\][^/\\]+\.json$/.test(f));
  for (const file of pidFiles) {
    try {
      ledger.add((JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid);
    } catch {
      // not a pid file
    }
  }
  ledger.killAll();
  await work.cleanup();
});

function runCli(
  argv: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...argv], {
      cwd: work.dir,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, PER_RUN_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, timedOut });
    });
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

const leaks = (where: string, text: string): string[] =>
  VALUES.filter((v) => text.includes(v)).map((v) => `${where} contains ${v.slice(0, 6)}…`);

describe('chaos: secrets never leave the environment', () => {
  it('every command, human and --json, with --record: no secret value in any output, recording or state file', async () => {
    const all = leaves();
    const found: string[] = [];
    const report: string[] = [];
    let recording: string | undefined;
    const placeholder = (name: string): string =>
      name === 'id'
        ? 'llamacpp'
        : name === 'model'
          ? MODELS.llamacpp
          : name === 'prompt'
            ? 'say hi'
            : name === 'file'
              ? (recording ?? join(work.dir, 'none.jsonl'))
              : 'x';
    const runLeaf = async (leaf: Leaf, i: number): Promise<void> => {
      const args = leaf.args
        .filter((a) => a.required || ['id', 'prompt', 'model'].includes(a.name))
        .map((a) => placeholder(a.name));
      const variants = leaf.json
        ? [
            [...leaf.path, ...args, '--json'],
            [...leaf.path, ...args],
          ]
        : [[...leaf.path, ...args]];
      for (const [j, argv] of variants.entries()) {
        const rec = join(work.dir, `rec-${i}-${j}.jsonl`);
        const r = await runCli(['--record', rec, ...argv]);
        const name = `acode ${argv.join(' ')}`;
        report.push(`${argv.join(' ')}=${r.timedOut ? 'bounded' : r.code}`);
        found.push(...leaks(`${name} stdout`, r.out), ...leaks(`${name} stderr`, r.err));
        if (existsSync(rec)) {
          const text = readFileSync(rec, 'utf8');
          found.push(...leaks(`${name} --record`, text));
          if (text.length > 0 && recording === undefined) recording = rec;
        }
      }
    };
    // Three commands at a time: interactive ones (tui, demo, inspect) sit out their bound side by side
    // with the rest instead of one after another. replay reads a recording, so it runs last.
    const queue = all.filter((l) => l.path[0] !== 'replay').map((leaf, i) => ({ leaf, i }));
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await runLeaf(next.leaf, next.i);
      }),
    );
    for (const [k, leaf] of all.filter((l) => l.path[0] === 'replay').entries()) await runLeaf(leaf, all.length + k);
    for (const file of filesUnder(stateDir)) found.push(...leaks(file, readFileSync(file, 'utf8')));
    const stateFiles = filesUnder(stateDir).length;
    console.log(
      `chaos: redaction ${report.length} runs of ${all.length} commands, ${stateFiles} state files, ${found.length} leaks: ${report.join('; ')}`,
    );
    expect(found).toEqual([]);
    expect(all.length).toBeGreaterThanOrEqual(4);
  }, 600_000);

  it('an API key configured by api_key_env, against an authenticated stand-in acode starts: in no output, recording, state file or argv', async () => {
    const dir = join(work.dir, 'api-key');
    const port = await freePort();
    const key = 'llama-chaos-key-0a1b2c3d4e5f6789';
    const wrong = 'llama-chaos-wrong-9f8e7d6c5b4a3210';
    await mkdir(join(dir, '.agent'), { recursive: true });
    const config = join(dir, '.agent', 'config.yml');
    await writeFile(
      config,
      [
        'providers:',
        '  active: llamacpp',
        '  llamacpp:',
        `    model: ${MODELS.llamacpp}`,
        `    port: ${port}`,
        '    api_key_env: CHAOS_LLAMA_TOKEN',
        '    lifecycle: { mode: managed, start_timeout_seconds: 20, stop_on_exit: false }',
        '',
      ].join('\n'),
    );
    const runs: [string, Awaited<ReturnType<typeof runCli>>][] = [];
    const run = async (name: string, argv: string[], extra: Record<string, string>): Promise<void> => {
      runs.push([name, await runCli(['--config', config, '--record', join(dir, `${name}.jsonl`), ...argv], extra)]);
    };
    await run('ask-json', ['ask', '--json', 'say hi'], { CHAOS_LLAMA_TOKEN: key });
    await run('ask', ['ask', 'say hi'], { CHAOS_LLAMA_TOKEN: key });
    await run('status-json', ['status', '--json'], { CHAOS_LLAMA_TOKEN: key });
    // The same server, a wrong key: the refusal names the variable and shows neither key.
    await run('ask-wrong', ['ask', 'say hi'], { CHAOS_LLAMA_TOKEN: wrong });
    await run('status-wrong', ['status', '--json'], { CHAOS_LLAMA_TOKEN: wrong });
    const secrets = [key, wrong];
    const leaked = (where: string, text: string): string[] =>
      secrets.filter((v) => text.includes(v)).map((v) => `${where} contains ${v.slice(0, 12)}…`);
    const found = runs.flatMap(([name, r]) => [...leaked(`${name} stdout`, r.out), ...leaked(`${name} stderr`, r.err)]);
    for (const file of filesUnder(dir).filter((f) => f.endsWith('.jsonl')))
      found.push(...leaked(file, readFileSync(file, 'utf8')));
    const stateFiles = filesUnder(stateDir).filter((f) => f.includes('llamacpp'));
    for (const file of stateFiles) found.push(...leaked(file, readFileSync(file, 'utf8')));
    const pid = (
      JSON.parse(
        readFileSync(
          stateFiles.find((f) => /[/\\]run[/\\]llamacpp@[^/\\]+\.json$/.test(f))!,
          'utf8',
        ),
      ) as { pid: number }
    ).pid;
    ledger.add(pid);
    found.push(...leaked(`/proc/${pid}/cmdline`, readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
    console.log(
      `chaos: redaction api key: ${runs.map(([n, r]) => `${n}=${r.code}`).join(' ')}; ${stateFiles.length} state files; ${found.length} leaks`,
    );
    expect(found).toEqual([]);
    expect(runs.map(([n, r]) => [n, r.code])).toEqual([
      ['ask-json', 0],
      ['ask', 0],
      ['status-json', 0],
      ['ask-wrong', 6],
      ['status-wrong', 0],
    ]);
    const byName = Object.fromEntries(runs);
    expect(byName['ask-wrong']!.err).toMatch(/error\[AUTH_FAILED\]: .*refused the API key in CHAOS_LLAMA_TOKEN/);
    expect(byName['status-wrong']!.out).toMatch(/AUTH_FAILED/);
    expect(filesUnder(stateDir).some((f) => f.endsWith('.log'))).toBe(true);
  }, 120_000);

  it('a secret written into the config file is refused by key, and its value is never echoed', async () => {
    const dir = join(work.dir, 'secret-in-file');
    await mkdir(join(dir, '.agent'), { recursive: true });
    await writeFile(
      join(dir, '.agent', 'config.yml'),
      `providers:\n  vllm:\n    api_key: ${SECRETS.OPENAI_API_KEY}\n    hf_token: "${SECRETS.HF_TOKEN}"\n`,
    );
    const results = await Promise.all(
      [
        ['config', 'validate'],
        ['config', 'validate', '--json'],
        ['config', 'show', '--json'],
        ['provider', 'list'],
      ].map((argv) => runCli(['--config', join(dir, '.agent', 'config.yml'), ...argv])),
    );
    const found = results.flatMap((r, i) => [...leaks(`run ${i} stdout`, r.out), ...leaks(`run ${i} stderr`, r.err)]);
    console.log(
      `chaos: redaction secret-in-config exits ${results.map((r) => r.code).join(',')}, ${found.length} leaks`,
    );
    expect(found).toEqual([]);
    for (const r of results) expect(r.err + r.out).toMatch(/CONFIG_SECRET/);
  }, 120_000);
});
