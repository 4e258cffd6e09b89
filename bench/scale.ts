// scale: the cost of one health round (every watched service probes its server once) for 1, 10 and
// 50 services, against the same number of raw undici GETs sent at once. The pollers run on a manual
// clock, so a round starts exactly when we fire their timers and ends when every poller has re-armed.
import type { Clock } from '../actors/index.js';
import type { Service } from '../machines/index.js';
import {
  figure,
  llamaProvider,
  median,
  note,
  nowMs,
  rawGetter,
  serviceFor,
  startLlamaServers,
  stopAll,
  tempDir,
  until,
} from './lib.js';
import type { TestServer } from '../test/servers/harness.js';

const SIZES = [1, 10, 50];
const ROUNDS = Number(process.env.ACODE_BENCH_SCALE_ROUNDS ?? 20);

class ManualClock implements Clock {
  private next = 1;
  readonly pending = new Map<number, () => void>();
  private waiter: { n: number; resolve: () => void } | undefined;
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, _ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, fn);
    if (this.waiter && this.pending.size >= this.waiter.n) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve();
    }
    return id;
  }
  /** Resolves the moment `n` timers are armed (no polling, so a sub-millisecond round is measurable). */
  armed(n: number): Promise<void> {
    if (this.pending.size >= n) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = { n, resolve }));
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const fn of due) fn();
  }
}

async function round(clock: ManualClock, n: number): Promise<number> {
  const t = nowMs();
  clock.fireAll();
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`bench: ${n} pollers did not re-arm in 30 s`)), 30_000)),
  );
  await Promise.race([clock.armed(n), bound]).finally(() => clearTimeout(timer));
  return nowMs() - t;
}

export async function benchScale(): Promise<string[]> {
  const servers: TestServer[] = await startLlamaServers(Math.max(...SIZES));
  const state = tempDir('scale');
  const raw = rawGetter();
  const lines: string[] = [];
  try {
    for (const n of SIZES) {
      const clock = new ManualClock();
      const services: Service[] = servers.slice(0, n).map((s, i) =>
        serviceFor(llamaProvider(`llama${i}`, s.port, { mode: 'monitored' }), {
          stateDir: state.dir,
          actorDeps: { clock },
        }),
      );
      try {
        await Promise.all(services.map((s) => s.ensureHealthy()));
        await until(() => clock.pending.size === n, `${n} healthy pollers armed`, 30_000);
        const urls = servers.slice(0, n).map((s) => `${s.url}/health`);
        const rounds: number[] = [];
        const gets: number[] = [];
        for (let i = 0; i < ROUNDS + 3; i++) {
          const r = await round(clock, n);
          const t = nowMs();
          await Promise.all(urls.map((u) => raw.get(u)));
          const g = nowMs() - t;
          if (i >= 3) {
            // the first rounds open connections and warm the JIT on both sides
            rounds.push(r);
            gets.push(g);
          }
        }
        const unhealthy = services.filter((s) => s.status().state !== 'healthy').length;
        if (unhealthy > 0) throw new Error(`bench: ${unhealthy} of ${n} services left healthy during the rounds`);
        lines.push(figure(`scale-${n}`, median(rounds), 'ms', median(gets)));
        note(
          `scale-${n}: one health round of ${n} watched services (adapter health() per service, then the machine re-arms), ` +
            `median of ${ROUNDS}; baseline ${n} raw undici GET /health at once`,
        );
      } finally {
        await Promise.all(services.map((s) => s.dispose()));
      }
    }
    return lines;
  } finally {
    await raw.close();
    await stopAll(servers);
    state.remove();
  }
}
