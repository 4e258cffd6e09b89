// What `acode inspect` does, loaded by inspect.ts only when one of its commands runs: these imports (the
// engine, the views) cost hundreds of milliseconds, and `--help`, `--version` and the other commands need none.
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { AcodeError, providerUnknownError } from '../../config/index.js';
import {
  busRecords,
  createInspectionBus,
  gatewayRecords,
  parseRecording,
  startInspectorServer,
  type InspectionRecord,
} from '../../inspector/index.js';
import { openRegistry, progressLine, type Registry } from '../../machines/index.js';
import type { CliDeps } from '../deps.js';
import { followConfig, noticeLines } from './config-follow.js';
import { runningGateway } from './gateway-client.js';

export interface InspectOptions {
  port: string;
  openRecording?: string;
  provider?: string[];
  supervise: boolean;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AcodeError(
      'USAGE',
      `--port: "${text}" is not a port number.`,
      'Pass a port between 1 and 65535, or 0 for a free one.',
    );
  }
  return port;
}

async function loadRecording(file: string, cwd: string): Promise<{ name: string; records: InspectionRecord[] }> {
  const path = resolve(cwd, file);
  try {
    return { name: basename(path), records: parseRecording(await readFile(path, 'utf8'), path) };
  } catch (cause) {
    throw new AcodeError(
      'USAGE',
      `Cannot read the recording ${path}: ${cause instanceof Error ? cause.message : String(cause)}.`,
      'Pass --open-recording with a file written by `acode --record FILE.jsonl <command>`.',
      { cause },
    );
  }
}

export async function inspect(deps: CliDeps, opts: InspectOptions): Promise<void> {
  const port = parsePort(opts.port);
  const recording = opts.openRecording ? await loadRecording(opts.openRecording, deps.cwd) : undefined;
  const bus = createInspectionBus();
  // The page's bus, and the global one too, so --record on this command records the same events.
  const tee = (event: Parameters<typeof bus.inspect>[0]) => {
    bus.inspect(event);
    deps.inspect?.(event);
  };
  // With a gateway running, its supervisor is the one to watch: the page attaches to its stream
  // instead of starting a second supervisor of the same servers.
  const gateway = opts.supervise ? await runningGateway(deps.env) : undefined;
  const attached = new AbortController();
  const records = gateway
    ? gatewayRecords(gateway.url, AbortSignal.any([deps.signal, attached.signal]), (why) =>
        deps.stderr.write(`inspector: ${why}; the page keeps what it has\n`),
      )
    : busRecords(bus, deps.env);
  const server = await startInspectorServer(
    { records, port, ...(recording ? { recording } : {}) },
    { signal: deps.signal },
  );
  let registry: Registry | undefined;
  try {
    deps.stdout.write(`acode inspector: ${server.url} (127.0.0.1 only; Ctrl-C to stop)\n`);
    if (recording)
      deps.stdout.write(
        `  recording: ${recording.name} (${recording.records.length} records), choose it under "source"\n`,
      );
    if (gateway) deps.stdout.write(`  attached to acode serve (pid ${gateway.pid}, ${gateway.url})\n`);
    else if (opts.supervise) {
      const config = await deps.config.load();
      const ids = [...new Set(opts.provider ?? [config.active, ...config.fallback])];
      for (const id of ids)
        if (!config.providers[id])
          throw providerUnknownError(id, Object.keys(config.providers), config.file ? { file: config.file } : {});
      registry = openRegistry({ config, env: deps.env, inspect: tee });
      const r = registry;
      r.onStatus((s) => {
        const line = progressLine(s);
        if (line) deps.stdout.write(`  ${line}\n`);
      });
      for (const id of ids) {
        r.service(id);
        r.actor.getSnapshot().context.services[id]?.send({ type: 'START' });
      }
      deps.stdout.write(`  supervising: ${ids.join(', ')}\n`);
      followConfig(deps, config, (next) => r.reconfigure(next, { signal: deps.signal }))((m) =>
        deps.stderr.write(`${noticeLines(m)}\n`),
      );
    }
    if (!deps.signal.aborted)
      await new Promise<void>((done) => deps.signal.addEventListener('abort', () => done(), { once: true }));
  } finally {
    // Stops only what this process started and configured stop_on_exit for; the page goes away.
    await registry?.dispose();
    attached.abort();
    await server.close();
  }
}
