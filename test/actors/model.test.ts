// checkModel and pullModel against the real Ollama and vLLM stand-ins.
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assign, createActor, setup, waitFor } from 'xstate';
import { createActorImplementations, type ActorEvent, type PullOutcomeEvent } from '../../actors/index.js';
import { resolveDeps } from '../../actors/deps.js';
import { spawnServer } from '../../actors/server-process.js';
import { detectService } from '../../actors/detect.js';
import { checkModel } from '../../actors/model.js';
import { pullModel } from '../../actors/pull-model.js';
import { PidLedger, freePort, removeDir, requireBuiltServers, serviceRef, tempStateDir, testEnv } from './helpers.js';
import { until } from '../support/processes.js';
import { providerConfig } from '../support/providers.js';

type PullEvent = ActorEvent | PullOutcomeEvent;
type Progress = Extract<ActorEvent, { type: 'PULL_PROGRESS' }>;

const ledger = new PidLedger();
let stateDir: string;

beforeAll(() => requireBuiltServers());
beforeEach(async () => {
  stateDir = await tempStateDir();
});
afterEach(async () => {
  await ledger.killAll(stateDir);
  await removeDir(stateDir);
});

/** HOME and OLLAMA_MODELS / HF_HOME inside the temp state dir: nothing touches the real home. */
function isolatedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return testEnv({ HOME: stateDir, OLLAMA_MODELS: join(stateDir, 'models'), HF_HOME: join(stateDir, 'hf'), ...extra });
}

async function startReady(kind: 'ollama' | 'vllm' | 'llamacpp', env: NodeJS.ProcessEnv) {
  const port = await freePort();
  const ref = serviceRef(providerConfig(kind, port), stateDir);
  const deps = resolveDeps({ env });
  const { pid } = await spawnServer(ref, deps);
  ledger.add(pid);
  await until(async () => (await detectService(ref, deps)).kind === 'running', {
    what: `${kind} ready`,
    timeoutMs: 20_000,
  });
  return { ref, deps };
}

function collectPull(ref: Parameters<typeof pullModel>[0], deps: Parameters<typeof pullModel>[1]) {
  const events: PullEvent[] = [];
  const stop = pullModel(ref, deps, (e) => events.push(e));
  const settled = () => events.some((e) => e.type === 'PULL_DONE' || e.type === 'PULL_FAILED');
  return { events, stop, settled };
}

describe('Ollama model check and pull', () => {
  it('absent → pull with progress summed over layers → PULL_DONE → ready', async () => {
    const { ref, deps } = await startReady(
      'ollama',
      isolatedEnv({ ACODE_FAKE_PULL_BYTES: '3000000', ACODE_FAKE_PULL_BPS: '6000000' }),
    );
    expect(await checkModel(ref, deps)).toEqual({ kind: 'absent' });
    const pull = collectPull(ref, deps);
    await until(pull.settled, { what: 'PULL_DONE', timeoutMs: 20_000 });
    pull.stop();
    expect(pull.events.at(-1)).toEqual({ type: 'PULL_DONE' });
    const progress = pull.events.filter((e): e is Progress => e.type === 'PULL_PROGRESS');
    expect(progress.length).toBeGreaterThan(1);
    const completed = progress.map((p) => p.completed);
    expect([...completed].sort((a, b) => a - b)).toEqual(completed);
    const last = progress.at(-1)!;
    expect(last.total).toBeGreaterThan(0);
    expect(last.completed).toBe(last.total);
    expect(last.status).toBe('success');
    expect(progress.some((p) => p.bytesPerSecond > 0)).toBe(true);
    expect(await checkModel(ref, deps)).toEqual({ kind: 'ready' });
  });

  it('a pull that fails mid-way → progress, then PULL_FAILED with the server reason', async () => {
    const { ref, deps } = await startReady(
      'ollama',
      isolatedEnv({
        ACODE_FAKE_PULL_BYTES: '3000000',
        ACODE_FAKE_PULL_FAIL_AT_PERCENT: '50',
        ACODE_FAKE_PULL_BPS: '6000000',
      }),
    );
    const pull = collectPull(ref, deps);
    await until(pull.settled, { what: 'PULL_FAILED', timeoutMs: 20_000 });
    pull.stop();
    const failed = pull.events.at(-1);
    expect(failed).toMatchObject({ type: 'PULL_FAILED', error: { code: 'PULL_FAILED' } });
    expect(JSON.stringify(failed)).toContain('unexpected EOF');
    const progress = pull.events.filter((e): e is Progress => e.type === 'PULL_PROGRESS');
    expect(progress.some((p) => p.completed > 0 && p.completed < p.total)).toBe(true);
    expect(await checkModel(ref, deps)).toEqual({ kind: 'absent' });
  });

  it('airgapped mode refuses the pull without touching the server, naming the model and how to pre-stage it', async () => {
    const port = await freePort();
    let adapters = 0;
    const deps = resolveDeps({
      createAdapter: () => {
        adapters += 1;
        throw new Error('no adapter in airgapped pull');
      },
    });
    const ref = { ...serviceRef(providerConfig('ollama', port), stateDir), mode: 'airgapped' as const };
    const pull = collectPull(ref, deps);
    pull.stop();
    expect(adapters).toBe(0);
    expect(pull.events).toHaveLength(1);
    const event = pull.events[0] as Extract<PullOutcomeEvent, { type: 'PULL_FAILED' }>;
    expect(event.error.code).toBe('AIRGAP_VIOLATION');
    expect(event.error.message).toContain('llama3.2:latest');
    expect(event.error.hint).toMatch(/pre-stage/i);
  });
});

describe('pullModel as XState logic', () => {
  it('an invoking machine receives the synchronous airgapped refusal as PULL_FAILED', async () => {
    const port = await freePort();
    const actors = createActorImplementations({
      createAdapter: () => {
        throw new Error('unused');
      },
    });
    const ref = { ...serviceRef(providerConfig('ollama', port), stateDir), mode: 'airgapped' as const };
    const machine = setup({ actors: { pullModel: actors.pullModel } }).createMachine({
      initial: 'pulling',
      context: { code: '' },
      states: {
        pulling: {
          invoke: { src: 'pullModel', input: ref },
          on: {
            PULL_FAILED: {
              target: 'failed',
              actions: assign({ code: ({ event }) => (event as unknown as { error: { code: string } }).error.code }),
            },
          },
        },
        failed: { type: 'final' },
      },
    });
    const actor = createActor(machine).start();
    const done = await waitFor(actor, (s) => s.status === 'done', { timeout: 5_000 });
    expect(done.context.code).toBe('AIRGAP_VIOLATION');
  });
});

describe('vLLM model check', () => {
  it('/v1/models lists the configured id → ready; another id → absent', async () => {
    const { ref, deps } = await startReady('vllm', isolatedEnv());
    expect(await checkModel(ref, deps)).toEqual({ kind: 'ready' });
    const other = { ...ref, provider: { ...ref.provider, model: 'Qwen/Qwen2.5-1.5B-Instruct' } };
    expect(await checkModel(other, deps)).toEqual({ kind: 'absent' });
  });
});

describe('llama-server model check', () => {
  it('ours: the -m in its pid file is the configured model → ready; the config names another file → absent', async () => {
    const { ref, deps } = await startReady('llamacpp', isolatedEnv());
    expect(await checkModel(ref, deps)).toEqual({ kind: 'ready' });
    const other = { ...ref, provider: { ...ref.provider, model: join(stateDir, 'other.gguf') } };
    expect(await checkModel(other, deps)).toEqual({ kind: 'absent' });
  });
});
