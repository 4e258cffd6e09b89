// Reading a config: locate → parse YAML (keeping node positions) → refuse secrets → validate with
// ajv → fill defaults → apply env overrides. Every problem of a file is reported in one error.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { applyEnvOverrides } from './env-overrides.js';
import { AcodeError } from './errors.js';
import { locateConfig, type ConfigLocation } from './locate.js';
import { configInvalidError, configSecretError, type ConfigProblem } from './problems.js';
import { resolveRaw } from './resolve.js';
import type { RawConfig } from './schema.js';
import { findSecrets } from './secrets.js';
import type { AcodeConfig, Env } from './types.js';
import { validateConfigData } from './validate.js';
import { decodeConfigText } from './utf8.js';
import { toPosition } from './yaml-nodes.js';

export interface LoadConfigOptions {
  cwd: string;
  env: Env;
  /** The global --config PATH; a missing file is then an error instead of "use defaults". */
  configPath?: string | undefined;
}

// yaml's messages end with " at line L, column C:" and a code excerpt; we print our own position.
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** Parses and validates config text; throws CONFIG_SECRET or CONFIG_INVALID listing every problem. */
export function parseConfig(text: string, file: string): RawConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const problems: ConfigProblem[] = doc.errors.map((error) => ({
      file,
      ...toPosition(lineCounter, error.pos[0]),
      path: '(yaml syntax)',
      message: `${firstLine(error.message)} [${error.code}]`,
    }));
    throw configInvalidError(file, problems);
  }
  const secrets = findSecrets(doc, lineCounter, file);
  if (secrets.length > 0) {
    throw configSecretError(
      file,
      secrets.map((s) => s.problem),
      secrets.map((s) => s.envVar),
    );
  }
  // An empty file (or one holding only comments) means "all defaults".
  const data = toData(doc, lineCounter, file);
  const problems = validateConfigData(data, { doc, lineCounter, file });
  if (problems.length > 0) throw configInvalidError(file, problems);
  return data as RawConfig;
}

// toJS throws a plain ReferenceError for an alias with no anchor (`*x`) and for alias bombs;
// both are the user's YAML, so they become CONFIG_INVALID at the alias's position.
function toData(doc: Document, lineCounter: LineCounter, file: string): unknown {
  if (doc.contents === null) return {};
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    let offset = 0;
    visit(doc, {
      Alias(_key, node) {
        if (node.resolve(doc) === undefined) {
          offset = node.range?.[0] ?? 0;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    const problem: ConfigProblem = {
      file,
      ...toPosition(lineCounter, offset),
      path: '(yaml syntax)',
      message: firstLine((error as Error).message),
    };
    throw configInvalidError(file, [problem]);
  }
}

async function readText(location: ConfigLocation, signal: AbortSignal | undefined): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(location.file, signal === undefined ? {} : { signal });
  } catch (error) {
    if ((error as { name?: string }).name === 'AbortError') throw error;
    throw new AcodeError(
      'CONFIG_INVALID',
      `Cannot read ${location.file}: ${(error as Error).message}`,
      'Check that the path is a readable file.',
      { cause: error, details: { file: location.file } },
    );
  }
  return decodeConfigText(bytes, location.file);
}

/** The effective configuration for a command run in `cwd`, with env overrides applied. */
export async function loadConfig(
  options: LoadConfigOptions,
  { signal }: { signal?: AbortSignal } = {},
): Promise<AcodeConfig> {
  const location = await locateConfig(options, signal === undefined ? {} : { signal });
  if (!location.exists && location.source === 'flag') {
    throw new AcodeError(
      'CONFIG_NOT_FOUND',
      `Config file ${location.file} (from --config) does not exist.`,
      'Check the path given to --config, or drop --config to use the nearest .agent/config.yml.',
      { details: { file: location.file } },
    );
  }
  if (!location.exists) return applyEnvOverrides(resolveRaw({}, undefined), options.env);
  const text = await readText(location, signal);
  return applyEnvOverrides(resolveRaw(parseConfig(text, location.file), location.file), options.env);
}
