// What `acode serve` does: refuse a second gateway on the same state dir, open the registry, watch every
// provider that is already up, listen, and on Ctrl-C or SIGTERM drain the requests in flight before
// stopping what this process started (stop_on_exit).
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AcodeError,
  isAcodeError,
  resolveStateDir,
  type AcodeConfig,
  type ProviderConfig,
} from '../../config/index.js';
import type { GatewayControl } from '../../gateway/index.js';
import type { CliDeps } from '../deps.js';
import { gatewayRecordPath, readGatewayRecord, type GatewayRecord } from './gateway-client.js';

const DRAIN_MS = 10_000;

interface ServeOptions {
  port: string;
  host: string;
  printSystemdUnit?: boolean;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AcodeError(
      'USAGE',
      `--port ${text} is not a port number.`,
      'Pass --port with an integer from 1 to 65535 (0 picks a free one).',
    );
  }
  return port;
}

function systemdUnit(argv0: string, script: string, opts: ServeOptions, cwd: string): string {
  return [
    '[Unit]',
    'Description=acode gateway (OpenAI and Ollama routes for local LLM servers)',
    'After=network.target',
    '',
    '[Service]',
    `WorkingDirectory=${cwd}`,
    `ExecStart=${argv0} ${script} serve --port ${opts.port} --host ${opts.host}`,
    'Restart=on-failure',
    'RestartSec=2',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${Math.ceil(DRAIN_MS / 1000) + 20}`,
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

// Providers already running are adopted and watched from the start; a stopped managed one waits for
// its first request (started on demand), so the gateway never starts servers nobody asked for.
async function watchWhatIsUp(
  config: AcodeConfig,
  providers: readonly ProviderConfig[],
  registry: import('../../machines/index.js').Registry,
  deps: CliDeps,
): Promise<void> {
  const { probeProvider } = await import('./provider-reports.js');
  await Promise.allSettled(
    providers.map(async (p) => {
      // One detection, as the status watch does before adopting: a stopped managed server stays stopped.
      const found = p.lifecycle.mode === 'managed' ? (await probeProvider(config, p, deps)).state : 'healthy';
      if (found === 'healthy' || found === 'starting')
        await registry.service(p.id).ensureHealthy({ signal: deps.signal });
    }),
  );
}

export async function serve(deps: CliDeps, opts: ServeOptions): Promise<void> {
  const port = parsePort(opts.port);
  if (opts.printSystemdUnit) {
    deps.stdout.write(systemdUnit(process.execPath, process.argv[1] ?? 'acode', opts, deps.cwd));
    return;
  }
  const config = await deps.config.load();
  const { isLoopbackHost } = await import('../../adapters/index.js');
  if (!isLoopbackHost(opts.host)) {
    if (config.mode === 'airgapped') {
      throw new AcodeError(
        'AIRGAP_VIOLATION',
        `acode serve --host ${opts.host} would accept connections from other machines in airgapped mode.`,
        'Serve on loopback (--host 127.0.0.1), or change mode in .agent/config.yml.',
      );
    }
    deps.stderr.write(
      `warning: serving on ${opts.host}: other machines can reach every configured provider through this gateway\n`,
    );
  }
  const stateDir = resolveStateDir(deps.env);
  const { acquireFileLock, processStamp } = await import('../../actors/index.js');
  let lock;
  try {
    lock = await acquireFileLock(
      join(stateDir, 'gateway.lock'),
      { id: 'gateway', what: 'the gateway lock' },
      { timeoutMs: 0, signal: deps.signal },
    );
  } catch (error) {
    if (!isAcodeError(error) || error.code !== 'LOCK_TIMEOUT') throw error;
    const running = await readGatewayRecord(stateDir);
    throw new AcodeError(
      'PORT_IN_USE',
      `A gateway already runs for this state dir (pid ${running?.pid ?? (typeof error.details.holderPid === 'number' ? error.details.holderPid : 'unknown')}${running ? `, ${running.url}` : ''}).`,
      'Use that gateway, or stop it first (kill its pid); a second one would start the same servers twice.',
      { details: { pid: running?.pid, url: running?.url } },
    );
  }
  const { openRegistry } = await import('../../machines/index.js');
  const { createEngine, createGateway } = await import('../../gateway/index.js');
  // One bus for the registry: `acode inspect` attaches to it through GET /acode/inspect, --record too.
  const { busRecords, createInspectionBus } = await import('../../inspector/index.js');
  const bus = createInspectionBus();
  const recorded = deps.inspect;
  const inspect: typeof bus.inspect = recorded
    ? (event) => {
        bus.inspect(event);
        recorded(event);
      }
    : bus.inspect;
  const registry = openRegistry({ config, env: deps.env, inspect });
  const apiKeyEnv = config.serve?.apiKeyEnv;
  const apiKey = apiKeyEnv !== undefined ? deps.env[apiKeyEnv] : undefined;
  if (apiKeyEnv !== undefined && (apiKey === undefined || apiKey === '')) {
    await lock.release();
    throw new AcodeError(
      'CONFIG_SECRET',
      `serve.api_key_env names ${apiKeyEnv}, which is not set.`,
      `Export ${apiKeyEnv} with the key clients must send, or remove serve.api_key_env.`,
    );
  }
  const { configuredProviders, reportFromService } = await import('./provider-reports.js');
  const shown = await configuredProviders(config);
  const reports = () =>
    shown.map((p) => reportFromService(registry.config, p, registry.actor.getSnapshot().context.services[p.id]));
  const control: GatewayControl = {
    reports,
    async start(id, signal) {
      const provider = await registry.getProvider(id, { signal });
      await provider.close();
      return reports().filter((r) => r.id === id);
    },
    async stop(id, signal) {
      const before = reports().find((r) => r.id === id);
      await registry.service(id).stop({ signal });
      const after = reports().find((r) => r.id === id);
      return {
        id,
        action: before?.owned ? 'stopped' : before?.state === 'stopped' ? 'not-running' : 'left-running',
        state: after?.state ?? 'stopped',
        pid: before?.pid ?? null,
      };
    },
  };
  const engine = createEngine(registry, {
    ...(config.serve?.maxLoaded !== undefined ? { maxLoaded: config.serve.maxLoaded } : {}),
    memory: { env: deps.env },
  });
  const gateway = createGateway({
    engine,
    host: opts.host,
    port,
    control,
    version: '0.12.6',
    inspection: busRecords(bus, deps.env),
    ...(apiKey ? { apiKey } : {}),
    ...(config.serve ? { admission: { limit: config.serve.maxConcurrent, queue: config.serve.maxQueue } } : {}),
  });
  try {
    const address = await gateway.listen(deps.signal);
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    const stamp = await processStamp(process.pid);
    if (stamp)
      await writeFile(
        gatewayRecordPath(stateDir),
        JSON.stringify({ ...stamp, url, startedAt: new Date().toISOString() } satisfies GatewayRecord),
      );
    deps.stdout.write(`acode gateway on ${url}  (OpenAI: ${url}/v1, Ollama: ${url})\n`);
    void watchWhatIsUp(config, [...shown], registry, deps).catch(() => undefined);
    // Config edits apply to the running gateway as they do to a status watch: only what changed is touched.
    const { followConfig, noticeLines } = await import('./config-follow.js');
    followConfig(deps, config, async (next) => {
      const summary = await registry.reconfigure(next, { signal: deps.signal });
      shown.splice(0, shown.length, ...(await configuredProviders(next)));
      return summary;
    })((m) => deps.stderr.write(`${noticeLines(m)}\n`));
    await new Promise<void>((resolve) => {
      if (deps.signal.aborted) resolve();
      else deps.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    deps.stderr.write(`draining ${gateway.inFlight} request(s), then stopping\n`);
  } finally {
    await gateway.close(DRAIN_MS);
    engine.close();
    await registry.dispose();
    await rm(gatewayRecordPath(stateDir), { force: true });
    await lock.release();
  }
}
