// recover: kill -9 of a server acode manages → the service is healthy again on a new pid, against the
// time the same stand-in needs on its own from spawn to its first 200 on /health.
import { startTestServer } from '../test/servers/harness.js';
import { DEFAULT_BACKOFF } from '../machines/index.js';
import { figure, llamaProvider, median, note, nowMs, rawGetter, serviceFor, tempDir, until } from './lib.js';
import { freePort } from '../test/servers/harness.js';

const KILLS = Number(process.env.ACODE_BENCH_RECOVER_KILLS ?? 5);
const PROBE_INTERVAL_S = 1;

async function ownStartMs(): Promise<number> {
  const raw = rawGetter();
  const t = nowMs();
  const server = await startTestServer('llama-server', { waitReady: false });
  try {
    await until(
      async () => (await raw.get(`${server.url}/health`).catch(() => 0)) === 200,
      'stand-in ready',
      30_000,
      2,
    );
    return nowMs() - t;
  } finally {
    await server.stop();
    await raw.close();
  }
}

// One crash of a server that has been healthy: a fresh service per kill, so every figure is a first
// restart (later restarts inside restart_window_seconds back off exponentially, by design).
interface Recovery {
  totalMs: number;
  phases: Record<string, number>;
}

async function oneRecovery(stateDir: string): Promise<Recovery> {
  const provider = llamaProvider('llamacpp', await freePort(), { healthCheckIntervalSeconds: PROBE_INTERVAL_S });
  const service = serviceFor(provider, { stateDir });
  try {
    await service.ensureHealthy();
    const before = service.status().pid;
    if (before === null) throw new Error('bench: a managed healthy service has no pid');
    // When each state was first entered after the kill: where the recovery time goes.
    const phases: Record<string, number> = {};
    const t = nowMs();
    const sub = service.actor.subscribe((snap) => {
      const value = snap.value;
      const top = typeof value === 'string' ? value : Object.keys(value)[0]!;
      phases[top] ??= nowMs() - t;
    });
    process.kill(before, 'SIGKILL');
    await until(
      () => {
        const s = service.status();
        return s.state === 'healthy' && s.model === 'ready' && s.pid !== null && s.pid !== before;
      },
      'healthy again after kill -9',
      60_000,
      1,
    );
    const totalMs = nowMs() - t;
    sub.unsubscribe();
    return { totalMs, phases };
  } finally {
    await service.stop().catch(() => undefined);
    await service.dispose();
  }
}

export async function benchRecover(): Promise<string[]> {
  const state = tempDir('recover');
  const recover: number[] = [];
  const own: number[] = [];
  const phases: Record<string, number[]> = {};
  try {
    for (let i = 0; i < KILLS; i++) {
      const r = await oneRecovery(state.dir);
      recover.push(r.totalMs);
      for (const [k, v] of Object.entries(r.phases)) (phases[k] ??= []).push(v);
      own.push(await ownStartMs());
    }
    note(
      `recover: median of ${KILLS} kill -9 of a managed stand-in llama-server, each a first restart in its window (crash seen by the process watcher; ` +
        `backoff base ${DEFAULT_BACKOFF.baseMs} ms where the policy applies one; health_check_interval ${PROBE_INTERVAL_S} s); each: ${recover.map((x) => x.toFixed(0)).join(', ')} ms`,
    );
    note(
      `recover phases (median ms after the kill at which each state was entered): ${Object.entries(phases)
        .map(([k, v]) => `${k} ${median(v).toFixed(0)}`)
        .join(', ')}, healthy+ready ${median(recover).toFixed(0)}`,
    );
    note(
      `recover baseline: stand-in spawn → first 200 on /health (polled every 2 ms); each: ${own.map((x) => x.toFixed(0)).join(', ')} ms`,
    );
    return [figure('recover', median(recover), 'ms', median(own))];
  } finally {
    state.remove();
  }
}
