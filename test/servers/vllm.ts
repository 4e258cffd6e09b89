#!/usr/bin/env node
// Stand-in for `vllm serve <model>`: loads the model before it serves HTTP (connection refused until then),
// refuses unknown or offline-uncached models with vLLM's messages, finishes in-flight requests on SIGTERM.

import { bootKnobs, parseArgs, preStart, requireLoopback, wireSignals } from './lib/boot.js';
import { isCached, isLocalModelDir, looksLikeRepoId, writeCache } from './lib/hf-cache.js';
import { createFakeServer, listen } from './lib/http-core.js';
import { delay, Runtime } from './lib/runtime.js';
import { VLLM_VERSION, vllmDialect, vllmRoutes, type VllmState } from './vllm-routes.js';
import { logVllmLoad } from './vllm-load.js';

interface BoundSocket {
  close(): void;
}

// Real vLLM binds its socket before the load and serves HTTP only after it: the port is taken, yet a
// connect is refused. Node has no public bind-without-listen, so this uses the TCP handle net uses
// itself. Returns null when the address is taken (libuv's error code).
function bindWithoutListening(host: string, port: number): BoundSocket | null {
  type TcpHandle = {
    bind(host: string, port: number): number;
    bind6(host: string, port: number, flags: number): number;
    close(): void;
  };
  const wrap = (
    process as unknown as {
      binding(name: string): { TCP: new (type: number) => TcpHandle; constants: { SERVER: number } };
    }
  ).binding('tcp_wrap');
  const handle = new wrap.TCP(wrap.constants.SERVER);
  const err = host.includes(':') ? handle.bind6(host, port, 0) : handle.bind(host, port);
  if (err !== 0) {
    handle.close();
    return null;
  }
  return handle;
}

const pad = (n: number): string => String(n).padStart(2, '0');
function stamp(): string {
  const d = new Date();
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
const info = (file: string, msg: string): void =>
  void process.stdout.write(`(APIServer pid=${process.pid}) INFO ${stamp()} [${file}] ${msg}\n`);
const uvicorn = (msg: string): void => void process.stderr.write(`INFO:     ${msg}\n`);

function traceback(lines: string[], last: string): never {
  process.stderr.write(['Traceback (most recent call last):', ...lines, last, ''].join('\n'));
  process.exit(1);
}

function usage(msg: string): never {
  process.stderr.write(`usage: vllm serve [model_tag] [options]\nvllm: error: ${msg}\n`);
  process.exit(2);
}

/** `--served-model-name` takes one or more values (argparse nargs='+'); pull them out before generic parsing. */
function splitServedNames(argv: string[]): { rest: string[]; names: string[] } {
  const rest: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a.startsWith('--served-model-name=')) names.push(a.slice(20));
    else if (a === '--served-model-name') {
      while (i + 1 < argv.length && !(argv[i + 1] ?? '').startsWith('-')) names.push(argv[++i] ?? '');
    } else rest.push(a);
  }
  return { rest, names };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--version' || argv[0] === '-v') return void process.stdout.write(`${VLLM_VERSION}\n`);
  if (argv[0] !== 'serve') usage(`argument subparser: invalid choice: '${argv[0] ?? ''}' (choose from 'serve')`);
  const knobs = bootKnobs('vllm');
  const { rest, names } = splitServedNames(argv.slice(1));
  const { flags, positional } = parseArgs(
    rest,
    {},
    new Set(['enforce-eager', 'enable-auto-tool-choice', 'trust-remote-code', 'disable-log-requests']),
  );
  const model = positional[0] ?? flags.get('model');
  if (!model) usage('the following arguments are required: model_tag');
  const port = Number(flags.get('port') ?? '8000');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    usage(`argument --port: invalid int value: '${flags.get('port') ?? ''}'`);
  info('utils.py:326', `vLLM API server version ${VLLM_VERSION}`);
  info('utils.py:326', `non-default args: {'model_tag': '${model}', 'port': ${port}}`);
  await preStart(knobs, 'vllm');
  // Real vLLM binds all interfaces when --host is unset; the fake only ever binds loopback.
  const host = requireLoopback(flags.get('host') ?? '127.0.0.1', 'vllm');
  const runtime = new Runtime(knobs, (l) => void process.stderr.write(`${l}\n`));

  // vLLM binds its socket before loading the model, so a port conflict is reported before any load.
  const addressInUse = (): never =>
    traceback(
      [
        '  File "/usr/local/lib/python3.12/site-packages/vllm/entrypoints/openai/api_server.py", line 1917, in create_server_socket',
        '    sock.bind(addr)',
      ],
      'OSError: [Errno 98] Address already in use',
    );
  // With ACODE_FAKE_LOAD_PROGRESS the port stays bound (not listening) through the load, as in vLLM.
  let held: BoundSocket | null = null;
  const probe = createFakeServer(runtime, [], vllmDialect(null)).server;
  try {
    await listen(probe, host, port);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (knobs.loadProgress && (held = bindWithoutListening(host, port)) === null) addressInUse();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE') throw err;
    addressInUse();
  }

  let loading = true;
  let server: ReturnType<typeof createFakeServer> | null = null;
  let stopping = false;
  wireSignals(
    knobs,
    {
      onTerm: (_sig, count) => {
        if (loading || server === null || count > 1) process.exit(count > 1 ? 1 : 0);
        if (stopping) return;
        stopping = true;
        uvicorn('Shutting down');
        server.server.close();
        void runtime.whenIdle().then(() => {
          uvicorn('Waiting for application shutdown.');
          uvicorn('Application shutdown complete.');
          uvicorn(`Finished server process [${process.pid}]`);
          process.exit(0);
        });
      },
    },
    (l) => void process.stderr.write(`${l}\n`),
  );

  let downloaded = false;
  if (!isLocalModelDir(model)) {
    if (!looksLikeRepoId(model) || !knobs.models.includes(model)) {
      traceback(
        ['  File "/usr/local/lib/python3.12/site-packages/vllm/transformers_utils/config.py", line 512, in get_config'],
        [
          `ValueError: Invalid repository ID or local directory specified: '${model}'.`,
          'Please verify the following requirements:',
          '1. Provide a valid Hugging Face repository ID.',
          '2. Specify a local directory that contains a recognized configuration file.',
          "   - For Hugging Face models: ensure the presence of a 'config.json'.",
          "   - For Mistral models: ensure the presence of a 'params.json'.",
        ].join('\n'),
      );
    }
    if (!isCached(process.env, model)) {
      if (process.env.HF_HUB_OFFLINE === '1' || process.env.HF_HUB_OFFLINE === 'true') {
        traceback(
          ['  File "/usr/local/lib/python3.12/site-packages/huggingface_hub/utils/_http.py", line 106, in send'],
          `huggingface_hub.errors.OfflineModeIsEnabled: Cannot reach https://huggingface.co/api/models/${model}: offline mode is enabled. To disable it, please unset the HF_HUB_OFFLINE environment variable.`,
        );
      }
      info('weight_utils.py:296', `Downloading weights for ${model} (acode fake: writes the cache entry only)`);
      writeCache(process.env, model, { weights: true });
      downloaded = true;
    }
  }
  info('model.py:547', 'Resolved architecture: LlamaForCausalLM');
  if (knobs.loadProgress) {
    await logVllmLoad(model, knobs.loadDelayMs, { download: downloaded });
    held?.close();
  } else {
    if (knobs.loadDelayMs > 0)
      info(
        'gpu_model_runner.py:1595',
        `Starting to load model ${model}... (acode fake: ${knobs.loadDelayMs} ms, ACODE_FAKE_LOAD_DELAY_MS)`,
      );
    await delay(knobs.loadDelayMs);
    info('default_loader.py:262', `Loading weights took ${(knobs.loadDelayMs / 1000).toFixed(2)} seconds`);
    info(
      'core.py:210',
      `init engine (profile, create kv cache, warmup model) took ${(knobs.loadDelayMs / 1000).toFixed(2)} seconds`,
    );
  }

  const state: VllmState = {
    runtime,
    root: model,
    servedNames: names.length > 0 ? names : [model],
    maxModelLen: Number(flags.get('max-model-len') ?? 4096),
    startedAt: Date.now(),
    metrics: { promptTokens: 0, generationTokens: 0, success: 0, running: 0 },
  };
  const routes = vllmRoutes(state);
  server = createFakeServer(runtime, routes, vllmDialect(flags.get('api-key') ?? process.env.VLLM_API_KEY ?? null));
  let bound = port;
  try {
    bound = await listen(server.server, host, port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    traceback(
      ['  File "/usr/local/lib/python3.12/site-packages/uvicorn/server.py", line 161, in startup'],
      'OSError: [Errno 98] Address already in use',
    );
  }
  loading = false;
  info('api_server.py:1885', `Starting vLLM server on http://${host}:${bound}`);
  info('launcher.py:34', 'Available routes are:');
  for (const r of routes) info('launcher.py:42', `Route: ${String(r.path)}, Methods: ${r.methods.join(', ')}`);
  uvicorn(`Started server process [${process.pid}]`);
  uvicorn('Waiting for application startup.');
  uvicorn('Application startup complete.');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
