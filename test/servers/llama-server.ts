#!/usr/bin/env node
// Stand-in for llama.cpp's `llama-server -m <model>`: binds first, answers 503 `Loading model` until the
// model is "loaded", exits 1 on a bad model or a taken port, and on SIGTERM with a request in flight
// freezes generation until a second signal (as measured on build 10587).

import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { bootKnobs, parseArgs, preStart, requireLoopback, wireSignals } from './lib/boot.js';
import { createFakeServer, listen } from './lib/http-core.js';
import { delay, Runtime } from './lib/runtime.js';
import { llamaDialect, llamaRoutes, type LlamaState } from './llama-server-routes.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

const ALIASES: Record<string, string> = {
  '-m': 'model',
  '-a': 'alias',
  '-c': 'ctx-size',
  '-ngl': 'n-gpu-layers',
  '-np': 'parallel',
  '-t': 'threads',
  '-fa': 'flash-attn',
};
const BOOLEANS = new Set([
  'jinja',
  'no-jinja',
  'metrics',
  'embedding',
  'embeddings',
  'no-webui',
  'verbose',
  'cont-batching',
  'no-mmap',
  'mlock',
  'reuse-port',
  'slots',
  'no-slots',
  'props',
]);

function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

// A GGUF file starts with the magic "GGUF"; llama.cpp refuses anything else before reading further.
function magicOf(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    return head.subarray(0, readSync(fd, head, 0, 4, 0)).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--version')) return log('version: 6000 (acodefake)\nbuilt with cc for x86_64-linux-gnu');
  const knobs = bootKnobs('llama-server');
  const { flags } = parseArgs(argv, ALIASES, BOOLEANS);
  const env = process.env;
  const model = flags.get('model') ?? env.LLAMA_ARG_MODEL ?? '';
  const port = Number(flags.get('port') ?? env.LLAMA_ARG_PORT ?? '8080');
  const hostArg = flags.get('host') ?? env.LLAMA_ARG_HOST ?? '127.0.0.1';
  const nCtx = Number(flags.get('ctx-size') ?? env.LLAMA_ARG_CTX_SIZE ?? '4096') || 4096;
  log('build: 6000 (acodefake) with cc (GCC) 13.2.0 for x86_64-linux-gnu');
  log('system info: n_threads = 2, n_threads_batch = 2, total_threads = 2');
  await preStart(knobs, 'llama-server');
  const host = requireLoopback(hostArg, 'llama-server');
  const runtime = new Runtime(knobs, log);
  const state: LlamaState = {
    runtime,
    id: flags.get('alias') ?? env.LLAMA_ARG_ALIAS ?? model,
    modelPath: model,
    nCtx,
    loaded: false,
    startedAt: Date.now(),
    embeddings: flags.has('embedding') || flags.has('embeddings'),
    // As Ollama reports for gemma2: its chat template has no tools section.
    toolTemplate: !/gemma-?2/i.test(basename(model)),
    vision: flags.has('mmproj'),
  };
  const server = createFakeServer(
    runtime,
    llamaRoutes(state),
    llamaDialect(state, flags.get('api-key') ?? env.LLAMA_API_KEY ?? null),
  );

  wireSignals(
    knobs,
    {
      onTerm: (_sig, count) => {
        if (count > 1) {
          log('Received second interrupt, terminating immediately.');
          process.exit(1);
        }
        if (runtime.inflight > 0) {
          // Measured on a recent build: the task loop stops, the in-flight stream gets no more tokens.
          runtime.frozen = true;
          log('srv    operator(): operator(): cleaning up before exit...');
          return;
        }
        log('srv    operator(): operator(): cleaning up before exit...');
        process.exit(0);
      },
    },
    log,
  );

  log('main: binding port with default address family');
  let bound = port;
  try {
    bound = await listen(server.server, host, port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    log(`srv          start: couldn't bind HTTP server socket, hostname: ${hostArg}, port: ${port}`);
    log('main: exiting due to HTTP server error');
    process.exit(1);
  }
  log(`main: HTTP server is listening, hostname: ${hostArg}, port: ${bound}, http threads: 3`);
  log('main: loading model');
  log(`srv    load_model: loading model '${model}'`);
  const file = model !== '' && fileExists(model);
  const magic = file ? magicOf(model) : 'GGUF';
  const known = model !== '' && ((file && magic === 'GGUF') || (!existsSync(model) && knobs.models.includes(model)));
  if (!known) {
    log(
      file
        ? `gguf_init_from_file_impl: invalid magic characters: '${magic}', expected 'GGUF'`
        : `gguf_init_from_file: failed to open GGUF file '${model}'`,
    );
    log(`llama_model_load: error loading model: llama_model_loader: failed to load model from ${model}`);
    log(`llama_model_load_from_file_impl: failed to load model`);
    log(`srv    load_model: failed to load model, '${model}'`);
    log('srv    operator(): operator(): cleaning up before exit...');
    log('main: exiting due to model loading error');
    process.exit(1);
  }
  if (knobs.loadDelayMs > 0)
    log(`llama_model_loader: loading ${model} (acode fake: ${knobs.loadDelayMs} ms, ACODE_FAKE_LOAD_DELAY_MS)`);
  await delay(knobs.loadDelayMs);
  state.loaded = true;
  log(`llama_model_loader: loaded meta data from ${basename(model)}`);
  log('main: model loaded');
  log(`main: server is listening on http://${hostArg}:${bound} - starting the main loop`);
  log('srv  update_slots: all slots are idle');
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
