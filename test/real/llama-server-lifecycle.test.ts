// acode's managed lifecycle against the REAL llama.cpp llama-server (../shared/real-servers, or
// ACODE_REAL_LLAMA_SERVER): start → healthy, a bounded chat (streamed and not), kill -9 → restart →
// healthy, stop with a request in flight (this build keeps streaming after SIGTERM: the stop must end
// within its grace, by SIGKILL if need be), and a taken port refused before anything is spawned.
// Absent binary: skipped, and the console says which path was missing. The same runs against the
// stand-in llama-server give the figures to compare; both print the timings the README quotes
// (median of RUNS runs).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pidFilePath } from '../../actors/index.js';
import type { ModelProvider, StreamChunk } from '../../adapters/index.js';
import { STAGED_GGUF, serversBinDir } from '../servers/harness.js';
import { freePort } from '../servers/lib/free-port.js';
import { failureOf, top, waitState, World } from '../service/helpers.js';
import { realLlama, realLlamaArgs, realLlamaSkipReason, servedModel } from './llama-server.js';
import { pidAlive, until } from '../support/processes.js';

const RUNS = 3;
const GRACE_MS = 2_000;
const bounded = { maxTokens: 8, temperature: 0 };

interface Server {
  name: string;
  binary: string;
  model: string;
  args: string[];
  skip: string;
}

const SERVERS: Server[] = [
  {
    name: 'the stand-in llama-server',
    binary: join(serversBinDir, 'llama-server'),
    model: STAGED_GGUF,
    args: [],
    skip: '',
  },
  {
    name: 'the real llama-server',
    binary: realLlama?.binary ?? '',
    model: realLlama?.model ?? '',
    args: realLlamaArgs(),
    skip: realLlamaSkipReason,
  },
];

const worlds: World[] = [];
const strangers: ChildProcess[] = [];
const figures = new Map<string, { startMs: number[]; crashMs: number[]; stopInFlightMs: number[] }>();

afterEach(async () => {
  for (const s of strangers.splice(0)) s.kill('SIGKILL');
  for (const w of worlds.splice(0)) await w.cleanup();
});

afterAll(() => {
  const median = (xs: number[]): string => {
    const s = [...xs].sort((a, b) => a - b);
    return `${Math.round(s[Math.floor(s.length / 2)]!)} ms (${s.map(Math.round).join(', ')})`;
  };
  for (const [name, f] of figures) {
    if (f.stopInFlightMs.length === 0) continue;
    console.log(
      `${name}, managed lifecycle, median of ${f.stopInFlightMs.length}: start to healthy ${median(f.startMs)}; ` +
        `crash to healthy ${median(f.crashMs)}; stop with a request in flight ${median(f.stopInFlightMs)} (grace ${GRACE_MS} ms)`,
    );
  }
});

async function world(): Promise<World> {
  const w = await World.create();
  worlds.push(w);
  return w;
}

function managed(w: World, port: number, server: Server): ReturnType<World['service']> {
  return w.service('llamacpp', port, {
    provider: { binary: server.binary, model: server.model, args: server.args },
    lifecycle: { startTimeoutSeconds: 60, modelLoadTimeoutSeconds: 60 },
    graceMs: GRACE_MS,
  });
}

async function collect(stream: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const out: StreamChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

/** A bounded chat both ways: the protocol holds (chunks, a final with usage), whatever the words. */
async function chatBothWays(adapter: ModelProvider): Promise<void> {
  const messages = [{ role: 'user' as const, content: 'Say something short.' }];
  const res = await adapter.complete({ messages, sampling: bounded });
  expect(['stop', 'length']).toContain(res.finishReason);
  expect(res.usage?.completionTokens).toBeGreaterThan(0);
  expect(res.usage?.completionTokens).toBeLessThanOrEqual(bounded.maxTokens);
  const chunks = await collect(adapter.stream({ messages, sampling: bounded }));
  const final = chunks.at(-1);
  expect(final?.type).toBe('final');
  expect(chunks.slice(0, -1).every((c) => c.type === 'text')).toBe(true);
  if (final?.type === 'final') {
    expect(['stop', 'length']).toContain(final.finishReason);
    expect(final.usage?.completionTokens).toBeLessThanOrEqual(bounded.maxTokens);
  }
  // temperature 0: the same prompt gives the same tokens.
  const again = await adapter.complete({ messages, sampling: bounded });
  expect(again.text).toBe(res.text);
}

describe.each(SERVERS)('managed lifecycle against $name', (server) => {
  const maybe = server.skip ? it.skip : it;
  const f = { startMs: [] as number[], crashMs: [] as number[], stopInFlightMs: [] as number[] };
  figures.set(server.name, f);

  maybe(
    `${RUNS} runs: start → healthy, bounded chat, kill -9 → restart → healthy, stop with a stream in flight${server.skip ? ` (${server.skip})` : ''}`,
    { timeout: 300_000 },
    async () => {
      for (let run = 0; run < RUNS; run++) {
        const w = await world();
        const port = await freePort();
        const { service, labels } = managed(w, port, server);

        let t0 = performance.now();
        const adapter = await service.ensureHealthy();
        f.startMs.push(performance.now() - t0);
        expect(labels).toContain('starting');
        const first = service.status().pid!;
        expect(first).toBeGreaterThan(0);
        expect(service.status().owned).toBe(true);
        // The id is the file name (build 9431) or the -m path as given (the stand-in, build 10587).
        expect(basename(await servedModel(`http://127.0.0.1:${port}`))).toBe(basename(server.model));
        if (run === 0) await chatBothWays(adapter);

        t0 = performance.now();
        process.kill(first, 'SIGKILL');
        await until(
          () => top(service) === 'healthy' && service.status().pid !== first && service.status().pid !== null,
          { what: `restarted and healthy (now ${top(service)})`, timeoutMs: 60_000 },
        );
        f.crashMs.push(performance.now() - t0);
        const second = service.status().pid!;
        expect(pidAlive(first)).toBe(false);
        const restarted = await service.ensureHealthy();
        if (run === 0) await chatBothWays(restarted);

        // A long (still bounded) generation; the stop comes once the first tokens are out.
        const inFlight = restarted.stream({
          messages: [{ role: 'user', content: 'Tell me a long story.' }],
          sampling: { maxTokens: 1_500, temperature: 0 },
        });
        const iterator = inFlight[Symbol.asyncIterator]();
        expect((await iterator.next()).done).toBe(false);
        const drained = (async () => {
          try {
            while (!(await iterator.next()).done) {
              /* keep reading until the server goes */
            }
            return 'ended';
          } catch (error) {
            return (error as { code?: string }).code ?? 'error';
          }
        })();
        t0 = performance.now();
        await service.stop();
        f.stopInFlightMs.push(performance.now() - t0);
        expect(top(service)).toBe('stopped');
        expect(pidAlive(second)).toBe(false);
        expect(existsSync(pidFilePath(w.stateDir, { id: 'llamacpp', kind: 'llamacpp', host: '127.0.0.1', port }))).toBe(
          false,
        );
        // The stream ends (cut or interrupted), it does not hang.
        expect(typeof (await drained)).toBe('string');
      }
      // The bound the stop promises: grace, then SIGKILL (plus the wait for the exit, on a loaded machine).
      expect(Math.max(...f.stopInFlightMs)).toBeLessThan(GRACE_MS + 5_000);
    },
  );

  maybe(
    'a taken port: PORT_IN_USE naming the holder, before the binary is spawned; the holder is left alone',
    async () => {
      const w = await world();
      const port = await freePort();
      const stranger = spawn(
        process.execPath,
        ['-e', `require('net').createServer(() => {}).listen(${port}, '127.0.0.1', () => console.log('up'))`],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      strangers.push(stranger);
      await new Promise<void>((done) => stranger.stdout.once('data', () => done()));
      const { service, labels } = managed(w, port, server);
      const error = await failureOf(service.ensureHealthy());
      expect(error.code).toBe('PORT_IN_USE');
      expect(error.message).toContain(String(stranger.pid));
      expect(labels).not.toContain('starting');
      expect(service.status().pid).toBeNull();
      expect(existsSync(pidFilePath(w.stateDir, { id: 'llamacpp', kind: 'llamacpp', host: '127.0.0.1', port }))).toBe(
        false,
      );
      expect(stranger.exitCode).toBeNull();
      await waitState(service, 'failed');
    },
  );
});
