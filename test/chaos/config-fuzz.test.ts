// Config fuzz: 2,000 seeded mutations of a valid .agent/config.yml. Every run ends in a valid config or
// a typed CONFIG_* error that names file:line; never INTERNAL, never an untyped throw, never a hang.
// In process through loadConfig (the same path the CLI takes), plus a sample through the built CLI.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAcodeError, loadConfig, parseConfig } from '../../config/index.js';
import { MAIN, requireBuilt } from './helpers.js';
import { VALID_CONFIG, mutate } from './config-mutations.js';
import { tempDir } from '../support/temp-dir.js';

const RUNS = 2_000;
const CLI_SAMPLE = 20;
// A hang detector, not a speed goal: one parse of a small file taking this long means it is stuck.
const PER_RUN_BOUND_MS = 5_000;
const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|native\)?)$/m;

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  requireBuilt();
  work = await tempDir('fuzz');
  await mkdir(join(work.dir, '.agent'), { recursive: true });
});
afterAll(async () => work.cleanup());

type Verdict = { kind: 'valid' } | { kind: 'typed'; code: string } | { kind: 'bad'; why: string };

function judge(error: unknown, file: string): Verdict {
  if (!isAcodeError(error))
    return { kind: 'bad', why: `untyped ${(error as Error)?.name}: ${(error as Error)?.message}` };
  if (!error.code.startsWith('CONFIG_')) return { kind: 'bad', why: `${error.code}: ${error.message}` };
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (!new RegExp(`${escaped}:\\d+`).test(error.message))
    return { kind: 'bad', why: `${error.code} without file:line: ${error.message}` };
  return { kind: 'typed', code: error.code };
}

describe('chaos: config fuzz', () => {
  it('the unmutated config is valid (so the mutations start from a known-good file)', () => {
    expect(() => parseConfig(VALID_CONFIG, '/x/.agent/config.yml')).not.toThrow();
  });

  it(`${RUNS} seeded mutations through loadConfig: valid or CONFIG_* naming file:line, no INTERNAL, no hang`, async () => {
    const file = join(work.dir, '.agent', 'config.yml');
    const counts = new Map<string, number>();
    const bad: string[] = [];
    let slowest = 0;
    for (let seed = 1; seed <= RUNS; seed++) {
      const m = mutate(seed);
      await writeFile(file, m.bytes);
      const t = performance.now();
      let verdict: Verdict;
      try {
        await loadConfig({ cwd: work.dir, env: {}, configPath: file });
        verdict = { kind: 'valid' };
      } catch (error) {
        verdict = judge(error, file);
      }
      const ms = performance.now() - t;
      slowest = Math.max(slowest, ms);
      if (ms > PER_RUN_BOUND_MS) bad.push(`seed ${seed} (${m.applied.join('+')}): took ${ms.toFixed(0)} ms`);
      const key = verdict.kind === 'typed' ? verdict.code : verdict.kind;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (verdict.kind === 'bad') bad.push(`seed ${seed} (${m.applied.join('+')}): ${verdict.why.slice(0, 300)}`);
    }
    console.log(
      `chaos: config-fuzz ${RUNS - bad.length}/${RUNS} ok (${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}), ` +
        `0 stack traces expected, slowest run ${slowest.toFixed(1)} ms`,
    );
    expect(bad).toEqual([]);
    expect(counts.get('CONFIG_INVALID') ?? 0).toBeGreaterThan(RUNS / 2);
  }, 120_000);

  it(`${CLI_SAMPLE} mutations through the built CLI (config validate): exit 0 or 2, file:line on stderr, no stack trace`, async () => {
    const results: string[] = [];
    const bad: string[] = [];
    // Seeds from far above the in-process range, two processes at a time.
    const seeds = Array.from({ length: CLI_SAMPLE }, (_, i) => 100_000 + i * 7);
    for (let i = 0; i < seeds.length; i += 2) {
      await Promise.all(
        seeds.slice(i, i + 2).map(async (seed) => {
          const dir = join(work.dir, `cli-${seed}`);
          await mkdir(join(dir, '.agent'), { recursive: true });
          const file = join(dir, '.agent', 'config.yml');
          const m = mutate(seed);
          await writeFile(file, m.bytes);
          const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
            execFile(
              process.execPath,
              [MAIN, 'config', 'validate'],
              {
                cwd: dir,
                env: { PATH: process.env.PATH ?? '', HOME: dir, ACODE_STATE_DIR: join(dir, '.state') },
                timeout: 20_000,
              },
              (error, stdout, stderr) =>
                resolve({
                  code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
                  stdout: String(stdout),
                  stderr: String(stderr),
                }),
            );
          });
          results.push(String(r.code));
          const why =
            r.code !== 0 && r.code !== 2
              ? `exit ${r.code}`
              : STACK_LINE.test(r.stderr) || STACK_LINE.test(r.stdout)
                ? 'stack trace printed'
                : r.code === 2 && !/^error\[CONFIG_[A-Z_]+\]/m.test(r.stderr)
                  ? 'no typed CONFIG_* error line'
                  : r.code === 2 && !r.stderr.includes(`${file}:`)
                    ? 'error does not name file:line'
                    : null;
          if (why) bad.push(`seed ${seed} (${m.applied.join('+')}): ${why}\n${r.stderr.slice(0, 600)}`);
        }),
      );
    }
    console.log(
      `chaos: config-fuzz-cli ${CLI_SAMPLE - bad.length}/${CLI_SAMPLE} ok (exit codes ${results.sort().join(',')}), no stack traces`,
    );
    expect(bad).toEqual([]);
  }, 120_000);
});
