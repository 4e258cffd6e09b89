// The client matrix of issue 13: the official `openai` and `ollama` JS clients, pointed at `acode serve`
// (the built CLI), against every kind of server acode runs: the Ollama, vLLM and llama-server stand-ins
// started by the gateway itself, and LM Studio (monitored: acode never starts it) played by the vLLM
// stand-in. Each kind gets one gateway and every case, in order: a cold start by the first request,
// the listings (provider, live state, context length), the model refused in the protocol's shape when
// unknown, chat whole and streamed (the exact deterministic text), a tool call whole and streamed,
// embeddings (or the typed refusal where the server cannot embed), and the server SIGKILLed mid-stream.
// The kinds run side by side; the same lane runs against the real llama-server when it is present.
import OpenAI from 'openai';
import { Ollama, type ChatResponse, type Message, type Tool } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { STAGED_GGUF, expectedChat, freePort, startTestServer, type TestServer } from '../servers/harness.js';
import { embedding } from '../servers/lib/embeddings.js';
import { MAIN, alive, project, providerYaml, type Project } from '../e2e/project.js';
import { BOUNDED, realLlama, realLlamaArgs, realLlamaSkipReason } from '../real/llama-server.js';

const OLLAMA_MODEL = 'llama3.2:latest';
const VLLM_MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';
const TOKENS = 8;
/** Slow enough that a SIGKILL sent on the first chunk lands mid-stream (8 tokens: 400 ms per answer). */
const TOKEN_DELAY_MS = 50;
const STAND_IN_KNOBS = { ACODE_FAKE_TOKENS: String(TOKENS), ACODE_FAKE_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS) };
/** The same, for a stand-in the test starts itself (the monitored kind). */
const STAND_IN_TEST_KNOBS = { tokens: TOKENS, tokenDelayMs: TOKEN_DELAY_MS };

type ClientName = 'openai' | 'ollama';
const CLIENTS: ClientName[] = ['openai', 'ollama'];

interface Kind {
  /** The provider id (and kind) in .agent/config.yml. */
  id: 'ollama' | 'vllm' | 'llamacpp' | 'lmstudio';
  /** The configured model; the stand-in's deterministic answer is a function of it. */
  model: string;
  /** Managed kinds: the client whose first request cold-starts the server. Absent: monitored, started by the test. */
  coldStartBy?: ClientName;
  /** The server embeds (llama-server with --embeddings, any Ollama model); else a typed 400. */
  embeds: boolean;
  /** Extra lines of the provider block. */
  extraYaml?: string;
}

const KINDS: Kind[] = [
  { id: 'ollama', model: OLLAMA_MODEL, coldStartBy: 'ollama', embeds: true },
  { id: 'vllm', model: VLLM_MODEL, coldStartBy: 'openai', embeds: false },
  {
    id: 'llamacpp',
    model: STAGED_GGUF,
    coldStartBy: 'ollama',
    embeds: true,
    extraYaml: '    args: ["--embeddings"]\n',
  },
  { id: 'lmstudio', model: VLLM_MODEL, embeds: false },
];

const TOOLS: OpenAI.ChatCompletionFunctionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'weather of a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];
const WEATHER = [{ role: 'user' as const, content: 'weather in Paris?' }];

interface Gateway {
  p: Project;
  url: string;
  openai: OpenAI;
  ollama: Ollama;
  /** The id clients send: `<provider>/<model>`. */
  name: string;
  /** The monitored kind's server (started by the test, not by acode; replaced after a kill). */
  standIn?: TestServer;
  close(): Promise<void>;
}

async function startGateway(
  id: string,
  model: string,
  providerBlock: string,
  env: Record<string, string>,
  standIn?: TestServer,
): Promise<Gateway> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const p = await project(`providers:\n  active: ${id}\n${providerBlock}`);
  const live = p.live(['serve', '--port', String(await freePort())], { env });
  const url = /acode gateway on (http:\/\/\S+)/.exec(await live.waitForStdout(/acode gateway on (http:\/\/\S+)/))![1]!;
  const gw: Gateway = {
    p,
    url,
    openai: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'anything', maxRetries: 0 }),
    ollama: new Ollama({ host: url }),
    name: `${id}/${model}`,
    ...(standIn ? { standIn } : {}),
    async close() {
      await p.cleanup();
      await gw.standIn?.stop(); // the one running now (a case may have replaced it)
    },
  };
  return gw;
}

async function standInGateway(kind: Kind): Promise<Gateway> {
  const lifecycle = { max_restarts: 10 };
  if (kind.coldStartBy) {
    const block =
      providerYaml(kind.id, { model: kind.model, port: await freePort() }, lifecycle) + (kind.extraYaml ?? '');
    return startGateway(kind.id, kind.model, block, {
      ...STAND_IN_KNOBS,
      ...(kind.id === 'ollama' ? { ACODE_FAKE_PULLED: kind.model } : {}),
    });
  }
  const server = await startTestServer('vllm', {
    model: kind.model,
    knobs: STAND_IN_TEST_KNOBS,
  });
  const block = providerYaml(kind.id, { model: kind.model, port: server.port }, { mode: 'monitored' });
  return startGateway(kind.id, kind.model, block, {}, server);
}

async function providerStatus(url: string, id: string): Promise<{ state: string; pid?: number }> {
  const reports = (await (await fetch(`${url}/acode/status`)).json()) as Array<{
    id: string;
    state: string;
    pid?: number;
  }>;
  const found = reports.find((r) => r.id === id);
  if (!found) throw new Error(`/acode/status has no ${id}: ${JSON.stringify(reports)}`);
  return found;
}

/** The provider's server once it is healthy (after a kill: the one acode started again). */
async function healthyServer(url: string, id: string): Promise<{ pid: number }> {
  const end = Date.now() + 20_000;
  for (;;) {
    const status = await providerStatus(url, id);
    if (status.state === 'healthy' && status.pid !== undefined && alive(status.pid)) return { pid: status.pid };
    if (Date.now() > end) throw new Error(`${id} is not healthy again: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A counter of the gateway's /metrics, by its name and labels as printed (0 when not printed yet). */
async function counter(url: string, series: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.slice(series.length + 1) ?? 0);
}
const RESUMES = 'acode_gateway_resumes_total';

interface Streamed {
  text: string;
  finish: string | null | undefined;
  /** Tool calls as the client assembled them: name and parsed arguments. */
  calls: Array<{ name: string; arguments: unknown }>;
  completionTokens?: number;
  /** x-acode-provider (the openai client shows the response headers). */
  provider?: string | null;
}

/** A streamed chat through the openai client; `onFirstText` runs once, when the first content arrives. */
async function openAiStream(
  client: OpenAI,
  body: Omit<OpenAI.ChatCompletionCreateParamsStreaming, 'stream'>,
  onFirstText?: () => void,
): Promise<Streamed> {
  const stream = await client.chat.completions.create({
    ...body,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let finish: string | null | undefined;
  let completionTokens: number | undefined;
  const calls: Array<{ name: string; args: string }> = [];
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (choice?.delta.content) {
      if (text === '') onFirstText?.();
      text += choice.delta.content;
    }
    for (const c of choice?.delta.tool_calls ?? []) {
      const call = (calls[c.index] ??= { name: '', args: '' });
      call.name += c.function?.name ?? '';
      call.args += c.function?.arguments ?? '';
    }
    finish = choice?.finish_reason ?? finish;
    if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
  }
  return {
    text,
    finish,
    calls: calls.map((c) => ({ name: c.name, arguments: JSON.parse(c.args) as unknown })),
    ...(completionTokens !== undefined ? { completionTokens } : {}),
  };
}

/** A streamed chat through the ollama client. */
async function ollamaStream(
  client: Ollama,
  body: { model: string; messages: Message[]; tools?: Tool[]; options?: Record<string, number> },
  onFirstText?: () => void,
): Promise<Streamed> {
  let text = '';
  let last: ChatResponse | undefined;
  const calls: Streamed['calls'] = [];
  for await (const part of await client.chat({ ...body, stream: true })) {
    if (part.message.content) {
      if (text === '') onFirstText?.();
      text += part.message.content;
    }
    for (const c of part.message.tool_calls ?? [])
      calls.push({ name: c.function.name, arguments: c.function.arguments });
    last = part;
  }
  expect(last?.done).toBe(true);
  return { text, finish: last?.done_reason, calls, completionTokens: last?.eval_count };
}

function stream(
  gw: Gateway,
  client: ClientName,
  messages: Array<{ role: 'user'; content: string }>,
  extra: { tools?: boolean; bounded?: { max_tokens: number; temperature: number } } = {},
  onFirstText?: () => void,
): Promise<Streamed> {
  const { tools, bounded } = extra;
  if (client === 'openai')
    return openAiStream(
      gw.openai,
      { model: gw.name, messages, ...(tools ? { tools: TOOLS } : {}), ...bounded },
      onFirstText,
    );
  return ollamaStream(
    gw.ollama,
    {
      model: gw.name,
      messages,
      ...(tools ? { tools: TOOLS } : {}),
      ...(bounded ? { options: { num_predict: bounded.max_tokens, temperature: bounded.temperature } } : {}),
    },
    onFirstText,
  );
}

/** A whole (non-streamed) chat through either client, read into the same shape. */
async function whole(
  gw: Gateway,
  client: ClientName,
  messages: Array<{ role: 'user'; content: string }>,
  extra: { tools?: boolean; bounded?: { max_tokens: number; temperature: number } } = {},
): Promise<Streamed> {
  const { tools, bounded } = extra;
  if (client === 'openai') {
    const { data: res, response } = await gw.openai.chat.completions
      .create({ model: gw.name, messages, ...(tools ? { tools: TOOLS } : {}), ...bounded })
      .withResponse();
    const choice = res.choices[0]!;
    return {
      text: choice.message.content ?? '',
      finish: choice.finish_reason,
      calls: (choice.message.tool_calls ?? []).map((c) => {
        if (c.type !== 'function') throw new Error(`not a function call: ${JSON.stringify(c)}`);
        return { name: c.function.name, arguments: JSON.parse(c.function.arguments) as unknown };
      }),
      ...(res.usage ? { completionTokens: res.usage.completion_tokens } : {}),
      provider: response.headers.get('x-acode-provider'),
    };
  }
  const res = await gw.ollama.chat({
    model: gw.name,
    messages,
    stream: false,
    ...(tools ? { tools: TOOLS } : {}),
    ...(bounded ? { options: { num_predict: bounded.max_tokens, temperature: bounded.temperature } } : {}),
  });
  return {
    text: res.message.content,
    finish: res.done_reason,
    calls: (res.message.tool_calls ?? []).map((c) => ({ name: c.function.name, arguments: c.function.arguments })),
    completionTokens: res.eval_count,
  };
}

/** Both clients' embeddings: the vectors, and the prompt tokens the server counted. */
async function embed(
  gw: Gateway,
  client: ClientName,
  input: string[],
): Promise<{ vectors: number[][]; promptTokens: number }> {
  if (client === 'openai') {
    const res = await gw.openai.embeddings.create({ model: gw.name, input });
    return { vectors: res.data.map((d) => d.embedding), promptTokens: res.usage.prompt_tokens };
  }
  const res = await gw.ollama.embed({ model: gw.name, input });
  return { vectors: res.embeddings, promptTokens: res.prompt_eval_count };
}

/** A request the gateway must refuse: its HTTP status and message, as the client reports them. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number | undefined; message: string }> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'the request should have been refused').toBeInstanceOf(Error);
  const status = (e as { status?: number }).status ?? (e as { status_code?: number }).status_code;
  return { status, message: String((e as Error).message) };
}

/** The listing of the configured model, read through each client: provider, live state, context length. */
async function listed(
  gw: Gateway,
  client: ClientName,
): Promise<{ provider?: string; state?: string; contextLength?: number }> {
  if (client === 'openai') {
    const models: Array<OpenAI.Model & { context_length?: number; acode?: { provider?: string; state?: string } }> = (
      await gw.openai.models.list()
    ).data;
    const model = models.find((m) => m.id === gw.name);
    expect(model, `/v1/models lists ${gw.name}`).toBeDefined();
    expect(model!.owned_by).toBe(model!.acode?.provider);
    return { provider: model!.acode?.provider, state: model!.acode?.state, contextLength: model!.context_length };
  }
  const model = (await gw.ollama.list()).models.find((m) => m.name === gw.name) as
    { context_length?: number; acode?: { provider?: string; state?: string } } | undefined;
  expect(model, `/api/tags lists ${gw.name}`).toBeDefined();
  return { provider: model!.acode?.provider, state: model!.acode?.state, contextLength: model!.context_length };
}

describe.each(KINDS)('$id stand-in', { concurrent: true }, (kind) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await standInGateway(kind);
  }, 60_000);
  afterAll(async () => gw?.close());

  const answer = (content: string) => {
    const messages = [{ role: 'user' as const, content }];
    return { messages, text: expectedChat({ model: kind.model, messages, tokens: TOKENS }).text };
  };

  describe.sequential('through acode serve', () => {
    if (kind.coldStartBy) {
      const client = kind.coldStartBy;
      it(`${client} client: the first request cold-starts the stopped server and streams the exact text`, async () => {
        expect(await listed(gw, 'openai')).toMatchObject({ provider: kind.id, state: 'stopped' });
        expect(gw.p.startedPids()).toEqual([]);
        const { messages, text } = answer('hello cold server');
        const streamed = await stream(gw, client, messages);
        expect(streamed).toMatchObject({ text, finish: 'stop' });
        expect(await providerStatus(gw.url, kind.id)).toMatchObject({ state: 'healthy' });
        expect(gw.p.startedPids()).toHaveLength(1);
      });
    }

    it.each(CLIENTS)('%s client: lists the model with its provider, live state and context length', async (client) => {
      if (!kind.coldStartBy) await stream(gw, client, answer('warm up').messages);
      const model = await listed(gw, client);
      expect(model).toMatchObject({ provider: kind.id, state: 'ready', contextLength: expect.any(Number) });
      expect(model.contextLength).toBeGreaterThan(0);
      if (client === 'ollama') {
        const show = await gw.ollama.show({ model: gw.name });
        expect(show.capabilities).toContain('completion');
        // The client types model_info as a Map; on the wire (and at run time) it is a plain object.
        expect((show.model_info as unknown as Record<string, unknown>)[`${kind.id}.context_length`]).toBe(
          model.contextLength,
        );
      }
    });

    it.each(CLIENTS)(
      "%s client: an unknown model is a 404 in the protocol's shape, naming what exists",
      async (client) => {
        const messages = [{ role: 'user' as const, content: 'x' }];
        const refused = await refusal(
          client === 'openai'
            ? gw.openai.chat.completions.create({ model: 'no-such-model', messages })
            : gw.ollama.chat({ model: 'no-such-model', messages, stream: false }),
        );
        expect(refused.status).toBe(404);
        expect(refused.message).toMatch(/no-such-model/);
        if (client === 'openai') expect(refused.message).toContain(gw.name);
      },
    );

    it.each(CLIENTS)('%s client: chat, whole', async (client) => {
      const { messages, text } = answer('hello gateway');
      const answered = await whole(gw, client, messages);
      expect(answered).toMatchObject({ text, finish: 'stop', calls: [], completionTokens: TOKENS });
      if (client === 'openai') expect(answered.provider).toBe(kind.id);
    });

    it.each(CLIENTS)('%s client: chat, streamed (the text concatenates to the exact answer)', async (client) => {
      const { messages, text } = answer('stream to me');
      expect(await stream(gw, client, messages)).toEqual({ text, finish: 'stop', calls: [], completionTokens: TOKENS });
    });

    it.each(CLIENTS)('%s client: a tool call comes back parsed, whole', async (client) => {
      const answered = await whole(gw, client, WEATHER, { tools: true });
      expect(answered.calls).toEqual([{ name: 'get_weather', arguments: { city: expect.any(String) } }]);
      expect(answered.finish).toBe(client === 'openai' ? 'tool_calls' : 'stop');
    });

    it.each(CLIENTS)('%s client: a tool call comes back parsed, streamed', async (client) => {
      const streamed = await stream(gw, client, WEATHER, { tools: true });
      expect(streamed.calls).toEqual([{ name: 'get_weather', arguments: { city: expect.any(String) } }]);
      expect(streamed.finish).toBe(client === 'openai' ? 'tool_calls' : 'stop');
    });

    if (kind.embeds) {
      it.each(CLIENTS)('%s client: embeddings', async (client) => {
        const { vectors, promptTokens } = await embed(gw, client, ['alpha', 'beta']);
        expect(promptTokens).toBeGreaterThan(0);
        expect(vectors).toHaveLength(2);
        expect(vectors[0]!.length).toBeGreaterThan(0);
        // The stand-ins embed a text as a function of the server's model name (the -m path for llama-server);
        // the openai client asks for base64, which carries float32.
        ['alpha', 'beta'].forEach((text, i) => {
          const want = embedding(kind.model, text, vectors[i]!.length);
          expect(Math.max(...vectors[i]!.map((x, j) => Math.abs(x - want[j]!)))).toBeLessThan(1e-7);
        });
      });
    } else {
      it.each(CLIENTS)("%s client: embeddings refused with a typed 400 in the protocol's shape", async (client) => {
        const refused = await refusal(embed(gw, client, ['alpha']));
        expect(refused.status).toBe(400);
        expect(refused.message).toMatch(new RegExp(`${kind.id} cannot embed`));
      });
    }

    if (kind.coldStartBy) {
      it.each(CLIENTS)(
        '%s client: the server SIGKILLed mid-stream, the stream completes with the exact text on the same response',
        async (client) => {
          const before = await providerStatus(gw.url, kind.id);
          expect(before.state).toBe('healthy');
          const resumedBefore = await counter(gw.url, RESUMES);
          const ok = `acode_gateway_requests_total{provider="${kind.id}",outcome="ok"}`;
          const okBefore = await counter(gw.url, ok);
          const { messages, text } = answer(`survive a crash, ${client}`);
          const streamed = await stream(gw, client, messages, {}, () => process.kill(before.pid!, 'SIGKILL'));
          expect(streamed).toMatchObject({ text, finish: 'stop' });
          expect(await counter(gw.url, RESUMES), 'the gateway resumed a broken stream').toBeGreaterThan(resumedBefore);
          expect(await counter(gw.url, ok), 'one request, answered whole').toBe(okBefore + 1);
          const after = await providerStatus(gw.url, kind.id);
          expect(after.state).toBe('healthy');
          expect(after.pid).not.toBe(before.pid);
          expect(alive(after.pid!)).toBe(true);
          expect(gw.p.startedPids()).toEqual([after.pid]);
        },
      );
    } else {
      it.each(CLIENTS)(
        '%s client: the monitored server SIGKILLed mid-stream ends the stream with a typed error, never silently',
        async (client) => {
          const { messages } = answer(`survive a crash, ${client}`);
          let killed = false;
          const refused = await refusal(
            stream(gw, client, messages, {}, () => {
              killed = true;
              gw.standIn!.kill('SIGKILL');
            }),
          );
          expect(killed, 'the server was killed mid-stream').toBe(true);
          expect(refused.message).toMatch(/lmstudio/);
          // LM Studio's app would bring its server back; acode adopts it again and answers.
          gw.standIn = await startTestServer('vllm', {
            port: gw.standIn!.port,
            model: kind.model,
            knobs: STAND_IN_TEST_KNOBS,
          });
          const again = answer(`back again, ${client}`);
          expect(await stream(gw, client, again.messages)).toMatchObject({ text: again.text, finish: 'stop' });
        },
      );
    }
  });
});

describe.runIf(realLlama)(
  `the real llama-server${realLlama ? '' : ` (${realLlamaSkipReason})`}`,
  { concurrent: true },
  () => {
    let gw: Gateway;
    beforeAll(async () => {
      const args = [...realLlamaArgs(), '--embeddings', '--pooling', 'mean'];
      const block =
        providerYaml(
          'llamacpp',
          { binary: realLlama!.binary, model: realLlama!.model, port: await freePort() },
          { max_restarts: 10 },
        ) + `    args: ${JSON.stringify(args)}\n`;
      gw = await startGateway('llamacpp', realLlama!.model, block, {});
    }, 60_000);
    afterAll(async () => gw?.close());
    const messages = [{ role: 'user' as const, content: 'hello' }];
    // Long enough that a kill on the first chunk lands while the server still generates (150-500 tokens/s
    // on these loaded machines, first chunk after up to 0.5 s), not after it wrote the whole answer into
    // the socket. Not longer: at 1,000 tokens this build's chat parser fails on the random text ("Failed to
    // parse input at pos 22"). One unbroken answer is the reference for both clients (same request upstream).
    const LONG = { max_tokens: 600, temperature: 0 };
    let unbrokenLong: Promise<Streamed> | undefined;

    describe.sequential('through acode serve', () => {
      it('openai client: the first request cold-starts it; whole and streamed answers agree (temperature 0)', async () => {
        expect(gw.p.startedPids()).toEqual([]);
        const answered = await whole(gw, 'openai', messages, { bounded: BOUNDED });
        expect(answered).toMatchObject({ finish: 'length', completionTokens: BOUNDED.max_tokens, calls: [] });
        expect(gw.p.startedPids()).toHaveLength(1);
        const streamed = await stream(gw, 'openai', messages, { bounded: BOUNDED });
        expect(streamed).toMatchObject({ text: answered.text, finish: 'length', completionTokens: BOUNDED.max_tokens });
      });

      it('ollama client: whole and streamed answers agree (temperature 0)', async () => {
        const answered = await whole(gw, 'ollama', messages, { bounded: BOUNDED });
        expect(answered).toMatchObject({ finish: 'length', completionTokens: BOUNDED.max_tokens });
        expect(await stream(gw, 'ollama', messages, { bounded: BOUNDED })).toMatchObject({
          text: answered.text,
          finish: 'length',
        });
      });

      it.each(CLIENTS)(
        '%s client: lists the model with its provider, live state and context length',
        async (client) => {
          expect(await listed(gw, client)).toMatchObject({ provider: 'llamacpp', state: 'ready', contextLength: 2048 });
        },
      );

      it.each(CLIENTS)(
        '%s client: SIGKILLed mid-stream, the stream completes with the text of an unbroken answer (temperature 0)',
        async (client) => {
          // An idle machine can generate all 600 tokens before the first chunk reaches this process (the
          // rest already sits in the socket): such a late kill breaks nothing, so it is tried again once
          // the server is back. A kill that did break the stream must end in the exact text.
          for (let attempt = 1; ; attempt++) {
            const before = await healthyServer(gw.url, 'llamacpp');
            const resumedBefore = await counter(gw.url, RESUMES);
            const streamed = await stream(gw, client, messages, { bounded: LONG }, () =>
              process.kill(before.pid, 'SIGKILL'),
            );
            const resumed = (await counter(gw.url, RESUMES)) > resumedBefore;
            const unbroken = await (unbrokenLong ??= whole(gw, 'openai', messages, { bounded: LONG }));
            expect(streamed).toMatchObject({ text: unbroken.text, finish: 'length' });
            if (!resumed && attempt < 3) continue;
            expect(resumed, 'the gateway resumed a broken stream').toBe(true);
            const after = await providerStatus(gw.url, 'llamacpp');
            expect(after).toMatchObject({ state: 'healthy' });
            expect(after.pid).not.toBe(before.pid);
            return;
          }
        },
      );

      it.each(CLIENTS)('%s client: embeddings', async (client) => {
        const { vectors, promptTokens } = await embed(gw, client, ['alpha', 'beta']);
        expect(promptTokens).toBeGreaterThan(0);
        expect(vectors.map((v) => v.length)).toEqual([64, 64]);
        expect(vectors.flat().every(Number.isFinite)).toBe(true);
        expect(vectors[0]).not.toEqual(vectors[1]);
      });
    });
  },
);
