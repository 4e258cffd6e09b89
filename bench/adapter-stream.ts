// Tokens per second through the adapter (SSE parsing, chunk typing, tool-call assembly, error checks)
// against a raw undici read of the same stream from the same server, in one run.
// Prints: adapter-stream  <adapter> tok/s  <baseline> tok/s  <ratio>   (target ratio >= 0.95)
// The server is this file run as a child process (`--serve`), streaming vLLM-shaped chunks, one write
// per token like the real servers, so the client side is what differs between the two readings.
import { fork } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { createProvider } from '../adapters/index.js';
import { DEFAULT_LIFECYCLE, DEFAULT_REQUEST_TIMEOUTS } from '../config/index.js';

const TOKENS = Number(process.env.ACODE_BENCH_TOKENS ?? 20_000);
const ROUNDS = Number(process.env.ACODE_BENCH_ROUNDS ?? 9);
const token = (i: number): string => ` tok${i % 100}`;
const EXPECTED_CHARS = Array.from({ length: TOKENS }, (_, i) => token(i).length).reduce((a, b) => a + b, 0);

function serve(): void {
  const head = (content: string) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1730000000, model: 'm', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] })}\n\n`;
  const tail =
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1730000000, model: 'm', choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] })}\n\n` +
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1730000000, model: 'm', choices: [], usage: { prompt_tokens: 9, completion_tokens: TOKENS, total_tokens: TOKENS + 9 } })}\n\ndata: [DONE]\n\n`;
  const chunks = Array.from({ length: TOKENS }, (_, i) => Buffer.from(head(token(i))));
  const respond = async (res: ServerResponse): Promise<void> => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const c of chunks) if (!res.write(c)) await new Promise((r) => res.once('drain', r));
    res.end(tail);
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => void respond(res));
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
  process.on('disconnect', () => process.exit(0));
}

async function viaAdapter(baseUrl: string, provider: ReturnType<typeof createProvider>): Promise<number> {
  const start = process.hrtime.bigint();
  // Tokens that arrive in one network read come out as one text delta, so count what the final
  // chunk's usage says was generated, and check the text is all there.
  let tokens = 0;
  let chars = 0;
  for await (const c of provider.stream({ messages: [{ role: 'user', content: 'go' }] })) {
    if (c.type === 'text') chars += c.text.length;
    if (c.type === 'final') tokens = c.usage?.completionTokens ?? 0;
  }
  if (chars !== EXPECTED_CHARS) throw new Error(`adapter delivered ${chars} characters, expected ${EXPECTED_CHARS}`);
  if (tokens !== TOKENS) throw new Error(`adapter saw ${tokens} tokens, expected ${TOKENS} from ${baseUrl}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

// The baseline is the least code that gets the tokens out of the same bytes: undici's body, split on
// blank lines, JSON.parse of each `data:` line. So the ratio is the adapter's own overhead (the SSE
// parser, typed chunks, error checks, the async iterator), not the cost of JSON itself.
async function viaRawUndici(baseUrl: string): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await request(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'go' }], stream: true }),
  });
  let tokens = 0;
  let pending = '';
  for await (const chunk of res.body) {
    const events = (pending + (chunk as Buffer).toString('utf8')).split('\n\n');
    pending = events.pop() ?? '';
    for (const e of events) {
      if (!e.startsWith('data: ') || e === 'data: [DONE]') continue;
      const value = JSON.parse(e.slice(6)) as { choices: { delta?: { content?: string } }[] };
      if (value.choices[0]?.delta?.content) tokens++;
    }
  }
  if (tokens !== TOKENS) throw new Error(`raw read saw ${tokens} tokens, expected ${TOKENS}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

// For the record only (stderr): how fast the bytes drain with no parsing at all.
async function drainOnly(baseUrl: string): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await request(`${baseUrl}/v1/chat/completions`, { method: 'POST', body: '{}' });
  for await (const chunk of res.body) void chunk;
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(Number(m)));
    child.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const provider = createProvider({
    id: 'vllm',
    kind: 'vllm',
    type: 'openai-compatible',
    model: 'm',
    host: '127.0.0.1',
    port,
    baseUrl,
    args: [],
    lifecycle: DEFAULT_LIFECYCLE,
    timeouts: DEFAULT_REQUEST_TIMEOUTS,
    gpu: {},
  });
  try {
    await viaAdapter(baseUrl, provider); // warm-up: JIT, connection
    await viaRawUndici(baseUrl);
    const adapter: number[] = [];
    const raw: number[] = [];
    // Alternate, so drift on a shared machine hits both sides alike.
    for (let i = 0; i < ROUNDS; i++) {
      adapter.push(TOKENS / (await viaAdapter(baseUrl, provider)));
      raw.push(TOKENS / (await viaRawUndici(baseUrl)));
    }
    const a = median(adapter);
    const b = median(raw);
    // Paired per round, so a noisy neighbour slowing one round slows both of its readings.
    const ratio = median(adapter.map((x, i) => x / raw[i]!));
    const drain: number[] = [];
    for (let i = 0; i < 3; i++) drain.push(TOKENS / (await drainOnly(baseUrl)));
    process.stderr.write(
      `(bytes drained without parsing: ${median(drain).toFixed(0)} tok/s; ${TOKENS} tokens x ${ROUNDS} rounds, medians)\n`,
    );
    process.stdout.write(`adapter-stream  ${a.toFixed(0)} tok/s  ${b.toFixed(0)} tok/s  ${ratio.toFixed(3)}\n`);
  } finally {
    await provider.close();
    child.disconnect();
  }
}

if (process.argv.includes('--serve')) serve();
else await main();
