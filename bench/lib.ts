// Shared pieces of the benchmarks: the one output line, medians, stand-in servers as services, and a
// raw undici GET that every "vs the wire" baseline uses.
import { Agent, request } from 'undici';
import { startTestServer, type TestServer } from '../test/servers/harness.js';

export * from './services.js';

/** `name  value unit  baseline unit  ratio`: the one format every figure is printed in. */
export function figure(
  name: string,
  value: number,
  unit: string,
  baseline: number,
  baselineUnit: string = unit,
): string {
  // A zero baseline (an idle bare process using no CPU ticks) has no meaningful ratio.
  const ratio = baseline === 0 ? '-' : (value / baseline).toFixed(3);
  return `${name}  ${fmt(value)} ${unit}  ${fmt(baseline)} ${baselineUnit}  ${ratio}`;
}

export function fmt(x: number): string {
  const abs = Math.abs(x);
  return abs >= 100 ? x.toFixed(0) : abs >= 1 ? x.toFixed(2) : x.toFixed(4);
}

/** Extra facts for a figure (goal, interval, spread) go to stderr so stdout stays one line per figure. */
export function note(text: string): void {
  process.stderr.write(`  # ${text}\n`);
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Starts `n` stand-in llama-servers, a few at a time (each is a node process booting on 2 cores). */
export async function startLlamaServers(n: number, { batch = 8 }: { batch?: number } = {}): Promise<TestServer[]> {
  const out: TestServer[] = [];
  try {
    for (let i = 0; i < n; i += batch) {
      const size = Math.min(batch, n - i);
      out.push(
        ...(await Promise.all(
          Array.from({ length: size }, () => startTestServer('llama-server', { readyTimeoutMs: 60_000 })),
        )),
      );
    }
  } catch (error) {
    await stopAll(out);
    throw error;
  }
  return out;
}

export async function stopAll(servers: readonly TestServer[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
}

/** The baseline: one GET with undici over a kept-alive connection, body read to the end. */
export function rawGetter(): { get: (url: string) => Promise<number>; close: () => Promise<void> } {
  const agent = new Agent({ connections: 64 });
  return {
    async get(url) {
      const res = await request(url, { dispatcher: agent });
      await res.body.arrayBuffer();
      return res.statusCode;
    },
    close: () => agent.close(),
  };
}

/** Runs `fn` `rounds` times after `warmup` untimed calls and returns the per-call times in ms. */
export async function timeEach(fn: () => unknown, rounds: number, warmup = 20): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = nowMs();
    await fn();
    out.push(nowMs() - t);
  }
  return out;
}

/** Polls `check` (cheap, in process) until true or the bound passes. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  everyMs = 5,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
