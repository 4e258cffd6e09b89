// gateway: what `acode serve` adds to a request, against calling the same stand-in server directly, in
// one run. The gateway runs in this process (createGateway over openRegistry, the objects `acode serve`
// builds, without its process start), so both sides pay the same client-side costs; the stand-in
// llama-server is its own process, monitored by the registry. Both sides use one kept-alive undici
// Agent each. Rounds alternate direct / gateway so drift on a shared machine hits both alike.
// Figures per concurrency (1 and 32 clients): non-stream latency p50 and p99, time to first token
// (streamed) p50 and p99, and throughput (non-stream requests per second).
import { Agent, request } from 'undici';
import type { AcodeConfig } from '../config/index.js';
import { openRegistry } from '../machines/index.js';
import { createEngine, createGateway } from '../gateway/index.js';
import { startTestServer } from '../test/servers/harness.js';
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

function body(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'bench the gateway' }],
    max_tokens: TOKENS,
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
): Promise<{ ms: number[]; wallMs: number; cpuUs: number }> {
  const payload = body(side.model, stream);
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

export async function benchGateway(): Promise<string[]> {
  const server = await startTestServer('llama-server', { knobs: { tokens: TOKENS } });
  const scratch = tempDir('gateway');
  const provider = llamaProvider('llamacpp', server.port, { mode: 'monitored' });
  const config: AcodeConfig = {
    mode: 'local-only',
    active: 'llamacpp',
    fallback: [],
    providers: { llamacpp: provider },
  };
  const registry = openRegistry({ config, env: standInEnv(), stateDir: scratch.dir });
  const gateway = createGateway({ engine: createEngine(registry), host: '127.0.0.1', port: 0, version: 'bench' });
  const stop = new AbortController();
  const sides: Side[] = [];
  try {
    const address = await gateway.listen(stop.signal);
    sides.push(
      { name: 'direct', url: server.url, model: server.model, agent: new Agent({ connections: 64 }) },
      {
        name: 'gateway',
        url: `http://127.0.0.1:${address.port}`,
        model: 'llamacpp',
        agent: new Agent({ connections: 64 }),
      },
    );
    const [direct, viaGateway] = sides as [Side, Side];
    // Warm-up: JIT on both paths, the registry's first health check, 64 kept-alive connections each.
    for (const side of sides) for (const stream of [false, true]) await batch(side, 32, 10, stream);

    const lines: string[] = [];
    for (const clients of CLIENTS) {
      const perClient = PER_CLIENT[clients]!;
      for (const stream of [false, true]) {
        const lat = { direct: [] as number[], gateway: [] as number[] };
        const rps = { direct: [] as number[], gateway: [] as number[] };
        const cpu = { direct: 0, gateway: 0 };
        for (let r = 0; r < ROUNDS; r++) {
          const order = r % 2 === 0 ? [direct, viaGateway] : [viaGateway, direct];
          for (const side of order) {
            const b = await batch(side, clients, perClient, stream);
            lat[side.name].push(...b.ms);
            rps[side.name].push((b.ms.length / b.wallMs) * 1000);
            cpu[side.name] += b.cpuUs;
          }
        }
        const kind = stream ? 'ttft' : 'latency';
        // This process is the client on both sides and the gateway on one: the difference is the gateway's.
        const perRequest = (us: number) => us / (ROUNDS * clients * perClient);
        note(
          `${stream ? 'streamed' : 'non-stream'}, ${clients} client(s): CPU of this process ${perRequest(cpu.gateway).toFixed(0)} µs/request via the gateway, ${perRequest(cpu.direct).toFixed(0)} µs direct (gateway ${perRequest(cpu.gateway - cpu.direct).toFixed(0)} µs)`,
        );
        for (const p of [50, 99]) {
          const g = percentile(lat.gateway, p);
          const d = percentile(lat.direct, p);
          lines.push(figure(`gateway-${kind}-p${p}-c${clients}`, g, 'ms', d, 'ms'));
          note(
            `${kind} p${p} at ${clients} client(s): added ${fmt(g - d)} ms${clients === 32 ? ` (goal ≤ ${p === 50 ? '0.2' : '1'} ms)` : ''}`,
          );
        }
        if (!stream) {
          const g = percentile(rps.gateway, 50);
          const d = percentile(rps.direct, 50);
          lines.push(figure(`gateway-throughput-c${clients}`, g, 'req/s', d, 'req/s'));
          note(
            `throughput at ${clients} client(s): median of ${ROUNDS} rounds of ${clients * perClient} requests (goal ≥ 0.9× direct)`,
          );
        }
      }
    }
    note(
      `gateway in process over openRegistry (default admission: 10 in flight, 100 queued); stand-in llama-server, ${TOKENS} tokens per answer; ${ROUNDS} interleaved rounds`,
    );
    return lines;
  } finally {
    stop.abort();
    await gateway.close(1_000);
    await Promise.all(sides.map((s) => s.agent.close()));
    await registry.dispose();
    await server.stop();
    scratch.remove();
  }
}
