// acode's own log: what the actors do (lock waits, port checks, probe results, signals sent, spawns,
// restarts, pulls, GPU probes, config reloads), leveled and structured, one JSON line per entry in
// <state dir>/logs/acode.log, and on stderr only when asked (--verbose, ACODE_LOG_LEVEL).
//
// pino writes the lines, but is imported only when the first line at an enabled level is written: a
// read-only command (`acode status`, `--version`) logs nothing at info and never pays for the import.
// Lines written while pino loads wait in order and keep their own time. No transports (they run in a
// worker thread, which a bundled CLI cannot load): a synchronous file destination, so nothing is left
// to flush when the process exits.
import { mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger as Pino, pino as pinoFactory } from 'pino';
import { AcodeError, redact, REDACTED, resolveStateDir, type Env } from '../config/index.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogThreshold = LogLevel | 'silent';
export type LogFields = Record<string, unknown>;

/** pino's call shape (`log.info({ provider, serverPid }, 'spawned server')`), so a pino logger fits too. */
export interface Logger {
  debug(fields: LogFields, msg: string): void;
  info(fields: LogFields, msg: string): void;
  warn(fields: LogFields, msg: string): void;
  error(fields: LogFields, msg: string): void;
  /** A logger whose every line carries `bindings` (e.g. `{ provider: 'vllm' }`). */
  child(bindings: LogFields): Logger;
}

/** The process log: a Logger that says where it writes and can be waited for. */
export interface ProcessLogger extends Logger {
  readonly level: LogThreshold;
  /** <state dir>/logs/acode.log; undefined when the level is silent. */
  readonly file: string | undefined;
  /** Resolves once every line written so far is in the file (pino loads asynchronously). */
  flush(): Promise<void>;
}

const LEVELS: readonly LogThreshold[] = ['debug', 'info', 'warn', 'error', 'silent'];
const RANK: Record<LogThreshold, number> = {
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  silent: Number.POSITIVE_INFINITY,
};
/** Rotated at open once it is this big; with LOG_FILES_KEPT older files that bounds the logs to 20 MB. */
export const LOG_FILE_MAX_BYTES = 5 * 1024 * 1024;
export const LOG_FILES_KEPT = 3;
/** The same secrets by field path, for pino's own redaction (the values are also scrubbed by config's redact). */
const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-api-key"]',
  'env.HF_TOKEN',
  '*.env.HF_TOKEN',
  'HF_TOKEN',
  'token',
  '*.token',
];

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** The level and whether lines also go to stderr: ACODE_LOG_LEVEL, else debug with --verbose, else info. */
export function logSettings(env: Env, verbose = false): { level: LogThreshold; echo: boolean } {
  const raw = env.ACODE_LOG_LEVEL?.trim().toLowerCase();
  if (raw === undefined || raw === '') return { level: verbose ? 'debug' : 'info', echo: verbose };
  if (!(LEVELS as readonly string[]).includes(raw)) {
    throw new AcodeError(
      'CONFIG_INVALID',
      `ACODE_LOG_LEVEL=${env.ACODE_LOG_LEVEL} is not a log level.`,
      `Set ACODE_LOG_LEVEL to one of ${LEVELS.join(', ')}, or unset it.`,
      { details: { variable: 'ACODE_LOG_LEVEL', value: env.ACODE_LOG_LEVEL } },
    );
  }
  return { level: raw as LogThreshold, echo: true };
}

export function processLogPath(stateDir: string): string {
  return join(stateDir, 'logs', 'acode.log');
}

export interface OpenLoggerOptions {
  env: Env;
  /** Default: resolveStateDir(env); an unusable one means no file (stderr only, if echoed). */
  stateDir?: string;
  verbose?: boolean;
  /** Where echoed lines go (--verbose, ACODE_LOG_LEVEL). */
  stderr?: { write(text: string): unknown };
  maxBytes?: number;
  keep?: number;
}

/** The process log; throws CONFIG_INVALID for a bad ACODE_LOG_LEVEL. Nothing is opened or imported yet. */
export function openLogger(options: OpenLoggerOptions): ProcessLogger {
  const { level, echo } = logSettings(options.env, options.verbose);
  const root = new LogRoot(options, level, echo);
  const logger = new LazyLogger(root, undefined, {});
  return Object.assign(logger, {
    level,
    file: level === 'silent' ? undefined : root.file(),
    flush: () => root.flush(),
  });
}

let current: Logger = silentLogger;

/** The logger actors use when none is passed in: silent until a CLI run installs its own. */
export function processLogger(): Logger {
  return current;
}

/** Makes `logger` the process logger; the returned function puts the previous one back. */
export function installProcessLogger(logger: Logger): () => void {
  const previous = current;
  current = logger;
  return () => {
    if (current === logger) current = previous;
  };
}

interface Entry {
  node: LazyLogger;
  level: LogLevel;
  fields: LogFields;
  msg: string;
  time: number;
}

class LazyLogger implements Logger {
  #pino: Pino | undefined;
  constructor(
    private readonly root: LogRoot,
    private readonly parent: LazyLogger | undefined,
    private readonly bindings: LogFields,
  ) {}

  debug(fields: LogFields, msg: string): void {
    this.write('debug', fields, msg);
  }
  info(fields: LogFields, msg: string): void {
    this.write('info', fields, msg);
  }
  warn(fields: LogFields, msg: string): void {
    this.write('warn', fields, msg);
  }
  error(fields: LogFields, msg: string): void {
    this.write('error', fields, msg);
  }
  child(bindings: LogFields): Logger {
    return new LazyLogger(this.root, this, bindings);
  }

  /** This node's pino logger: pino's own child of the parent's, made once. */
  pino(base: Pino): Pino {
    this.#pino ??= this.parent ? this.parent.pino(base).child(this.root.scrub(this.bindings)) : base;
    return this.#pino;
  }

  private write(level: LogLevel, fields: LogFields, msg: string): void {
    if (RANK[level] < this.root.rank) return;
    this.root.write({ node: this, level, fields, msg, time: Date.now() });
  }
}

class LogRoot {
  readonly rank: number;
  #pino: Pino | undefined;
  #pending: Entry[] = [];
  #loading: Promise<void> | undefined;
  #entryTime: number | undefined;
  #failed = false;

  constructor(
    private readonly options: OpenLoggerOptions,
    private readonly level: LogThreshold,
    private readonly echo: boolean,
  ) {
    this.rank = RANK[level];
  }

  file(): string | undefined {
    try {
      return processLogPath(this.options.stateDir ?? resolveStateDir(this.options.env));
    } catch {
      return undefined;
    }
  }

  scrub<T>(value: T): T {
    // api_key_env must name a *_API_KEY / *_TOKEN / *_SECRET / *_PASSWORD variable (config schema),
    // so every key the config can point at is one of the env values redact() knows to hide.
    return redact(value, this.options.env);
  }

  write(entry: Entry): void {
    const scrubbed = { ...entry, fields: this.scrub(entry.fields), msg: this.scrub(entry.msg) };
    if (this.#pino) return this.emit(this.#pino, scrubbed);
    if (this.#failed) return;
    this.#pending.push(scrubbed);
    // A log that cannot be loaded or written must not stop the command it describes.
    this.#loading ??= this.load().catch(() => {
      this.#failed = true;
      this.#pending = [];
    });
  }

  flush(): Promise<void> {
    return this.#loading ?? Promise.resolve();
  }

  private async load(): Promise<void> {
    // The default export: the bundle's CommonJS interop has no named `pino` (Node's and vitest's have both).
    const pino = (await import('pino')).default;
    this.#pino = this.create(pino);
    for (const entry of this.#pending.splice(0)) this.emit(this.#pino, entry);
  }

  private emit(base: Pino, entry: Entry): void {
    this.#entryTime = entry.time;
    try {
      entry.node.pino(base)[entry.level](entry.fields, entry.msg);
    } finally {
      this.#entryTime = undefined;
    }
  }

  private create(pino: typeof pinoFactory): Pino {
    const fd = this.openFile();
    const file = fd === undefined ? undefined : pino.destination({ dest: fd, sync: true });
    const stderr = this.echo ? this.options.stderr : undefined;
    const stream = {
      write: (line: string) => {
        file?.write(line);
        stderr?.write(humanLine(line));
      },
    };
    return pino(
      {
        level: this.level,
        base: { pid: process.pid },
        timestamp: () => `,"time":"${new Date(this.#entryTime ?? Date.now()).toISOString()}"`,
        formatters: { level: (label) => ({ level: label }) },
        redact: { paths: REDACT_PATHS, censor: REDACTED },
      },
      stream,
    );
  }

  /** Opens acode.log for appending (rotated first when too big); undefined if the state dir is unusable. */
  private openFile(): number | undefined {
    const file = this.file();
    if (file === undefined) return undefined;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      rotateIfLarge(file, this.options.maxBytes ?? LOG_FILE_MAX_BYTES, this.options.keep ?? LOG_FILES_KEPT);
      return openSync(file, 'a', 0o600);
    } catch {
      return undefined;
    }
  }
}

function rotated(file: string, n: number): string {
  return file.replace(/\.log$/, `.${n}.log`);
}

/**
 * acode.log -> acode.1.log -> ... -> acode.<keep>.log, the oldest dropped. Two processes rotating at
 * once can drop one extra old file; acode.log itself is append-only, so no line of a live file is lost.
 */
function rotateIfLarge(file: string, maxBytes: number, keep: number): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  if (size < maxBytes) return;
  rmSync(rotated(file, keep), { force: true });
  for (let n = keep - 1; n >= 1; n--) renameQuietly(rotated(file, n), rotated(file, n + 1));
  if (keep >= 1) renameQuietly(file, rotated(file, 1));
  else rmSync(file, { force: true });
}

function renameQuietly(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    // Missing (fewer files so far) or taken by another process's rotation.
  }
}

const PLAIN = /^[\w.:/@+-]+$/;

/** One JSON line as `03:25:01.123 INFO  spawned server provider=vllm pid=4711`. */
export function humanLine(json: string): string {
  let entry: LogFields;
  try {
    entry = JSON.parse(json) as LogFields;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const { time, level, msg, pid: _pid, ...fields } = entry;
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const pairs = Object.entries(fields).map(([key, value]) => {
    if (typeof value === 'string') return `${key}=${PLAIN.test(value) ? value : JSON.stringify(value)}`;
    return `${key}=${JSON.stringify(value) ?? 'null'}`;
  });
  return `${[clock, String(level).toUpperCase().padEnd(5), typeof msg === 'string' ? msg : JSON.stringify(msg ?? ''), ...pairs].filter((part) => part !== '').join(' ')}\n`;
}
