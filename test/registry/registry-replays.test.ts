// Registry replays: scripted configs, fake servers and steps in, the exact spawned services, per-service
// state paths and answers out. The real registry and service machines run; only I/O is faked.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAcodeError, type OperatingMode } from '../../config/index.js';
import type { ModelProvider, StreamChunk } from '../../adapters/index.js';
import type { SerializedError } from '../../actors/index.js';
import { serviceMachine } from '../../machines/service.machine.js';
import { createRegistry, type Registry } from '../../machines/registry.js';
import { answer } from '../../machines/request.js';
import { config, fakeProvider, gone } from './fixtures.js';
import { fakeServers, type FakeServer } from './fake-actors.js';

interface Replay {
  name: string;
  config: { providers: string[]; remote?: string[]; active: string; fallback?: string[]; mode?: OperatingMode };
  servers?: Record<string, { spawnError?: SerializedError; up?: boolean }>;
  adapters?: Record<string, { killAfterChunks?: number }>;
  steps: ({ ask: { preferred?: string } } | { getProvider: string })[];
  expect: {
    spawned: string[];
    answers: Record<string, unknown>[];
    paths: Record<string, string[]>;
    spawns?: Record<string, number>;
  };
}

const DIR = join(import.meta.dirname, 'replays');
const REPLAYS = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ file: f, replay: JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Replay }));
const PIECES = ['Hello', ' world.'];

let registries: Registry[] = [];
afterEach(async () => {
  await Promise.all(registries.map((r) => r.dispose()));
  registries = [];
});

// A scripted adapter: answers PIECES; `killAfterChunks` kills its server mid-stream once.
function scriptedAdapter(
  id: string,
  server: () => FakeServer,
  script: { killAfterChunks?: number } = {},
): ModelProvider {
  const inner = fakeProvider({ id, pieces: PIECES });
  let killed = false;
  return {
    ...inner,
    async *stream(req, opts): AsyncIterable<StreamChunk> {
      let n = 0;
      for await (const chunk of inner.stream(req, opts)) {
        if (
          !killed &&
          script.killAfterChunks !== undefined &&
          n === script.killAfterChunks - 1 &&
          chunk.type === 'text'
        ) {
          yield chunk;
          killed = true;
          server().kill();
          throw gone(n + 1);
        }
        if (chunk.type === 'text') n++;
        yield chunk;
      }
    },
  };
}

async function run(replay: Replay) {
  const c = replay.config;
  const cfg = config(c.providers, {
    active: c.active,
    fallback: c.fallback ?? [],
    mode: c.mode ?? 'local-only',
    remote: c.remote ?? [],
  });
  const { servers, actors } = fakeServers(replay.servers ?? {});
  const registry = createRegistry({
    config: cfg,
    stateDir: '/nonexistent',
    serviceLogic: serviceMachine.provide({ actors }),
    serviceInput: { random: () => 0, backoff: { baseMs: 1, capMs: 1 } },
    createAdapter: (pc) => scriptedAdapter(pc.id, () => servers.get(pc.id) as FakeServer, replay.adapters?.[pc.id]),
  });
  registries.push(registry);
  const paths: Record<string, string[]> = {};
  registry.onStatus((s) => {
    const path = (paths[s.id] ??= []);
    if (path.at(-1) !== s.state) path.push(s.state);
  });
  const answers: Record<string, unknown>[] = [];
  for (const step of replay.steps) {
    try {
      if ('ask' in step) {
        const a = await answer(registry, { messages: [{ role: 'user', content: 'hi' }] }, step.ask);
        answers.push({
          provider: a.provider,
          text: a.text,
          retries: a.retries.length,
          fallbacks: a.fallbacks.map((f) => ({ id: f.id, code: f.code })),
        });
      } else {
        answers.push({ provider: (await registry.getProvider(step.getProvider)).id });
      }
    } catch (error) {
      if (!isAcodeError(error)) throw error;
      answers.push({ error: { code: error.code, message: error.message, hint: error.hint } });
    }
  }
  const spawned = Object.keys(registry.actor.getSnapshot().context.services);
  const spawns = Object.fromEntries([...servers].map(([id, s]) => [id, s.spawns]));
  return { spawned, answers, paths, spawns };
}

describe('registry replays', () => {
  it('has replays for lazy spawn, fallback and mode refusals', () => {
    expect(REPLAYS.map((r) => r.file)).toEqual(
      expect.arrayContaining([
        'lazy-spawn.json',
        'fallback-cannot-start.json',
        'airgapped-remote.json',
        'local-only-remote.json',
      ]),
    );
  });

  it.each(REPLAYS)('$file', async ({ replay }) => {
    const got = await run(replay);
    expect(got.spawned).toEqual(replay.expect.spawned);
    expect(got.paths).toEqual(replay.expect.paths);
    expect(got.answers).toHaveLength(replay.expect.answers.length);
    replay.expect.answers.forEach((want, i) => expect(got.answers[i]).toMatchObject(want));
    if (replay.expect.spawns) expect(got.spawns).toMatchObject(replay.expect.spawns);
  });
});
