// `--record FILE.jsonl`: every inspection event of this process as one JSON line, secrets removed.
// Written synchronously, so a crash or a kill keeps everything up to the last event.
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { AcodeError, type Env } from '../config/index.js';
import type { InspectionBus } from './bus.js';
import { RECORDING_VERSION, toRecord, type HeaderRecord } from './record-format.js';

export interface Recorder {
  readonly file: string;
  /** Lines written so far (header included). */
  readonly lines: number;
  close(): void;
}

export function openRecorder(
  file: string,
  bus: InspectionBus,
  { env, cwd = process.cwd(), now = Date.now }: { env: Env; cwd?: string; now?: () => number },
): Recorder {
  const path = resolve(cwd, file);
  let fd: number;
  try {
    fd = openSync(path, 'w', 0o600);
  } catch (cause) {
    throw new AcodeError(
      'USAGE',
      `Cannot write the recording ${path}.`,
      'Pass --record with a writable file path (its directory must exist).',
      { cause },
    );
  }
  let lines = 0;
  let open = true;
  const write = (record: object) => {
    if (!open) return;
    writeSync(fd, `${JSON.stringify(record)}\n`);
    lines++;
  };
  const header: HeaderRecord = { kind: 'header', version: RECORDING_VERSION, t: now(), tool: 'acode' };
  write(header);
  const seen = new Set<string>();
  const firstSnapshot = (actor: string) => !seen.has(actor) && seen.add(actor) !== undefined;
  const unsubscribe = bus.subscribe((event, t) => {
    const record = toRecord(event, t, env, firstSnapshot);
    if (record) write(record);
  });
  return {
    file: path,
    get lines() {
      return lines;
    },
    close() {
      if (!open) return;
      open = false;
      unsubscribe();
      closeSync(fd);
    },
  };
}
