// Deterministic "inference": the output is a fixed token sequence, a pure function of (model, prompt, seed).
// A continuation after any prefix of that text yields exactly the rest of the same sequence, which is what
// lets the orchestrator resume a broken stream without duplicating or losing text.

import { valueFromSchema, type JsonSchema } from './schema-value.js';

const VOCAB = [
  'the',
  'model',
  'answers',
  'with',
  'a',
  'short',
  'reply',
  'about',
  'local',
  'servers',
  'tokens',
  'stream',
  'quietly',
  'and',
  'then',
  'stops',
  'when',
  'done',
  'every',
  'word',
  'is',
  'seeded',
  'by',
  'prompt',
  'so',
  'tests',
  'can',
  'check',
  'it',
  'again',
  'later',
  'bright',
  'river',
  'stone',
  'green',
  'field',
  'small',
  'cloud',
  'over',
  'hills',
  'under',
  'sky',
  'calm',
  'fast',
  'slow',
  'north',
  'south',
  'light',
  'dark',
  'code',
];

/** FNV-1a, 32 bit: a stable string hash (no crypto needed, only determinism). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerationKey {
  model: string;
  prompt: string;
  seed?: number | undefined;
}

export type OutputShape = { kind: 'text' } | { kind: 'json'; schema?: JsonSchema | undefined };

function randomFor(key: GenerationKey, salt: string): () => number {
  return seededRandom(hash32(`${salt}\u0000${key.model}\u0000${key.seed ?? 0}\u0000${key.prompt}`));
}

/** The whole sequence for a key; `fixedCount` (ACODE_FAKE_TOKENS) overrides the seeded length of text. */
export function tokenSequence(key: GenerationKey, shape: OutputShape, fixedCount: number | null): string[] {
  const rnd = randomFor(key, shape.kind);
  if (shape.kind === 'json') {
    const value = shape.schema ? valueFromSchema(shape.schema, rnd) : { answer: words(rnd, 3).join(' ') };
    return splitPieces(JSON.stringify(value), 4);
  }
  const count = fixedCount ?? 12 + Math.floor(rnd() * 13);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const w = VOCAB[Math.floor(rnd() * VOCAB.length)] ?? 'word';
    if (i === 0) out.push(w.charAt(0).toUpperCase() + w.slice(1));
    else if (i === count - 1) out.push(` ${w}.`);
    else out.push(` ${w}`);
  }
  return out;
}

function words(rnd: () => number, n: number): string[] {
  return Array.from({ length: n }, () => VOCAB[Math.floor(rnd() * VOCAB.length)] ?? 'word');
}

function splitPieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/**
 * The pieces still to emit after `prefix` (the text of a trailing assistant message). A prefix that ends
 * inside a piece yields the rest of that piece first. Null when the prefix is not a prefix of the sequence.
 */
export function remainderAfter(pieces: string[], prefix: string): string[] | null {
  if (prefix === '') return pieces;
  let acc = '';
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] ?? '';
    const next = acc + piece;
    if (next.length >= prefix.length && next.startsWith(prefix)) {
      const tail = next.slice(prefix.length);
      return tail === '' ? pieces.slice(i + 1) : [tail, ...pieces.slice(i + 1)];
    }
    if (!prefix.startsWith(next)) return null;
    acc = next;
  }
  return null;
}

export interface ChatMessageLike {
  role: string;
  content?: unknown;
}

/** Text of a message content: a string, or OpenAI content parts whose text parts are joined. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p: unknown) => (p && typeof p === 'object' && 'text' in p && typeof p.text === 'string' ? p.text : ''))
      .join('');
  }
  return '';
}

/** The prompt key of a conversation: what a chat template would see, minus formatting. */
export function chatPrompt(messages: readonly ChatMessageLike[]): string {
  return messages.map((m) => `${m.role}: ${contentText(m.content)}`).join('\n');
}

const wordCount = (text: string): number => text.split(/\s+/).filter((w) => w !== '').length;

/**
 * A rough token count (whitespace words plus template overhead), stable for assertions. A continued
 * (prefilled) assistant message is prompt too, as on the real servers: one token per generated word.
 */
export function promptTokenCount(prompt: string, prefilled = ''): number {
  return wordCount(prompt) + wordCount(prefilled) + 4;
}

export interface Planned {
  pieces: string[];
  finishReason: 'stop' | 'length';
}

/**
 * What a request produces: the sequence for (model, prompt, seed), continued after `prefix` when given,
 * cut to `maxTokens`. A prefix that does not match starts a fresh sequence keyed on prompt + prefix.
 */
export function plan(
  key: GenerationKey,
  shape: OutputShape,
  opts: { prefix?: string; maxTokens?: number | null; fixedCount: number | null },
): Planned {
  const full = tokenSequence(key, shape, opts.fixedCount);
  let pieces = full;
  if (opts.prefix !== undefined && opts.prefix !== '') {
    pieces =
      remainderAfter(full, opts.prefix) ??
      tokenSequence({ ...key, prompt: `${key.prompt}\n${opts.prefix}` }, shape, opts.fixedCount);
  }
  const max = opts.maxTokens;
  if (max !== null && max !== undefined && max >= 0 && pieces.length > max) {
    return { pieces: pieces.slice(0, max), finishReason: 'length' };
  }
  return { pieces, finishReason: 'stop' };
}

/**
 * A raw prompt that ends with the start of its own answer: a client resuming a broken raw completion
 * sends the prompt plus the text it got. A model continues its own output, so the answer is the rest of
 * the sequence of the prompt before that text. `keyOf` builds the key of a prompt (a template around
 * it, for fill in the middle). Only text answers; null when the prompt is a fresh one.
 */
export function rawContinuation(
  prompt: string,
  keyOf: (base: string) => GenerationKey,
  fixedCount: number | null,
): { key: GenerationKey; prefix: string } | null {
  // An answer starts with a capitalised word and is at most ~12 characters a token long.
  const longest = (fixedCount ?? 24) * 12;
  for (let at = Math.max(1, prompt.length - longest); at < prompt.length; at++) {
    if (!/[A-Z]/.test(prompt.charAt(at))) continue;
    const key = keyOf(prompt.slice(0, at));
    const prefix = prompt.slice(at);
    if (remainderAfter(tokenSequence(key, { kind: 'text' }, fixedCount), prefix) !== null) return { key, prefix };
  }
  return null;
}
