// What `acode replay` does, loaded by replay.ts only when one of its commands runs: these imports (the
// engine, the views) cost hundreds of milliseconds, and `--help`, `--version` and the other commands need none.
import { readFile, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { AcodeError } from '../../config/index.js';
import {
  parseRecording,
  replayRecording,
  servicesIn,
  toReplayFile,
  type InspectionRecord,
  type ServiceReplay,
  type TimelineEntry,
} from '../../inspector/index.js';
import type { CliDeps } from '../deps.js';
import { printJson } from '../output/index.js';

export interface ReplayOptions {
  service?: string;
  json?: boolean;
  toJson?: string;
  name?: string;
}

// `xstate.done.actor.0.service.detecting` reads better as `detect done` (the actor's src).
function describe(e: TimelineEntry, srcOf: Map<string, string>): string {
  const type = e.event;
  const child = e.source ? srcOf.get(e.source) : undefined;
  if (type.startsWith('xstate.done.actor.')) return `${child ?? 'actor'} done`;
  if (type.startsWith('xstate.error.actor.')) return `${child ?? 'actor'} failed`;
  const after = /^xstate\.after\.([^.]+)\./.exec(type);
  if (after) return `after ${after[1]}`;
  return child ? `${type} (from ${child})` : type;
}

function printTimeline(deps: CliDeps, r: ServiceReplay, t0: number, srcOf: Map<string, string>): void {
  const out = (s: string) => deps.stdout.write(`${s}\n`);
  out(
    `${r.actor}: ${r.ok ? 'replay matches the recording' : 'REPLAY DIFFERS from the recording'} (${r.recorded.length} states, ${r.timeline.length} events)`,
  );
  let last = '';
  for (const e of r.timeline) {
    const moved = e.state !== last;
    last = e.state;
    const at = `+${((e.t - t0) / 1000).toFixed(3)}s`.padStart(10);
    const what = `${describe(e, srcOf)}${e.detail ? ` ${e.detail}` : ''}`;
    out(`${at}  ${what.padEnd(50)} ${moved ? `-> ${e.state}` : ''}`.trimEnd());
  }
  for (const line of r.diff) out(`  ${line}`);
}

export async function replay(deps: CliDeps, file: string, opts: ReplayOptions): Promise<void> {
  const path = resolve(deps.cwd, file);
  let records: InspectionRecord[];
  try {
    records = parseRecording(await readFile(path, 'utf8'), path);
  } catch (cause) {
    throw new AcodeError(
      'USAGE',
      `Cannot read the recording ${path}: ${cause instanceof Error ? cause.message : String(cause)}.`,
      'Pass a file written by `acode --record FILE.jsonl <command>`.',
      { cause },
    );
  }
  if (opts.toJson !== undefined) {
    const services = servicesIn(records);
    const actor = opts.service ? `service.${opts.service}` : services.length === 1 ? services[0] : undefined;
    if (!actor || !services.includes(actor)) {
      throw new AcodeError(
        'USAGE',
        `Say which service to convert (${services.map((s) => s.slice(8)).join(', ') || 'none recorded'}).`,
        'Pass --service <id> with --to-json.',
      );
    }
    const out = resolve(deps.cwd, opts.toJson);
    const converted = toReplayFile(records, actor, opts.name ?? `${basename(path)}: ${actor}`);
    await writeFile(out, `${JSON.stringify(converted, null, 2)}\n`);
    deps.stderr.write(`wrote ${out}\n`);
  }
  const results = replayRecording(records, opts.service);
  if (opts.json) {
    printJson(
      deps.stdout,
      results.map(({ actor, ok, recorded, replayed, diff }) => ({ actor, ok, recorded, replayed, diff })),
      deps.env,
    );
  } else {
    const t0 = records.find((r) => r.kind === 'header')?.t ?? records[0]?.t ?? 0;
    const srcOf = new Map(records.flatMap((r) => (r.kind === 'actor' && r.src ? [[r.actor, r.src] as const] : [])));
    for (const r of results) printTimeline(deps, r, t0, srcOf);
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    throw new AcodeError(
      'REPLAY_MISMATCH',
      `The replay of ${failed.map((r) => r.actor).join(', ')} does not follow the recorded state path.`,
      'The machines changed behaviour since the recording: fix the regression, or re-record if the change is intended.',
      { details: { diff: failed.map((r) => ({ actor: r.actor, diff: r.diff })) } },
    );
  }
}
