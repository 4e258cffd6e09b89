// Where the conformance suites point: a stand-in started by the harness, or a real server when
// ACODE_TEST_OLLAMA_URL / ACODE_TEST_OPENAI_URL are set (ACODE_TEST_MODEL picks one of its models).

import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { startTestServer, type ServerKind, type StartOptions, type TestServer } from '../servers/harness.js';

export const REAL_OLLAMA_URL = process.env.ACODE_TEST_OLLAMA_URL ?? '';
export const REAL_OPENAI_URL = process.env.ACODE_TEST_OPENAI_URL ?? '';
export const REAL_MODEL = process.env.ACODE_TEST_MODEL ?? '';

export interface Target {
  /** 'fake' targets allow exact-content assertions (deterministic generation). */
  fake: boolean;
  url: string;
  /** Model to use in requests. */
  model: string;
  /** Generation key of the fake (see expectedChat); equal to `model` for real targets. */
  key: string;
  server: TestServer | null;
  stop(): Promise<void>;
}

export async function fakeTarget(kind: ServerKind, opts: StartOptions = {}): Promise<Target> {
  const server = await startTestServer(kind, opts);
  const key = kind === 'ollama' ? normalize(server.model) : server.model;
  return {
    fake: true,
    url: server.url,
    model: server.model,
    key,
    server,
    stop: async () => void (await server.stop()),
  };
}

/**
 * A server someone else runs. The model is the id the server itself lists (GET /v1/models, or
 * /api/tags for Ollama): `wanted` (ACODE_TEST_MODEL) picks one of several, else the first is used.
 */
export async function realTarget(url: string, wanted: string, wire: 'openai' | 'ollama'): Promise<Target> {
  const base = url.replace(/\/+$/, '').replace(/\/v1$/, '');
  const res = await fetch(wire === 'ollama' ? `${base}/api/tags` : `${base}/v1/models`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { data?: Array<{ id: string }>; models?: Array<{ name: string }> };
  const served = wire === 'ollama' ? (body.models ?? []).map((m) => m.name) : (body.data ?? []).map((m) => m.id);
  const want = wire === 'ollama' && wanted ? normalize(wanted) : wanted;
  const model = served.includes(want) ? want : served[0];
  if (model === undefined) throw new Error(`${base} serves no model (${JSON.stringify(body).slice(0, 300)})`);
  return { fake: false, url: base, model, key: model, server: null, stop: async () => undefined };
}

function normalize(name: string): string {
  return (name.split('/').pop() ?? '').includes(':') ? name : `${name}:latest`;
}

export function ollamaClient(t: Target): Ollama {
  return new Ollama({ host: t.url });
}

/**
 * The official client with retries off, so a knob's failure surfaces once, as it would first appear.
 * A real server computes its tokens: more time on a loaded machine.
 */
export function openaiClient(t: Target, timeout = t.fake ? 10_000 : 30_000): OpenAI {
  return new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'x', maxRetries: 0, timeout });
}

export const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city', 'unit'],
    },
  },
};

export const personSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
    role: { enum: ['admin', 'user'] },
  },
  required: ['name', 'age', 'tags', 'role'],
  additionalProperties: false,
};

/** The ollama client's ResponseError (not exported by the package): `name`, `error`, `status_code`. */
export interface OllamaResponseError extends Error {
  error: string;
  status_code: number;
}

export function asResponseError(e: unknown): OllamaResponseError {
  if (!(e instanceof Error) || e.name !== 'ResponseError')
    throw new Error(`expected the ollama client's ResponseError, got ${String(e)}`);
  return e as OllamaResponseError;
}

interface FinishHook {
  onTestFinished(fn: () => unknown): void;
}

/**
 * Per-test resources for concurrent tests: everything started here is stopped when *this* test finishes
 * (a shared afterEach would stop servers of tests still running).
 */
export function using(ctx: FinishHook): {
  server: typeof startTestServer;
  target: typeof fakeTarget;
  defer(fn: () => unknown): void;
} {
  return {
    server: async (kind, opts) => {
      const s = await startTestServer(kind, opts);
      ctx.onTestFinished(() => s.stop());
      return s;
    },
    target: async (kind, opts) => {
      const t = await fakeTarget(kind, opts);
      ctx.onTestFinished(() => t.stop());
      return t;
    },
    defer: (fn) => ctx.onTestFinished(fn),
  };
}
