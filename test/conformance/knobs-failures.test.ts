// Crash, stall and malformed-body knobs: each failure must reach the official clients the way the same
// failure of a real server would (a broken stream, a reset connection, an unparsable body).

import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ollamaClient, openaiClient, type Target, using } from './targets.js';

function proc(t: Target): NonNullable<Target['server']> {
  if (!t.server) throw new Error('fake target expected');
  return t.server;
}
const user = [{ role: 'user' as const, content: 'hi' }];

describe.concurrent('knobs: crashes (fake servers only)', () => {
  it('ACODE_FAKE_CRASH_AFTER_TOKENS: an Ollama stream breaks after exactly N chunks, exit code 1', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('ollama', { model: 'llama3.2:latest', knobs: { crashAfterTokens: 3, tokens: 10 } });
    const chunks: string[] = [];
    const run = async (): Promise<void> => {
      for await (const c of await ollamaClient(t).chat({ model: t.model, messages: user, stream: true }))
        chunks.push(c.message.content);
    };
    await expect(run()).rejects.toThrow();
    expect(chunks).toHaveLength(3);
    expect(await proc(t).exited, proc(t).logs()).toEqual({ code: 1, signal: null });
  });

  it('ACODE_FAKE_CRASH_MODE=sigkill: a vLLM SSE stream breaks, the process dies by SIGKILL', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('vllm', { knobs: { crashAfterTokens: 2, crashMode: 'sigkill', tokens: 10 } });
    let text = '';
    const run = async (): Promise<void> => {
      for await (const c of await openaiClient(t).chat.completions.create({
        model: t.model,
        messages: user,
        stream: true,
      }))
        text += c.choices[0]?.delta.content ?? '';
    };
    await expect(run()).rejects.toThrow();
    expect(text.trim().split(/\s+/)).toHaveLength(2);
    expect(await proc(t).exited, proc(t).logs()).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('ACODE_FAKE_CRASH_EXIT_CODE: a non-stream request dies before its answer with the configured code', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('llama-server', { knobs: { crashAfterTokens: 0, crashExitCode: 9 } });
    const err = await openaiClient(t)
      .chat.completions.create({ model: t.model, messages: user })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(await proc(t).exited, proc(t).logs()).toEqual({ code: 9, signal: null });
  });

  it('ACODE_FAKE_CRASH_AFTER_REQUESTS: N work requests succeed, the next one finds the process gone', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('vllm', { knobs: { crashAfterRequests: 1 } });
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    const ok = await openaiClient(t).chat.completions.create({ model: t.model, messages: user });
    expect(ok.choices[0]?.finish_reason).toBe('stop');
    const err = await openaiClient(t)
      .chat.completions.create({ model: t.model, messages: user })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    expect((await proc(t).exited).code, proc(t).logs()).toBe(1);
  });
});

describe.concurrent('knobs: stalls (fake servers only)', () => {
  it('ACODE_FAKE_STALL_AFTER_TOKENS: the Ollama stream stops after N chunks, open and without done', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('ollama', { model: 'llama3.2:latest', knobs: { stallAfterTokens: 2, tokens: 8 } });
    const it = await ollamaClient(t).chat({ model: t.model, messages: user, stream: true });
    const seen: { done: boolean }[] = [];
    const run = (async () => {
      for await (const c of it) {
        seen.push(c);
        if (seen.length === 2) setTimeout(() => it.abort(), 400);
      }
    })();
    await expect(run).rejects.toThrow(/abort/i);
    expect(seen).toHaveLength(2);
    expect(seen.some((c) => c.done)).toBe(false);
    expect(proc(t).child.exitCode).toBeNull();
  });

  it('ACODE_FAKE_STALL_AFTER_TOKENS: a stalled SSE stream never finishes; aborting ends it silently in the openai client', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('llama-server', { knobs: { stallAfterTokens: 1, tokens: 8 } });
    let deltas = 0;
    let finish: string | null = null;
    const stream = await openaiClient(t).chat.completions.create(
      { model: t.model, messages: user, stream: true },
      { signal: AbortSignal.timeout(600) },
    );
    // The openai client treats an abort as the end of iteration, not as an error.
    for await (const c of stream) {
      if (c.choices[0]?.delta.content) deltas += 1;
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas).toBe(1);
    expect(finish).toBeNull();
  });
});

describe.concurrent('knobs: malformed bodies (fake servers only)', () => {
  it('ACODE_FAKE_MALFORMED=garbage (1 MB): the ollama client cannot parse the reply', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('ollama', {
      model: 'llama3.2:latest',
      knobs: { malformed: 'garbage', malformedBytes: 1_048_576 },
    });
    const res = await fetch(`${t.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: t.model, messages: user, stream: false }),
    });
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body).toHaveLength(1_048_576);
    expect(() => JSON.parse(body) as unknown).toThrow();
    await expect(ollamaClient(t).chat({ model: t.model, messages: user })).rejects.toThrow(SyntaxError);
  });

  it('ACODE_FAKE_MALFORMED=truncated: a cut JSON body and a cut stream fail in the clients', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('vllm', { knobs: { malformed: 'truncated' } });
    await expect(openaiClient(t).chat.completions.create({ model: t.model, messages: user })).rejects.toThrow(
      SyntaxError,
    );
    // A cut SSE stream ends quietly in the openai client: no error, but no finish_reason and no [DONE].
    let finish: string | null = null;
    let text = '';
    for await (const c of await openaiClient(t).chat.completions.create({
      model: t.model,
      messages: user,
      stream: true,
    })) {
      finish = c.choices[0]?.finish_reason ?? finish;
      text += c.choices[0]?.delta.content ?? '';
    }
    expect(finish).toBeNull();
    expect(text.length).toBeGreaterThan(0);
    const o = await target('ollama', { model: 'llama3.2:latest', knobs: { malformed: 'truncated' } });
    const stream = async (): Promise<void> => {
      for await (const _ of await ollamaClient(o).chat({ model: o.model, messages: user, stream: true })) void _;
    };
    await expect(stream()).rejects.toThrow(/done/);
  });

  it('ACODE_FAKE_MALFORMED=content-type: a JSON body labelled text/html reaches the openai client as a string', async (ctx) => {
    const { target } = using(ctx);
    const t = await target('llama-server', { knobs: { malformed: 'content-type' } });
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: user }),
    });
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(JSON.parse(await res.text())).toHaveProperty('choices');
    const r: unknown = await openaiClient(t).chat.completions.create({ model: t.model, messages: user });
    expect(typeof r).toBe('string');
  });
});
