// gateway: what `acode serve` adds to a request, against calling the same stand-in server directly, in
// one run. The gateway runs in this process (createGateway over openRegistry, the objects `acode serve`
// builds, without its process start), so both sides pay the same client-side costs; the stand-in
// llama-server is its own process, monitored by the registry. Both sides use one kept-alive undici
// Agent each. Rounds alternate direct / gateway so drift on a shared machine hits both alike.
// Figures per concurrency (1 and 32 clients): non-stream latency p50 and p99, time to first token
// (streamed) p50 and p99, and throughput (non-stream requests per second). Then, when the real
// llama-server of ../shared/real-servers is there, the same comparison against real inference (its tiny
// model, 8 tokens at temperature 0, 1 and 4 clients): what the gateway costs next to an answer that takes
// the server milliseconds to compute, not the stand-in's half millisecond.
import { Agent, request } from 'undici';
import type { AcodeConfig, ProviderConfig } from '../config/index.js';
import { openRegistry } from '../machines/index.js';
import { createEngine, createGateway } from '../gateway/index.js';
import { startTestServer } from '../test/servers/harness.js';
import { realLlama, realLlamaSkipReason, startRealLlama } from '../test/real/llama-server.js';
import { figure, fmt, llamaProvider, note, nowMs, standInEnv, tempDir } from './lib.js';

const TOKENS = 4;
const CLIENTS = [1, 32];
const ROUNDS = Number(process.env.ACODE_BENCH_GATEWAY_ROUNDS ?? 10);
/** Requests per client per round. */
const PER_CLIENT: Record<number, number> = { 1: 60, 32: 12 };

interface Side {
  name: 'direct' | 'gateway';
  url: string;
  model: string;
  agent: Agent;
}

const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

function body(model: string, stream: boolean, tokens = TOKENS): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'bench the gateway' }],
    max_tokens: tokens,
    temperature: 0,
    stream,
  });
}

/** One request; returns ms to the whole body (non-stream) or to the first content frame (stream). */
async function once(side: Side, stream: boolean, payload: string): Promise<number> {
  const t = nowMs();
  const res = await request(`${side.url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: side.agent,
    headers: { 'content-type': 'application/json' },
    body: payload,
  });
  if (res.statusCode !== 200) throw new Error(`${side.name}: HTTP ${res.statusCode} ${await res.body.text()}`);
  if (!stream) {
    const text = await res.body.text();
    const ms = nowMs() - t;
    if (!text.includes('"content":"')) throw new Error(`${side.name}: no content in ${text}`);
    return ms;
  }
  let first: number | undefined;
  let seen = '';
  for await (const chunk of res.body) {
    if (first === undefined) {
      seen += (chunk as Buffer).toString('utf8');
      if (/"content":"[^"]/.test(seen)) first = nowMs() - t;
    }
  }
  if (first === undefined) throw new Error(`${side.name}: stream without content`);
  return first;
}

/** `clients` closed-loop clients, `perClient` requests each: the latencies and the wall time. */
async function batch(
  side: Side,
  clients: number,
  perClient: number,
  stream: boolean,
  tokens = TOKENS,
): Promise<{ ms: number[]; wallMs: number; cpuUs: number }> {
  const payload = body(side.model, stream, tokens);
  const ms: number[] = [];
  const cpu = process.cpuUsage();
  const t = nowMs();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < perClient; i++) ms.push(await once(side, stream, payload));
    }),
  );
  const used = process.cpuUsage(cpu);
  return { ms, wallMs: nowMs() - t, cpuUs: used.user + used.system };
}

/** `provider` behind a gateway as `acode serve` builds it (engine with the memory probe on), for `run`. */
async function withGateway<T>(
  provider: ProviderConfig,
  direct: { url: string; model: string },
  run: (direct: Side, viaGateway: Side) => Promise<T>,
): Promise<T> {
  const scratch = tempDir('gateway');
  const config: AcodeConfig = {
    mode: 'local-only',
    active: provider.id,
    fallback: [],
    providers: { [provider.id]: provider },
  };
  const env = standInEnv();
  const registry = openRegistry({ config, env, stateDir: scratch.dir });
  const engine = createEngine(registry, { memory: { env } });
  const gateway = createGateway({ engine, host: '127.0.0.1', port: 0, version: 'bench' });
  const stop = new AbortController();
  const sides: Side[] = [];
  try {
    const address = await gateway.listen(stop.signal);
    sides.push(
      { name: 'direct', url: direct.url, model: direct.model, agent: new Agent({ connections: 64 }) },
      {
        name: 'gateway',
        url: `http://127.0.0.1:${address.port}`,
        model: provider.id,
        agent: new Agent({ connections: 64 }),
      },
    );
    return await run(sides[0]!, sides[1]!);
  } finally {
    stop.abort();
    await gateway.close(1_000);
    engine.close();
    await Promise.all(sides.map((s) => s.agent.close()));
    await registry.dispose();
    scratch.remove();
  }
}

interface Compared {
  lat: Record<Side['name'], number[]>;
  rps: Record<Side['name'], number[]>;
  /** This process's CPU per request, µs: the client on both sides, the gateway too on one. */
  cpuPerRequest: Record<Side['name'], number>;
}

/** `rounds` rounds of `clients` × `perClient` requests on each side, alternating which side goes first. */
async function compare(
  direct: Side,
  viaGateway: Side,
  {
    clients,
    perClient,
    rounds,
    stream,
    tokens,
  }: { clients: number; perClient: number; rounds: number; stream: boolean; tokens: number },
): Promise<Compared> {
  const lat = { direct: [] as number[], gateway: [] as number[] };
  const rps = { direct: [] as number[], gateway: [] as number[] };
  const cpu = { direct: 0, gateway: 0 };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [direct, viaGateway] : [viaGateway, direct];
    for (const side of order) {
      const b = await batch(side, clients, perClient, stream, tokens);
      lat[side.name].push(...b.ms);
      rps[side.name].push((b.ms.length / b.wallMs) * 1000);
      cpu[side.name] += b.cpuUs;
    }
  }
  const n = rounds * clients * perClient;
  return { lat, rps, cpuPerRequest: { direct: cpu.direct / n, gateway: cpu.gateway / n } };
}

const cpuNote = (c: Compared) =>
  `CPU of this process ${c.cpuPerRequest.gateway.toFixed(0)} µs/request via the gateway, ${c.cpuPerRequest.direct.toFixed(0)} µs direct (gateway ${(c.cpuPerRequest.gateway - c.cpuPerRequest.direct).toFixed(0)} µs)`;

export async function benchGateway(): Promise<string[]> {
  const server = await startTestServer('llama-server', { knobs: { tokens: TOKENS } });
  const provider = llamaProvider('llamacpp', server.port, { mode: 'monitored' });
  let lines: string[];
  try {
    lines = await withGateway(provider, server, async (direct, viaGateway) => {
      // Warm-up: JIT on both paths, the registry's first health check, 64 kept-alive connections each.
      for (const side of [direct, viaGateway]) for (const stream of [false, true]) await batch(side, 32, 10, stream);
      const out: string[] = [];
      for (const clients of CLIENTS) {
        const perClient = PER_CLIENT[clients]!;
        for (const stream of [false, true]) {
          const c = await compare(direct, viaGateway, { clients, perClient, rounds: ROUNDS, stream, tokens: TOKENS });
          const kind = stream ? 'ttft' : 'latency';
          note(`${stream ? 'streamed' : 'non-stream'}, ${clients} client(s): ${cpuNote(c)}`);
          for (const p of [50, 99]) {
            const g = percentile(c.lat.gateway, p);
            const d = percentile(c.lat.direct, p);
            out.push(figure(`gateway-${kind}-p${p}-c${clients}`, g, 'ms', d, 'ms'));
            note(
              `${kind} p${p} at ${clients} client(s): added ${fmt(g - d)} ms${clients === 32 ? ` (goal ≤ ${p === 50 ? '0.2' : '1'} ms)` : ''}`,
            );
          }
          if (!stream) {
            out.push(
              figure(
                `gateway-throughput-c${clients}`,
                percentile(c.rps.gateway, 50),
                'req/s',
                percentile(c.rps.direct, 50),
                'req/s',
              ),
            );
            note(
              `throughput at ${clients} client(s): median of ${ROUNDS} rounds of ${clients * perClient} requests (goal ≥ 0.9× direct)`,
            );
          }
        }
      }
      note(
        `gateway in process over openRegistry (default admission: 10 in flight, 100 queued; memory probe on, as acode serve runs it); stand-in llama-server, ${TOKENS} tokens per answer; ${ROUNDS} interleaved rounds`,
      );
      return out;
    });
  } finally {
    await server.stop();
  }
  return [...lines, ...(await benchRealGateway())];
}

const REAL_TOKENS = 8;
const REAL_ROUNDS = Number(process.env.ACODE_BENCH_GATEWAY_REAL_ROUNDS ?? 4);
/** Clients against the real server, and requests per client per round. */
const REAL_CLIENTS: Record<number, number> = { 1: 8, 4: 4 };

/**
 * The same comparison against the real llama-server (../shared/real-servers), non-stream: p50 added and
 * throughput at 1 and 4 clients. Skipped, saying so on stderr, when it is not there.
 */
async function benchRealGateway(): Promise<string[]> {
  if (!realLlama) {
    note(`gateway against a real llama-server: skipped (${realLlamaSkipReason})`);
    return [];
  }
  const server = await startRealLlama();
  const port = Number(new URL(server.url).port);
  const provider: ProviderConfig = { ...llamaProvider('real-llama', port, { mode: 'monitored' }), model: server.model };
  try {
    return await withGateway(provider, server, async (direct, viaGateway) => {
      for (const side of [direct, viaGateway]) await batch(side, 4, 2, false, REAL_TOKENS);
      const out: string[] = [];
      for (const [clients, perClient] of Object.entries(REAL_CLIENTS).map(([c, n]) => [Number(c), n] as const)) {
        const c = await compare(direct, viaGateway, {
          clients,
          perClient,
          rounds: REAL_ROUNDS,
          stream: false,
          tokens: REAL_TOKENS,
        });
        const g = percentile(c.lat.gateway, 50);
        const d = percentile(c.lat.direct, 50);
        out.push(figure(`gateway-real-latency-p50-c${clients}`, g, 'ms', d, 'ms'));
        out.push(
          figure(
            `gateway-real-throughput-c${clients}`,
            percentile(c.rps.gateway, 50),
            'req/s',
            percentile(c.rps.direct, 50),
            'req/s',
          ),
        );
        note(`real llama-server, ${clients} client(s): p50 added ${fmt(g - d)} ms; ${cpuNote(c)}`);
      }
      note(
        `real llama-server (${server.model}, -t 1), ${REAL_TOKENS} tokens at temperature 0, non-stream; ${REAL_ROUNDS} interleaved rounds`,
      );
      return out;
    });
  } finally {
    await server.stop();
  }
}
