// Removes secrets from text and data before it reaches a log, a recording or the terminal.
// Hand-written on purpose: fast-redact and friends redact known object paths, but our secrets
// also appear as values inside free text (command lines, error messages, HTTP dumps).
import type { Env } from './types.js';

export const REDACTED = '***';

const SECRET_ENV = /(^|_)(TOKEN|API_KEY|APIKEY|SECRET|PASSWORD|PASSWD)$/i;
const SECRET_FIELD = /^(authorization|proxy-authorization|x-api-key|api[-_]?key|apikey|.*token|.*secret|.*password)$/i;
const COUNT_FIELD = /tokens$/i;
// Values shorter than this would blank out ordinary words (a token of "1" is a misconfiguration).
const MIN_SECRET_LENGTH = 4;

/** Names of env vars whose values are secrets: HF_TOKEN, *_API_KEY, *_TOKEN, *_SECRET, *_PASSWORD. */
export function secretEnvNames(env: Env): string[] {
  return Object.keys(env)
    .filter((name) => SECRET_ENV.test(name) && (env[name] ?? '').length > 0)
    .sort();
}

function secretValues(env: Env): string[] {
  const values = secretEnvNames(env)
    .map((name) => env[name] ?? '')
    .filter((value) => value.length >= MIN_SECRET_LENGTH);
  // Longest first, so a secret that contains another is replaced whole.
  return [...new Set(values)].sort((a, b) => b.length - a.length);
}

const HEADER = /(\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token|digest)\s+)?([^\s"',;]+)/gi;
const API_KEY_HEADER = /(\b(?:x-api-key|api-key)["']?\s*[:=]\s*["']?)([^\s"',;]+)/gi;
const FLAG = /(--(?:api-key|hf-token|token|password|secret)(?:=|\s+))([^\s"']+)/gi;

function redactText(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) out = out.split(value).join(REDACTED);
  out = out.replace(
    HEADER,
    (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}${REDACTED}`,
  );
  out = out.replace(API_KEY_HEADER, (_m, head: string) => `${head}${REDACTED}`);
  return out.replace(FLAG, (_m, head: string) => `${head}${REDACTED}`);
}

function redactValue(value: unknown, values: readonly string[], seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return redactText(value, values);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(redactValue(item, values, seen));
    return copy;
  }
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, inner] of Object.entries(value)) {
    const secretField = SECRET_FIELD.test(key) && !COUNT_FIELD.test(key) && inner !== null && inner !== undefined;
    copy[key] = secretField && typeof inner !== 'object' ? REDACTED : redactValue(inner, values, seen);
  }
  return copy;
}

/**
 * Replaces secret env values (HF_TOKEN, *_API_KEY, *_TOKEN ...), Authorization / x-api-key header
 * values and `--api-key V` flags with ***. Objects are copied (never mutated), cycles kept.
 */
export function redact<T>(input: T, env: Env): T {
  return redactValue(input, secretValues(env), new WeakMap()) as T;
}
