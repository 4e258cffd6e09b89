// Turns whatever an inspection event carries (errors, actor refs, functions, cycles) into plain JSON
// data, then removes secrets with config's redact. Recordings and the live page only ever see this.
import { redact, type Env } from '../config/index.js';

const MAX_DEPTH = 12;

function isActorRef(value: object): value is { sessionId: string; id: string } {
  return (
    typeof (value as { sessionId?: unknown }).sessionId === 'string' &&
    typeof (value as { send?: unknown }).send === 'function'
  );
}

function plain(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'undefined' || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (depth > MAX_DEPTH) return '[depth]';
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  try {
    if (isActorRef(value)) return { actorRef: value.id };
    if (value instanceof Error) {
      // AcodeError keeps what the machine reads (code, hint, details); other errors keep code/name too.
      const e = value as Error & { code?: unknown; hint?: unknown; details?: unknown };
      const out: Record<string, unknown> = { name: e.name, message: e.message };
      if (e.code !== undefined) out.code = plain(e.code, depth + 1, seen);
      if (e.hint !== undefined) out.hint = plain(e.hint, depth + 1, seen);
      if (e.details !== undefined) out.details = plain(e.details, depth + 1, seen);
      if (e.cause !== undefined) out.cause = plain(e.cause, depth + 1, seen);
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => plain(v, depth + 1, seen) ?? null);
    if (value instanceof Map)
      return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v, depth + 1, seen)]));
    if (value instanceof Set) return [...value].map((v) => plain(v, depth + 1, seen));
    if (value instanceof Date) return value.toISOString();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = plain(v, depth + 1, seen);
      if (p !== undefined) out[k] = p;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/** JSON-safe, secret-free copy of `value`. */
export function toPlain<T = unknown>(value: unknown, env: Env): T {
  return redact(plain(value, 0, new WeakSet()), env) as T;
}
