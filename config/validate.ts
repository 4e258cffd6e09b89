// Schema validation (ajv, all errors) plus the cross-key rules a schema cannot say (an `active` or
// `fallback` id that names no provider, a base_url that is not a URL). Returns problems, never throws.
import type { ErrorObject } from 'ajv';
import type { Document, LineCounter } from 'yaml';
import type { ConfigProblem } from './problems.js';
import { PROVIDER_ID_PATTERN } from './schema.js';
import { validate as generatedValidate } from './schema-validator.generated.js';
import { closestMatch, didYouMean } from './suggest.js';
import { KNOWN_PROVIDER_IDS } from './types.js';
import { entryOffset, formatPath, keyOffset, toPosition, valueOffset, type KeyPath } from './yaml-nodes.js';

// CONFIG_SCHEMA compiled ahead of time (config/schema-codegen.ts): compiling it here cost most of a cold start.
const validateSchema = generatedValidate as ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

interface Source {
  doc: Document;
  lineCounter: LineCounter;
  file: string;
}

function decodePointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^\d+$/.test(segment) ? Number(segment) : segment;
    });
}

function describe(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return JSON.stringify(value) ?? 'undefined';
}

function allowedOf(error: ErrorObject): string {
  const schema = error.parentSchema as { allowed?: string } | undefined;
  return schema?.allowed ?? error.message ?? 'a valid value';
}

function propertyNames(error: ErrorObject): string[] {
  const schema = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
  return Object.keys(schema?.properties ?? {});
}

const KNOWN = KNOWN_PROVIDER_IDS as readonly string[];

function unknownKey(path: KeyPath, key: string, error: ErrorObject): string {
  const names = propertyNames(error);
  if (formatPath(path) === 'providers') {
    if (!new RegExp(PROVIDER_ID_PATTERN).test(key)) {
      return `'${key}' is not a valid provider id${didYouMean(key, KNOWN)}; ids use lower-case letters, digits, '-' and '_'`;
    }
  }
  const knownProvider = path.length === 2 && path[0] === 'providers' && KNOWN.includes(String(path[1]));
  if (knownProvider && (key === 'base_url' || key === 'type')) {
    return `'${key}' is only for custom provider ids; '${String(path[1])}' is known, set host and port instead; allowed keys: ${names.join(', ')}`;
  }
  return `unknown key '${key}'${didYouMean(key, names)}; allowed keys: ${names.join(', ')}`;
}

function missingKey(path: KeyPath, missing: string, error: ErrorObject): string {
  const id = path[path.length - 1];
  const schema = error.parentSchema as
    { required?: string[]; properties?: Record<string, { allowed?: string }> } | undefined;
  const what = (key: string): string => `'${key}' (${schema?.properties?.[key]?.allowed ?? 'a value'})`;
  if (path.length === 2 && path[0] === 'providers' && typeof id === 'string') {
    // One line per provider, not one per missing key: the fix is the same edit.
    const data = (typeof error.data === 'object' && error.data !== null ? error.data : {}) as Record<string, unknown>;
    const absent = (schema?.required ?? [missing]).filter((key) => !(key in data));
    const guess = closestMatch(id, KNOWN);
    const suffix = guess === undefined ? '' : `; did you mean the known provider '${guess}'?`;
    return `'${id}' is not one of ${KNOWN.join(', ')}, so it needs ${absent.map(what).join(' and ')}${suffix}`;
  }
  return `missing required key ${what(missing)}`;
}

function toProblem(error: ErrorObject, source: Source): ConfigProblem {
  const path = decodePointer(error.instancePath);
  let offset: number;
  let shownPath: KeyPath = path;
  let message: string;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String((error.params as { additionalProperty: string }).additionalProperty);
      offset = keyOffset(source.doc, path, key);
      shownPath = [...path, key];
      message = unknownKey(path, key, error);
      break;
    }
    case 'required': {
      const missing = String((error.params as { missingProperty: string }).missingProperty);
      offset = entryOffset(source.doc, path);
      message = missingKey(path, missing, error);
      break;
    }
    case 'enum': {
      offset = valueOffset(source.doc, path);
      const options = (error.schema as string[]) ?? [];
      const got = typeof error.data === 'string' ? didYouMean(error.data, options) : '';
      message = `must be ${allowedOf(error)}, got ${describe(error.data)}${got}`;
      break;
    }
    case 'pattern':
      // Only api_key_env has a pattern: what fails it may be the key itself, so it is not echoed.
      offset = valueOffset(source.doc, path);
      message = `must be ${allowedOf(error)}; the value given is not shown, in case it is the key itself`;
      break;
    case 'uniqueItems':
      offset = valueOffset(source.doc, path);
      message = `must be ${allowedOf(error)}; an id is listed twice`;
      break;
    default:
      offset = valueOffset(source.doc, path);
      message = `must be ${allowedOf(error)}, got ${describe(error.data)}`;
  }
  return { file: source.file, ...toPosition(source.lineCounter, offset), path: formatPath(shownPath), message };
}

// ajv reports a failed `type` once per schema branch; one line per path and message is enough.
function unique(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Ids a reference may name: the four known servers plus every custom id the file defines. */
function configuredIds(data: unknown): string[] {
  const providers = isRecord(data) && isRecord(data.providers) ? data.providers : {};
  const custom = Object.keys(providers).filter(
    (id) => id !== 'active' && !KNOWN.includes(id) && isRecord(providers[id]),
  );
  return [...KNOWN, ...custom];
}

function crossKeyProblems(data: unknown, source: Source): ConfigProblem[] {
  if (!isRecord(data)) return [];
  const problems: ConfigProblem[] = [];
  const ids = configuredIds(data);
  const at = (path: KeyPath, message: string): void => {
    problems.push({
      file: source.file,
      ...toPosition(source.lineCounter, valueOffset(source.doc, path)),
      path: formatPath(path),
      message,
    });
  };
  const providers = isRecord(data.providers) ? data.providers : {};
  if (typeof providers.active === 'string' && providers.active !== '' && !ids.includes(providers.active)) {
    at(
      ['providers', 'active'],
      `'${providers.active}' names no provider${didYouMean(providers.active, ids)}; configured ids: ${ids.join(', ')}`,
    );
  }
  if (Array.isArray(data.fallback)) {
    data.fallback.forEach((id, index) => {
      if (typeof id === 'string' && id !== '' && !ids.includes(id)) {
        at(['fallback', index], `'${id}' names no provider${didYouMean(id, ids)}; configured ids: ${ids.join(', ')}`);
      }
    });
  }
  for (const [id, provider] of Object.entries(providers)) {
    if (!isRecord(provider)) continue;
    if (typeof provider.base_url === 'string' && provider.base_url !== '' && !isHttpUrl(provider.base_url)) {
      at(
        ['providers', id, 'base_url'],
        `must be an http(s) URL such as http://127.0.0.1:9000, got "${provider.base_url}"`,
      );
    }
    remoteCodeProblems(id, provider, at);
    if (id === 'lmstudio' && isRecord(provider.lifecycle) && provider.lifecycle.mode === 'managed') {
      at(
        ['providers', id, 'lifecycle', 'mode'],
        "acode cannot start LM Studio's server (the LM Studio app owns it); " +
          'use monitored (or external) and start it with `lms server start`',
      );
    }
  }
  return problems;
}

// vLLM's parser takes --trust-remote-code and --trust_remote_code alike (underscores become dashes).
const TRUST_REMOTE_CODE = /^--trust[-_]remote[-_]code(?:=|$)/;

// The flag runs Python from the model's repository inside the server: only when the user said so in
// its own key, never because a copied args line carried it.
function remoteCodeProblems(
  id: string,
  provider: Record<string, unknown>,
  at: (path: KeyPath, message: string) => void,
): void {
  if (!Array.isArray(provider.args) || provider.allow_remote_code === true) return;
  provider.args.forEach((arg, index) => {
    if (typeof arg === 'string' && TRUST_REMOTE_CODE.test(arg)) {
      at(
        ['providers', id, 'args', index],
        `${arg} runs the model repository's own Python code in the server; ` +
          `set providers.${id}.allow_remote_code: true to allow it, or remove the flag`,
      );
    }
  });
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Every schema and cross-key problem of an already-parsed document, in one list. */
export function validateConfigData(data: unknown, source: Source): ConfigProblem[] {
  const schemaProblems = validateSchema(data) ? [] : (validateSchema.errors ?? []).map((e) => toProblem(e, source));
  return unique([...schemaProblems, ...crossKeyProblems(data, source)]);
}
