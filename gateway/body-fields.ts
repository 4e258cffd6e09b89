// The fields of a client's JSON body, checked the one way every route checks them: an object, a
// `model`, numbers that are numbers, a non-empty list of message objects. A wrong one is BAD_REQUEST
// (400) naming the field and what to send.
import { badRequest } from './errors.js';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `model` field every routed request carries. */
export function requireModel(body: Json, route: string): string {
  if (typeof body.model !== 'string' || body.model.trim() === '') {
    throw badRequest(`${route}: the request has no "model".`, 'Send "model": one of the ids GET /v1/models lists.');
  }
  return body.model.trim();
}

/** `fields[name]` as a finite number, undefined when absent; `label` is how the client wrote it. */
export function numberField(fields: Json, name: string, label = `"${name}"`): number | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw badRequest(`${label} is not a number.`, `Send ${label} as a number or leave it out.`);
  return value;
}

/** A chat's `messages`: a non-empty list of objects, each handed to `read` with the path to name it by. */
export function messageObjects<T>(value: unknown, route: string, read: (m: Json, where: string, i: number) => T): T[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw badRequest(
      `${route}: "messages" is missing or empty.`,
      'Send at least one {"role":"user","content":"..."} message.',
    );
  }
  return value.map((m, i) => {
    const where = `messages[${i}]`;
    if (!isObject(m)) throw badRequest(`${where} is not an object.`, 'Each message is {"role":..., "content":...}.');
    return read(m, where, i);
  });
}
