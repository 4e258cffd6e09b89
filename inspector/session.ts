// What the global --record and --inspect options switch on for one CLI run, and how it is closed.
import type { Env } from '../config/index.js';
import type { InspectionBus } from './bus.js';
import { openRecorder, type Recorder } from './recorder.js';
import { connectStatelyInspector, DEFAULT_STATELY_URL, type StatelyConnection } from './stately.js';

export interface InspectionOptions {
  record?: string;
  /** true for the bare flag (default URL), or the relay URL. */
  inspect?: string | boolean;
}

export interface InspectionSession {
  readonly recorder?: Recorder;
  readonly stately?: StatelyConnection;
  close(): void;
}

export async function openInspection(
  opts: InspectionOptions,
  bus: InspectionBus,
  { env, cwd, warn, signal }: { env: Env; cwd: string; warn: (line: string) => void; signal?: AbortSignal },
): Promise<InspectionSession> {
  const recorder = opts.record ? openRecorder(opts.record, bus, { env, cwd }) : undefined;
  let stately: StatelyConnection | undefined;
  try {
    if (opts.inspect) {
      const url = typeof opts.inspect === 'string' ? opts.inspect : DEFAULT_STATELY_URL;
      stately = await connectStatelyInspector(url, bus, { env, warn, ...(signal ? { signal } : {}) });
    }
  } catch (error) {
    recorder?.close();
    throw error;
  }
  return {
    ...(recorder ? { recorder } : {}),
    ...(stately ? { stately } : {}),
    close() {
      stately?.close();
      recorder?.close();
    },
  };
}
