// ensure-healthy and state: what a caller pays to ask an already-healthy service for a provider, or
// for its status as --json, against one raw undici GET of the same server's health route.
import {
  figure,
  median,
  note,
  rawGetter,
  serviceFor,
  llamaProvider,
  startLlamaServers,
  stopAll,
  tempDir,
  timeEach,
} from './lib.js';

const ROUNDS = Number(process.env.ACODE_BENCH_CALL_ROUNDS ?? 500);

export async function benchServiceCalls(): Promise<string[]> {
  const [server] = await startLlamaServers(1);
  const state = tempDir('calls');
  const raw = rawGetter();
  // monitored: acode watches this server without owning it, so the figure is the machine's cost, not a spawn.
  const service = serviceFor(llamaProvider('llamacpp', server!.port, { mode: 'monitored' }), { stateDir: state.dir });
  try {
    await service.ensureHealthy();
    const healthUrl = `${server!.url}/health`;
    // Interleave the two sides in blocks so machine drift affects both alike.
    const ensure: number[] = [];
    const status: number[] = [];
    const get: number[] = [];
    for (let block = 0; block < 5; block++) {
      ensure.push(...(await timeEach(() => service.ensureHealthy(), ROUNDS / 5)));
      status.push(...(await timeEach(() => JSON.stringify(service.status()), ROUNDS / 5)));
      get.push(...(await timeEach(() => raw.get(healthUrl), ROUNDS / 5)));
    }
    const base = median(get);
    const lines = [figure('ensure-healthy', median(ensure), 'ms', base), figure('state', median(status), 'ms', base)];
    note(
      `ensure-healthy: median of ${ensure.length} calls on a healthy service (goal ratio <= 1.2, absolute < 50 ms); ` +
        `max ${Math.max(...ensure).toFixed(3)} ms; baseline = median of ${get.length} raw undici GET ${'/health'}`,
    );
    note(`state: JSON.stringify(service.status()) in process, median of ${status.length}`);
    return lines;
  } finally {
    await service.dispose();
    await raw.close();
    await stopAll([server!]);
    state.remove();
  }
}
