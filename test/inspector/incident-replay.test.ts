// The committed incident (test/replays/incident-vllm-killed-mid-stream.jsonl, recorded with
// `acode --record ... demo` against the stand-in servers): vLLM SIGKILLed mid-answer, restarted, the
// request retried. `acode replay` must pass on it and fail on tampered copies; its --to-json
// conversion must play through test/replays' runner with the same state path.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { replayCommand } from '../../cli/commands/replay.js';
import { parseRecording, type EventRecord, type SnapshotRecord } from '../../inspector/index.js';
import { runReplay, type ReplayFile } from '../replays/runner.js';
import { runBuilt, runInProcess } from '../cli/helpers.js';
import { tempDir } from '../support/temp-dir.js';

const INCIDENT = fileURLToPath(new URL('../replays/incident-vllm-killed-mid-stream.jsonl', import.meta.url));
const CONVERTED = fileURLToPath(new URL('../replays/incident-vllm-killed-mid-stream.json', import.meta.url));
const text = readFileSync(INCIDENT, 'utf8');
const records = parseRecording(text);

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});
async function scratch(): Promise<string> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  return dir;
}

/** The recording with one line changed by `edit` (the first line `match` selects). */
function tamper(
  match: (r: EventRecord | SnapshotRecord) => boolean,
  edit: (r: EventRecord | SnapshotRecord) => void,
): string {
  let done = false;
  return text
    .split('\n')
    .map((line) => {
      if (done || line === '') return line;
      const r = JSON.parse(line) as EventRecord | SnapshotRecord;
      if ((r.kind !== 'event' && r.kind !== 'snapshot') || !match(r)) return line;
      done = true;
      edit(r);
      return JSON.stringify(r);
    })
    .join('\n');
}

describe('the recorded incident: vLLM killed mid-stream, restarted, request retried', () => {
  it('really is that incident: the vLLM service crashed, restarted and became ready again after a failed request', () => {
    const vllm = records
      .filter((r): r is EventRecord => r.kind === 'event' && r.actor === 'service.vllm')
      .map((r) => r.event.type);
    expect(vllm).toContain('REQUEST_FAILED');
    const path = records
      .filter((r): r is SnapshotRecord => r.kind === 'snapshot' && r.actor === 'service.vllm')
      .map((r) => (typeof r.value === 'string' ? r.value : Object.keys(r.value as object)[0]));
    const crashed = path.indexOf('crashed');
    expect(crashed).toBeGreaterThan(path.indexOf('healthy'));
    expect(path.slice(crashed)).toEqual(expect.arrayContaining(['restarting', 'starting', 'healthy']));
  });

  it('acode replay passes on it (built binary): exit 0, every service matches, the timeline is printed', async () => {
    const r = await runBuilt(['replay', INCIDENT], { cwd: await scratch() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^service\.vllm: replay matches the recording \(14 states/m);
    expect(r.stdout).toMatch(/REQUEST_FAILED/);
    expect(r.stdout).toMatch(/detect done kind=absent\s+-> crashed/);
    expect(r.stdout).toMatch(/after backoff\s+-> starting/);
    expect(r.stdout).toMatch(/^service\.ollama: replay matches/m);
  });

  it('fails on a copy where the reprobe found the server still running (no crash would follow)', async () => {
    const dir = await scratch();
    const file = join(dir, 'tampered.jsonl');
    writeFileSync(
      file,
      tamper(
        (r) => r.kind === 'event' && r.actor === 'service.vllm' && r.event.type.includes('healthy.probe.reprobing'),
        (r) => {
          if (r.kind === 'event') r.event.output = { kind: 'running' };
        },
      ),
    );
    const r = await runInProcess(['replay', file], { cwd: dir, commands: [replayCommand] });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error\[REPLAY_MISMATCH\]: The replay of service\.vllm does not follow/);
    expect(r.stdout).toMatch(/state 7 differs: recorded crashed, replayed/);
    expect(r.stdout).toMatch(/^service\.ollama: replay matches/m);
  });

  it('fails on a copy whose recorded path was edited (restarting -> failed)', async () => {
    const dir = await scratch();
    const file = join(dir, 'edited.jsonl');
    writeFileSync(
      file,
      tamper(
        (r) => r.kind === 'snapshot' && r.actor === 'service.vllm' && JSON.stringify(r.value).includes('restarting'),
        (r) => {
          if (r.kind === 'snapshot') r.value = { failed: 'idle' };
        },
      ),
    );
    const r = await runInProcess(['replay', '--json', file], { cwd: dir, commands: [replayCommand] });
    expect(r.code).toBe(1);
    const results = JSON.parse(r.stdout) as Array<{ actor: string; ok: boolean; diff: string[] }>;
    const vllm = results.find((x) => x.actor === 'service.vllm');
    expect(vllm?.ok).toBe(false);
    expect(vllm?.diff[0]).toBe('state 8 differs: recorded failed, replayed restarting');
  });

  it("--to-json writes the committed regression test, and test/replays' runner plays it to the same path", async () => {
    const dir = await scratch();
    const out = join(dir, 'incident.json');
    const r = await runInProcess(['replay', INCIDENT, '--service', 'vllm', '--to-json', out], {
      cwd: dir,
      commands: [replayCommand],
    });
    expect(r.code).toBe(0);
    const written = JSON.parse(readFileSync(out, 'utf8')) as ReplayFile;
    const committed = JSON.parse(readFileSync(CONVERTED, 'utf8')) as ReplayFile;
    expect(written.steps).toEqual(committed.steps);
    expect(written.actors).toEqual(committed.actors);
    expect(written.expect).toEqual(committed.expect);
    const played = await runReplay(written);
    expect(played.states).toEqual(written.expect.states);
    expect(played.states).toEqual(expect.arrayContaining(['crashed', 'restarting']));
  });
});
