// --record on a command: every inspection event of the run as JSON lines, secrets removed. The command
// here is a test one (runCli's `commands` seam) that drives a real service machine with fake actors
// whose events carry the secrets, as a crashing server's log tail would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, waitFor } from 'xstate';
import { serviceMachine } from '../../machines/index.js';
import { replayCommand } from '../../cli/commands/replay.js';
import type { CommandRegistrar } from '../../cli/deps.js';
import { parseRecording, type InspectionRecord } from '../../inspector/index.js';
import { replayRef } from '../replays/runner.js';
import { runInProcess } from '../cli/helpers.js';
import { tempDir } from '../support/temp-dir.js';

const HF_TOKEN = 'hf_recordertestSECRETvalue0001';
const API_KEY = 'sk-recordertestSECRETkey0002';
const SECRET_ENV = { HF_TOKEN, OPENAI_API_KEY: API_KEY };

// A crash during start whose log tail holds both secrets, in the shapes servers print them.
type CliDepsInspect = Parameters<CommandRegistrar>[1]['inspect'];

async function crashOnce(inspect: CliDepsInspect): Promise<void> {
  const machine = serviceMachine.provide({
    actors: {
      detect: fromPromise(async () => ({ kind: 'absent' as const })),
      spawnServer: fromPromise(async () => ({ pid: 2_000_000_001, adopted: false })),
      checkGpus: fromPromise(async () => ({ gpus: [] })),
      fetchModel: fromPromise(async () => ({ kind: 'cached' as const, downloaded: 0 })),
      watchProcess: fromCallback(({ sendBack }) => {
        queueMicrotask(() =>
          sendBack({
            type: 'PROCESS_EXITED',
            exitCode: 1,
            signal: null,
            logTail: [
              `HF_TOKEN=${HF_TOKEN}`,
              `POST /v1/chat Authorization: Bearer ${API_KEY}`,
              `vllm serve m --api-key ${API_KEY}`,
            ],
          }),
        );
        return () => {};
      }),
      healthPoller: fromCallback(() => () => {}),
      watchLog: fromCallback(() => () => {}),
      stopServer: fromPromise(async () => ({ signal: 'none' })),
    } as never,
  });
  const actor = createActor(machine, {
    systemId: 'service.vllm',
    input: { ref: replayRef({ kind: 'vllm' }) },
    ...(inspect ? { inspect } : {}),
  });
  actor.start();
  actor.send({ type: 'START' });
  await waitFor(actor, (s) => s.matches('failed'), { timeout: 5_000 });
  actor.stop();
}

const crashingStart: CommandRegistrar = (program, deps) => {
  program
    .command('crash-start')
    .option('--times <n>', 'how many service actors, one after the other', '1')
    .action(async (o: { times: string }) => {
      for (let i = 0; i < Number(o.times); i++) await crashOnce(deps.inspect);
    });
};

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});

async function record(times = 1): Promise<{ dir: string; file: string; text: string; records: InspectionRecord[] }> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const file = join(dir, 'run.jsonl');
  const r = await runInProcess(['--record', file, 'crash-start', '--times', String(times)], {
    cwd: dir,
    env: SECRET_ENV,
    commands: [crashingStart],
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const text = readFileSync(file, 'utf8');
  return { dir, file, text, records: parseRecording(text) };
}

describe('--record FILE.jsonl', () => {
  it('writes one JSON line per inspection event: header, actors, events with payloads, state values, timestamps', async () => {
    const { records } = await record();
    expect(records[0]).toMatchObject({ kind: 'header', version: 1, tool: 'acode' });
    const service = records.filter((r) => 'actor' in r && r.actor === 'service.vllm');
    const events = service.flatMap((r) => (r.kind === 'event' ? [r.event.type] : []));
    expect(events).toEqual(expect.arrayContaining(['xstate.init', 'START', 'PROCESS_EXITED']));
    expect(events.some((t) => t.startsWith('xstate.done.actor.'))).toBe(true);
    const states = service.flatMap((r) =>
      r.kind === 'snapshot' && r.value !== undefined
        ? [typeof r.value === 'string' ? r.value : Object.keys(r.value as object)[0]]
        : [],
    );
    expect(states).toEqual(expect.arrayContaining(['stopped', 'detecting', 'failed']));
    const children = records
      .filter((r) => r.kind === 'actor' && r.parent === 'service.vllm')
      .map((r) => (r.kind === 'actor' ? r.src : ''));
    expect(children).toEqual(expect.arrayContaining(['detect', 'spawnServer', 'watchProcess']));
    // Timestamps are wall-clock ms and never go backwards.
    const ts = records.map((r) => r.t);
    expect(ts.every((t, i) => typeof t === 'number' && (i === 0 || t >= (ts[i - 1] ?? 0)))).toBe(true);
  });

  it('never writes a secret: env values, Authorization headers and --api-key flags are ***', async () => {
    const { text, records } = await record();
    expect(text).not.toContain(HF_TOKEN);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain('SECRET');
    // The lines that carried them are there, redacted, so this test would see a leak.
    const exited = records.find((r) => r.kind === 'event' && r.event.type === 'PROCESS_EXITED');
    expect(exited?.kind === 'event' && exited.event.logTail).toEqual([
      'HF_TOKEN=***',
      'POST /v1/chat Authorization: Bearer ***',
      'vllm serve m --api-key ***',
    ]);
  });

  it('the recording replays: acode replay exits 0 and prints the timeline; a tampered copy exits non-zero with a diff', async () => {
    const { dir, file, text } = await record();
    const ok = await runInProcess(['replay', file], { cwd: dir, commands: [replayCommand] });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/service\.vllm: replay matches the recording/);
    expect(ok.stdout).toMatch(/START\s+-> detecting/);
    expect(ok.stdout).toMatch(/PROCESS_EXITED \(from watchProcess\) exitCode=1\s+-> failed/);

    // As if the server had been found running: the machine now goes to healthy, not starting.
    const tampered = join(dir, 'tampered.jsonl');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(tampered, text.replace('"output":{"kind":"absent"}', '"output":{"kind":"running"}'));
    const bad = await runInProcess(['replay', tampered], { cwd: dir, commands: [replayCommand] });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error\[REPLAY_MISMATCH\]/);
    expect(bad.stdout).toMatch(/REPLAY DIFFERS/);
    expect(bad.stdout).toMatch(/state 3 differs: recorded starting, replayed healthy\/unknown/);
  });

  it('replays each lifetime of a service actor that the command created twice', async () => {
    const { dir, file } = await record(2);
    const r = await runInProcess(['replay', '--json', file], { cwd: dir, commands: [replayCommand] });
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as Array<{ actor: string; ok: boolean; recorded: string[] }>;
    expect(results.map((x) => [x.actor, x.ok, x.recorded])).toEqual([
      ['service.vllm#1', true, ['stopped', 'detecting', 'starting', 'failed']],
      ['service.vllm#2', true, ['stopped', 'detecting', 'starting', 'failed']],
    ]);
  });
});
