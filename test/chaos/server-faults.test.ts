// A server that misbehaves on the wire (garbage, hangs after the headers, trickles 1 byte/s, cuts the
// stream) must end every request in a typed error, never a hang. Each stand-in kind, stream and
// complete, with short configured timeouts and a caller deadline well above them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider, type ModelProvider } from '../../adapters/index.js';
import { expectedChat, startTestServer, type Knobs, type ServerKind, type TestServer } from '../servers/harness.js';
import { isAcodeError } from './chaos-deps.js';
import { requireBuilt } from './helpers.js';
import { providerConfig } from '../support/providers.js';

const TIMEOUTS = { connectMs: 1_000, headersMs: 2_000, bodyMs: 2_000 };
// The caller's own bound: far above the configured timeouts, so an error before it is the adapter's.
const CALLER_DEADLINE_MS = 8_000;
const KINDS: Record<ServerKind, 'ollama' | 'vllm' | 'llamacpp'> = {
  ollama: 'ollama',
  vllm: 'vllm',
  'llama-server': 'llamacpp',
};
const MESSAGES = [{ role: 'user' as const, content: 'hi' }];

interface Outcome {
  kind: ServerKind;
  call: 'stream' | 'complete';
  code: string | null;
  ms: number;
  text: string;
  expected: string;
}

const servers: TestServer[] = [];
beforeAll(() => requireBuilt());
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function run(kind: ServerKind, knobs: Partial<Knobs>): Promise<Outcome[]> {
  const server = await startTestServer(kind, { knobs, ...(kind === 'ollama' ? { model: 'llama3.2:latest' } : {}) });
  servers.push(server);
  const provider: ModelProvider = createProvider(
    { ...providerConfig(KINDS[kind], server.port), model: server.model },
    { timeouts: TIMEOUTS },
  );
  const expected = expectedChat({ model: server.model, messages: MESSAGES }).text;
  const once = async (call: 'stream' | 'complete'): Promise<Outcome> => {
    const t = Date.now();
    let text = '';
    let code: string | null = null;
    try {
      const signal = AbortSignal.timeout(CALLER_DEADLINE_MS);
      if (call === 'stream') {
        for await (const c of provider.stream({ messages: MESSAGES }, { signal }))
          if (c.type === 'text') text += c.text;
      } else {
        text = (await provider.complete({ messages: MESSAGES }, { signal })).text ?? '';
      }
    } catch (error) {
      // Anything untyped is a failure of the promise under test: report it with its name.
      code = isAcodeError(error) ? error.code : `UNTYPED ${(error as Error)?.name}: ${(error as Error)?.message}`;
    }
    return { kind, call, code, ms: Date.now() - t, text, expected };
  };
  try {
    return await Promise.all([once('stream'), once('complete')]);
  } finally {
    await provider.close();
  }
}

async function all(knobs: Partial<Knobs>): Promise<Outcome[]> {
  return (await Promise.all((Object.keys(KINDS) as ServerKind[]).map((k) => run(k, knobs)))).flat();
}

const summary = (name: string, outcomes: Outcome[]) => {
  const typed = outcomes.filter((o) => o.code !== null && !o.code.startsWith('UNTYPED')).length;
  console.log(
    `chaos: ${name} ${typed}/${outcomes.length} typed errors, max ${Math.max(...outcomes.map((o) => o.ms))} ms ` +
      `(timeouts headers ${TIMEOUTS.headersMs} ms, body ${TIMEOUTS.bodyMs} ms): ${outcomes.map((o) => `${o.kind}/${o.call}=${o.code ?? 'complete'}`).join(' ')}`,
  );
};

describe('chaos: misbehaving servers end in typed errors, never hangs', () => {
  it('garbage body: PROTOCOL_ERROR', async () => {
    const outcomes = await all({ malformed: 'garbage' });
    summary('garbage', outcomes);
    for (const o of outcomes) expect(o.code, `${o.kind}/${o.call}`).toBe('PROTOCOL_ERROR');
  });

  it('hang after headers: a typed error from the configured timeouts, before the caller gives up', async () => {
    const outcomes = await all({ hang: 'headers' });
    summary('hang-after-headers', outcomes);
    for (const o of outcomes)
      expect(o.code, `${o.kind}/${o.call}`).toMatch(/^(RESPONSE_TIMEOUT|PROTOCOL_ERROR|STREAM_INTERRUPTED)$/);
  });

  it('truncated stream: a typed error, or the whole answer when only the end marker was cut', async () => {
    const outcomes = await all({ malformed: 'truncated' });
    summary('truncated', outcomes);
    for (const o of outcomes) {
      if (o.code === null) expect(o.text, `${o.kind}/${o.call} returned a partial answer as complete`).toBe(o.expected);
      else expect(o.code, `${o.kind}/${o.call}`).toMatch(/^(PROTOCOL_ERROR|STREAM_INTERRUPTED)$/);
    }
  });

  // undici's bodyTimeout is per network read, so a 1 byte/s trickle never trips it; the adapters'
  // progress bound (no whole token within the headers/body timeout) must end it, well before the caller.
  it('slow-loris at 1 byte/s: RESPONSE_TIMEOUT from the configured timeouts, never a hang', async () => {
    const outcomes = await all({ slowBytesPerSecond: 1 });
    summary('slow-loris', outcomes);
    for (const o of outcomes) expect(o.code, `${o.kind}/${o.call}`).toBe('RESPONSE_TIMEOUT');
  }, 30_000);
});
