// The official `ollama` npm client against the stand-in (always) and a real Ollama (when
// ACODE_TEST_OLLAMA_URL is set). Against a real server the tests assert the protocol, not the words:
// generations are bounded (num_predict, temperature 0) and may end with stop or length.

import { Ajv } from 'ajv';
import type { ProgressResponse } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedChat } from '../servers/harness.js';
import {
  asResponseError,
  fakeTarget,
  ollamaClient,
  personSchema,
  REAL_MODEL,
  REAL_OLLAMA_URL,
  realTarget,
  weatherTool,
  type Target,
} from './targets.js';

function suite(getTarget: () => Promise<Target>): void {
  let t: Target;
  beforeAll(async () => {
    t = await getTarget();
  });
  afterAll(async () => t?.stop());
  const user = [{ role: 'user', content: 'Say something short about rivers.' }];
  /** A real model may never stop by itself; the stand-in's answers are short and exact. */
  const bounded = (): { num_predict?: number; temperature?: number } =>
    t.fake ? {} : { num_predict: 16, temperature: 0 };
  const ended = (reason: string | undefined): void => {
    if (t.fake) expect(reason).toBe('stop');
    else expect(['stop', 'length']).toContain(reason);
  };

  it('answers GET / with "Ollama is running" and reports a version', async () => {
    const res = await fetch(`${t.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Ollama is running');
    expect((await ollamaClient(t).version()).version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('pulls with streamed progress, then lists the model', async () => {
    const events: ProgressResponse[] = [];
    for await (const e of await ollamaClient(t).pull({ model: t.model, stream: true })) events.push(e);
    expect(events[0]?.status).toBe('pulling manifest');
    expect(events.at(-1)?.status).toBe('success');
    const layer = events.filter((e) => e.digest && e.total);
    expect(layer.length).toBeGreaterThan(0);
    expect(layer.every((e) => e.digest.startsWith('sha256:') && e.status === `pulling ${e.digest.slice(7, 19)}`)).toBe(
      true,
    );
    expect(events.some((e) => e.completed === e.total && e.total > 0)).toBe(true);
    const names = (await ollamaClient(t).list()).models.map((m) => m.name);
    expect(names.filter((n) => n === t.key || n === `${t.key}:latest`)).toHaveLength(1);
  });

  it('chat without streaming returns the whole message and the counts', async () => {
    const r = await ollamaClient(t).chat({ model: t.model, messages: user, options: { seed: 7, ...bounded() } });
    expect(r.done).toBe(true);
    ended(r.done_reason);
    expect(r.message.role).toBe('assistant');
    expect(r.message.content.length).toBeGreaterThan(0);
    expect(r.eval_count).toBeGreaterThan(0);
    if (t.fake) {
      const want = expectedChat({ model: t.key, messages: user, seed: 7 });
      expect(r.message.content).toBe(want.text);
      expect(r.eval_count).toBe(want.pieces.length);
    }
  });

  it('chat streams NDJSON chunks ending with done', async () => {
    const parts: string[] = [];
    let last: { done: boolean; done_reason?: string } | undefined;
    for await (const c of await ollamaClient(t).chat({
      model: t.model,
      messages: user,
      stream: true,
      options: { seed: 7, ...bounded() },
    })) {
      parts.push(c.message.content);
      last = c;
    }
    expect(last?.done).toBe(true);
    ended(last?.done_reason);
    expect(parts.join('').length).toBeGreaterThan(0);
    if (t.fake) expect(parts.join('')).toBe(expectedChat({ model: t.key, messages: user, seed: 7 }).text);
  });

  it('num_predict cuts the answer with done_reason length', async () => {
    const r = await ollamaClient(t).chat({
      model: t.model,
      messages: user,
      options: { seed: 7, ...bounded(), num_predict: 3 },
    });
    expect(r.done_reason).toBe('length');
    expect(r.eval_count).toBeLessThanOrEqual(3);
  });

  it('calls a tool when the prompt asks for one', async () => {
    const r = await ollamaClient(t).chat({
      model: t.model,
      messages: [{ role: 'user', content: 'What is the weather in Paris? Use get_weather.' }],
      tools: [weatherTool],
      options: bounded(),
    });
    const call = r.message.tool_calls?.[0];
    // A real model is free not to call the tool: the server took the tools and answered.
    if (!t.fake && call === undefined) return ended(r.done_reason);
    expect(call?.function.name).toBe('get_weather');
    expect(typeof call?.function.arguments.city).toBe('string');
  });

  it('returns JSON matching the schema given as format', async () => {
    const r = await ollamaClient(t).chat({
      model: t.model,
      messages: [{ role: 'user', content: 'Invent a person.' }],
      format: personSchema,
      options: { temperature: 0 },
    });
    const value: unknown = JSON.parse(r.message.content);
    const validate = new Ajv().compile(personSchema);
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects an unknown model with 404 and the model name', async () => {
    const err = await ollamaClient(t)
      .chat({ model: 'no-such-model-acode', messages: user, options: bounded() })
      .catch((e: unknown) => e);
    expect(asResponseError(err).status_code).toBe(404);
    expect(asResponseError(err).error).toContain('no-such-model-acode');
  });

  it('a pull of an unknown model fails inside the stream', async () => {
    const run = async (): Promise<void> => {
      for await (const _ of await ollamaClient(t).pull({ model: 'no-such-model-acode', stream: true })) void _;
    };
    await expect(run()).rejects.toThrow(/file does not exist|not found|manifest/);
  });
}

describe('fake ollama (test/servers) driven by the official ollama client', () => {
  suite(() =>
    fakeTarget('ollama', { knobs: { pullBytes: 100_000 } }).then((t) => ({
      ...t,
      model: 'llama3.2',
      key: 'llama3.2:latest',
    })),
  );

  describe('fake-only: determinism, continuation, generate, embed, show, ps, delete', () => {
    let t: Target;
    beforeAll(async () => {
      t = await fakeTarget('ollama', {
        model: 'llama3.2:latest',
        knobs: { pulled: ['llama3.2:latest', 'nomic-embed-text'] },
      });
    });
    afterAll(async () => t?.stop());
    const msgs = [{ role: 'user', content: 'Tell me about stones.' }];

    it('continues a trailing assistant message with exactly the rest of the sequence', async () => {
      const full = expectedChat({ model: t.key, messages: msgs, seed: 3 });
      const prefix = full.pieces.slice(0, 4).join('');
      let text = '';
      for await (const c of await ollamaClient(t).chat({
        model: t.model,
        messages: [...msgs, { role: 'assistant', content: prefix }],
        stream: true,
        options: { seed: 3 },
      }))
        text += c.message.content;
      expect(prefix + text).toBe(full.text);
      expect(text).toBe(full.pieces.slice(4).join(''));
    });

    it('a different seed gives a different answer, the same seed the same', async () => {
      const a = await ollamaClient(t).chat({ model: t.model, messages: msgs, options: { seed: 1 } });
      const b = await ollamaClient(t).chat({ model: t.model, messages: msgs, options: { seed: 2 } });
      const c = await ollamaClient(t).chat({ model: t.model, messages: msgs, options: { seed: 1 } });
      expect(a.message.content).not.toBe(b.message.content);
      expect(a.message.content).toBe(c.message.content);
    });

    it('generate returns `response` text, streamed or whole, and the same text both ways', async () => {
      const r = await ollamaClient(t).generate({ model: t.model, prompt: 'hello', options: { seed: 2 } });
      expect(r.done).toBe(true);
      expect(r.response?.length).toBeGreaterThan(0);
      let text = '';
      for await (const c of await ollamaClient(t).generate({
        model: t.model,
        prompt: 'hello',
        options: { seed: 2 },
        stream: true,
      }))
        text += c.response ?? '';
      expect(text).toBe(r.response);
    });

    it('lists pulled models on the OpenAI-compatible /v1/models', async () => {
      const body = (await (await fetch(`${t.url}/v1/models`)).json()) as {
        object: string;
        data: { id: string; owned_by: string }[];
      };
      expect(body.object).toBe('list');
      expect(body.data.map((m) => m.id)).toContain('llama3.2:latest');
      expect(body.data[0]?.owned_by).toBe('library');
    });

    it('embed returns one unit vector per input; a chat on an embedding model is refused', async () => {
      const r = await ollamaClient(t).embed({ model: 'nomic-embed-text', input: ['a', 'b'] });
      expect(r.embeddings).toHaveLength(2);
      expect(r.embeddings[0]).toHaveLength(768);
      expect(r.embeddings[0]).not.toEqual(r.embeddings[1]);
      const err = await ollamaClient(t)
        .chat({ model: 'nomic-embed-text', messages: msgs })
        .catch((e: unknown) => e);
      expect(asResponseError(err).status_code).toBe(400);
    });

    it('show describes the model; ps lists it once loaded; delete removes it', async () => {
      const show = await ollamaClient(t).show({ model: t.model });
      expect(show.details.family).toBe('llama');
      await ollamaClient(t).chat({ model: t.model, messages: msgs });
      expect((await ollamaClient(t).ps()).models.map((m) => m.name)).toContain('llama3.2:latest');
      await ollamaClient(t).delete({ model: t.model });
      expect((await ollamaClient(t).list()).models.map((m) => m.name)).not.toContain('llama3.2:latest');
      const err = await ollamaClient(t)
        .delete({ model: t.model })
        .catch((e: unknown) => e);
      expect(asResponseError(err).status_code).toBe(404);
    });

    it('answers unknown paths with 404 and wrong methods with 405', async () => {
      expect((await fetch(`${t.url}/api/nope`)).status).toBe(404);
      expect((await fetch(`${t.url}/api/chat`)).status).toBe(405);
      const missing = await fetch(`${t.url}/api/chat`, { method: 'POST' });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({ error: 'missing request body' });
    });
  });
});

describe.skipIf(REAL_OLLAMA_URL === '')(
  'real Ollama at ACODE_TEST_OLLAMA_URL (set it, and ACODE_TEST_MODEL to pick one of its models, to run)',
  () => {
    suite(async () => realTarget(REAL_OLLAMA_URL, REAL_MODEL, 'ollama'));
    it.skip('knob tests run only against the stand-ins', () => undefined);
  },
);
