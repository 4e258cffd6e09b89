#!/usr/bin/env node
// Stand-in for `ollama serve`: listens on OLLAMA_HOST at once, loads models lazily per request, keeps
// pulled models under OLLAMA_MODELS, and on SIGTERM closes every connection at once (exit 0).

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { bootKnobs, preStart, requireLoopback, wireSignals } from './lib/boot.js';
import { createFakeServer, listen } from './lib/http-core.js';
import { Runtime } from './lib/runtime.js';
import { layersFor, modelsDir, normalizeName, OllamaStore } from './ollama-store.js';
import { OLLAMA_VERSION, type OllamaState } from './ollama-state.js';
import { ollamaDialect, ollamaRoutes } from './ollama-routes.js';
import { runClient } from './ollama-cli.js';

function log(level: 'INFO' | 'WARN' | 'ERROR', source: string, msg: string): void {
  process.stderr.write(
    `time=${new Date().toISOString()} level=${level} source=${source} msg="${msg.replace(/"/g, '\\"')}"\n`,
  );
}

/** OLLAMA_HOST as envconfig.Host() reads it: host, host:port, scheme://host[:port]; default 127.0.0.1:11434. */
export function parseOllamaHost(raw: string | undefined): { host: string; port: number } {
  let value = (raw ?? '').trim();
  if (value === '') return { host: '127.0.0.1', port: 11434 };
  let defaultPort = 11434;
  const scheme = /^(\w+):\/\//.exec(value);
  if (scheme) {
    defaultPort = scheme[1] === 'https' ? 443 : scheme[1] === 'http' ? 80 : 11434;
    value = value.slice(scheme[0].length);
  }
  value = value.replace(/\/.*$/, '');
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(value);
  const host = (m?.[1] ?? '').replace(/^\[|\]$/g, '') || '127.0.0.1';
  const portText = m?.[2];
  const port = portText !== undefined && portText !== '' ? Number(portText) : defaultPort;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    log('WARN', 'config.go:56', `invalid port, using default port=${portText ?? ''} default=11434`);
    return { host, port: 11434 };
  }
  return { host, port };
}

function ensureKeypair(): void {
  const dir = join(homedir(), '.ollama');
  const key = join(dir, 'id_ed25519');
  if (existsSync(key)) return;
  process.stdout.write(`Couldn't find '${key}'. Generating new private key.\n`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(key, 'acode fake ollama: placeholder, not a key\n', { mode: 0o600 });
  writeFileSync(`${key}.pub`, 'ssh-ed25519 acodefake\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--version' || argv[0] === '-v')
    return void process.stdout.write(`ollama version is ${OLLAMA_VERSION}\n`);
  if (argv[0] !== 'serve' && argv[0] !== 'start') {
    const { host, port } = parseOllamaHost(process.env.OLLAMA_HOST);
    process.exit(await runClient(argv[0] ?? '', argv.slice(1), host, port));
  }
  const knobs = bootKnobs('ollama');
  ensureKeypair();
  const { host: rawHost, port } = parseOllamaHost(process.env.OLLAMA_HOST);
  const addr = rawHost.includes(':') ? `[${rawHost}]:${port}` : `${rawHost}:${port}`;
  const root = modelsDir(process.env);
  log(
    'INFO',
    'routes.go:1331',
    `server config env="map[OLLAMA_HOST:http://${addr} OLLAMA_KEEP_ALIVE:5m0s OLLAMA_MODELS:${root} OLLAMA_NUM_PARALLEL:1]"`,
  );
  await preStart(knobs, 'ollama');
  const host = requireLoopback(rawHost, 'ollama');
  const store = new OllamaStore(root);
  for (const name of knobs.pulled) {
    const full = normalizeName(name);
    if (full !== null && store.get(full) === null) store.write(full, layersFor(full, knobs.pullBytes));
  }
  const runtime = new Runtime(knobs, (l) => log('INFO', 'fake.go:1', l));
  const catalogue = new Set(knobs.models.map(normalizeName).filter((n): n is string => n !== null));
  const state: OllamaState = { runtime, store, catalogue, loaded: new Map(), loading: new Map(), log };
  const server = createFakeServer(runtime, ollamaRoutes(state), ollamaDialect);
  wireSignals(
    knobs,
    {
      // srvr.Close(): no drain, in-flight requests are cut.
      onTerm: () => {
        server.server.close();
        server.destroyConnections();
        process.exit(0);
      },
    },
    (l) => log('INFO', 'routes.go:1400', l),
  );
  log('INFO', 'images.go:522', `total blobs: ${store.blobCount()}`);
  log('INFO', 'images.go:529', 'total unused blobs removed: 0');
  let bound = port;
  try {
    bound = await listen(server.server, host, port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'EADDRINUSE'
        ? 'address already in use'
        : code === 'EACCES'
          ? 'permission denied'
          : (err as Error).message;
    process.stderr.write(`Error: listen tcp ${addr}: bind: ${reason}\n`);
    process.exit(1);
  }
  // Like ln.Addr(): the real port, even when OLLAMA_HOST asked for :0.
  const shown = rawHost.includes(':') ? `[${rawHost}]:${bound}` : `${rawHost}:${bound}`;
  log('INFO', 'routes.go:1384', `Listening on ${shown} (version ${OLLAMA_VERSION})`);
  log(
    'INFO',
    'types.go:130',
    'inference compute id=cpu library=cpu compute="" name=cpu description=cpu libdirs=ollama driver="" pci_id="" type="" total="7.7 GiB" available="6.1 GiB"',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
