// The measured process of the footprint benchmark: watches the servers on the given ports (one
// monitored service each, probed every interval) and otherwise idles until it is told to stop.
// Usage: node dist/bench/footprint-watcher.js <intervalSeconds> <port>...   (no ports: load the same
// modules, watch nothing; that process shows how much of the footprint is code rather than services)
import { llamaProvider, serviceFor, tempDir } from './services.js';

const [interval, ...ports] = process.argv.slice(2).map(Number);

async function watch(): Promise<void> {
  const state = tempDir('watch');
  const services = ports.map((port, i) =>
    serviceFor(llamaProvider(`llama${i}`, port, { mode: 'monitored', healthCheckIntervalSeconds: interval ?? 60 }), {
      stateDir: state.dir,
    }),
  );
  await Promise.all(services.map((s) => s.ensureHealthy()));
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    const states = services.map((s) => s.status().state).join(',');
    void Promise.all(services.map((s) => s.dispose())).then(() => {
      state.remove();
      process.stdout.write(`states ${states}\n`);
      process.exit(0);
    });
  });
}

if (ports.length === 0) {
  process.stdout.write('ready\n');
  setInterval(() => undefined, 1 << 30);
} else {
  await watch();
}
