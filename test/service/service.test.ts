// createService: ensureHealthy's promises (zero requests when ready, typed errors, a bounded wait),
// status(), stop() and requestFailed(), over fake actors and a SimulatedClock. No real time passes.
import { SimulatedClock } from 'xstate';
import type { InspectionEvent } from 'xstate';
import { describe, expect, it } from 'vitest';
import { AcodeError, isAcodeError } from '../../config/index.js';
import { createService } from '../../machines/index.js';
import type { Service } from '../../machines/index.js';
import { FakeIo, drain, testRef } from './fakes.js';

/** Runs resolved promises and 0-ms delays (the machine's settle steps) until things are quiet. */
async function pump(clock: SimulatedClock): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await drain();
    clock.increment(0);
  }
}

function setup(io: FakeIo, ref = testRef()) {
  const clock = new SimulatedClock();
  const commands: string[] = [];
  // Events sent to the service from outside (START, ENSURE ...), not timers or actors' replies.
  const inspect = (ev: InspectionEvent) => {
    if (ev.type === '@xstate.event' && !ev.sourceRef && !ev.event.type.startsWith('xstate.'))
      commands.push(ev.event.type);
  };
  const service = createService({
    ref,
    actors: io.actors(),
    createAdapter: io.createAdapter,
    clock,
    inspect,
    random: () => 0.5,
  });
  return { clock, service, commands };
}

async function settledOf(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await drain();
  return settled;
}

async function rejection(p: Promise<unknown>): Promise<AcodeError> {
  try {
    await p;
  } catch (error) {
    if (isAcodeError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const top = (s: Service) => s.status().state;

describe('ensureHealthy', () => {
  it('cold-starts once, then hands out the cached adapter with zero requests and no event', async () => {
    const io = new FakeIo({
      detect: [{ kind: 'absent' }],
      spawnServer: [{ pid: 42, adopted: false }],
      checkModel: [{ kind: 'ready' }],
    });
    const { clock, service, commands } = setup(io);
    const first = service.ensureHealthy();
    await pump(clock);
    const provider = await first;
    expect(io.calls).toMatchObject({ detect: 1, spawnServer: 1, checkModel: 1 });
    expect(io.adaptersCreated).toBe(1);
    expect(commands).toEqual(['ENSURE']);

    const before = { actors: io.total(), commands: commands.length };
    const again = await service.ensureHealthy();
    const third = await service.ensureHealthy();
    expect(again).toBe(provider);
    expect(third).toBe(provider);
    expect({ actors: io.total(), commands: commands.length }).toEqual(before);
    expect(io.adapterCalls).toEqual([]);
    expect(io.adaptersCreated).toBe(1);
  });

  it('throws the typed error recorded by the machine when it fails (port held by another process)', async () => {
    const io = new FakeIo({ detect: [{ kind: 'foreign', holder: 'nginx (pid 7)' }] });
    const { clock, service } = setup(io);
    const p = rejection(service.ensureHealthy());
    await pump(clock);
    const error = await p;
    expect(error).toBeInstanceOf(AcodeError);
    expect(error.code).toBe('PORT_IN_USE');
    expect(error.exitCode).toBe(3);
    expect(error.hint).toContain('providers.vllm.port');
    expect(error.details).toMatchObject({ provider: 'vllm', state: 'failed', holder: 'nginx (pid 7)' });
    expect(io.adaptersCreated).toBe(0);
  });

  it('re-detects on the next call after a failure the user can fix (port freed meanwhile)', async () => {
    const io = new FakeIo({ detect: [{ kind: 'foreign' }, { kind: 'running' }], checkModel: [{ kind: 'ready' }] });
    const { clock, service } = setup(io);
    const p1 = rejection(service.ensureHealthy());
    await pump(clock);
    expect((await p1).code).toBe('PORT_IN_USE');
    const p2 = service.ensureHealthy();
    await pump(clock);
    await expect(p2).resolves.toBeDefined();
    expect(service.status()).toMatchObject({ state: 'healthy', owned: false });
  });

  it('does not restart a crash-looping server: the error comes back at once, nothing is invoked', async () => {
    const io = new FakeIo({
      detect: [{ kind: 'absent' }],
      spawnServer: [{ pid: 42, adopted: false }],
      checkModel: [{ kind: 'ready' }],
    });
    const { clock, service, commands } = setup(io, testRef({ lifecycle: { maxRestarts: 0 } }));
    const p = service.ensureHealthy();
    await pump(clock);
    await p;
    io.senders.watchProcess?.({
      type: 'PROCESS_EXITED',
      exitCode: 1,
      signal: null,
      logTail: ['CUDA error: out of memory'],
    });
    await pump(clock);
    expect(top(service)).toBe('failed');
    const actorsBefore = io.total();
    const commandsBefore = commands.length;
    const error = await rejection(service.ensureHealthy());
    expect(error.code).toBe('CRASH_LOOP');
    expect(error.message).toContain('crash-looping: 1 exits in 60 s');
    expect(error.details.logTail).toEqual(['CUDA error: out of memory']);
    // The machine's ensureRetries guard refuses the ENSURE: nothing is invoked, the state stays failed.
    expect(commands.slice(commandsBefore)).toEqual(['ENSURE']);
    expect(io.total()).toBe(actorsBefore);
    expect(top(service)).toBe('failed');
  });

  it('gives up after the restart budget of start + model-load time plus a minute, with START_TIMEOUT', async () => {
    const io = new FakeIo({ detect: ['pending'] });
    const { clock, service } = setup(
      io,
      testRef({ lifecycle: { startTimeoutSeconds: 30, modelLoadTimeoutSeconds: 300, maxRestarts: 3 } }),
    );
    const p = rejection(service.ensureHealthy());
    await pump(clock);
    // (30 s + 300 s) x (3 restarts + the first start) + 60 s: the machine's own timeouts end a real wait first.
    clock.increment(1_379_999);
    expect(await settledOf(p)).toBe(false);
    clock.increment(1);
    const error = await p;
    expect(error.code).toBe('START_TIMEOUT');
    expect(error.details).toMatchObject({ state: 'detecting', boundMs: 1_380_000 });
  });

  it('waits through two crash restarts that together outlast one start + model load', async () => {
    // The crash-mid-request path: each step stays inside the machine's own timeouts (30 s each), but the
    // whole recovery takes 66 s of clock time, more than one start_timeout + model_load_timeout (60 s).
    const io = new FakeIo({
      detect: [{ kind: 'absent' }],
      spawnServer: [
        { pid: 42, adopted: false },
        { pid: 43, adopted: false },
        { pid: 44, adopted: false },
      ],
      checkModel: [{ kind: 'ready' }, 'pending', { kind: 'ready' }],
    });
    const { clock, service } = setup(
      io,
      testRef({ lifecycle: { startTimeoutSeconds: 30, modelLoadTimeoutSeconds: 30, maxRestarts: 3 } }),
    );
    const first = service.ensureHealthy();
    await pump(clock);
    const provider = await first;
    io.autoReady = false;
    const crash = () =>
      io.senders.watchProcess?.({ type: 'PROCESS_EXITED', exitCode: 137, signal: 'SIGKILL', logTail: [] });
    const poller = (type: 'PROBE_OK' | 'PROBE_LOADING') => io.senders.healthPoller?.({ type });

    crash();
    const recovered = service.ensureHealthy();
    await pump(clock);
    expect(top(service)).toBe('starting'); // the first restart does not back off
    clock.increment(25_000);
    poller('PROBE_LOADING');
    clock.increment(20_000);
    poller('PROBE_OK');
    await pump(clock);
    expect(service.status()).toMatchObject({ state: 'healthy', model: 'checking' });
    crash();
    await pump(clock);
    clock.increment(1_000); // the second restart's backoff (500 ms at this jitter)
    await pump(clock);
    expect(top(service)).toBe('starting');
    clock.increment(20_000);
    await pump(clock);
    expect(await settledOf(recovered)).toBe(false);
    poller('PROBE_OK');
    await pump(clock);
    expect(await recovered).toBe(provider);
    expect(io.count('spawnServer')).toBe(3);
  });

  it('keeps waiting past the bound while a pull is in progress', async () => {
    const io = new FakeIo({ detect: [{ kind: 'running' }], checkModel: [{ kind: 'absent' }, { kind: 'ready' }] });
    const { clock, service } = setup(
      io,
      testRef({ kind: 'ollama', lifecycle: { startTimeoutSeconds: 1, modelLoadTimeoutSeconds: 1 } }),
    );
    const p = service.ensureHealthy();
    await pump(clock);
    expect(service.status().model).toBe('pulling');
    io.senders.pullModel?.({
      type: 'PULL_PROGRESS',
      status: 'downloading',
      completed: 5,
      total: 10,
      bytesPerSecond: 1,
    });
    clock.increment(5_000);
    expect(await settledOf(p)).toBe(false);
    expect(service.status()).toMatchObject({ model: 'pulling', modelDetail: 'downloading 50%' });
    io.senders.pullModel?.({ type: 'PULL_DONE' });
    await pump(clock);
    await expect(p).resolves.toBeDefined();
  });

  it('rejects with ABORTED when the signal aborts, and stops listening', async () => {
    const io = new FakeIo({ detect: ['pending'] });
    const { clock, service } = setup(io);
    const ac = new AbortController();
    const p = rejection(service.ensureHealthy({ signal: ac.signal }));
    await pump(clock);
    ac.abort();
    expect((await p).code).toBe('ABORTED');
    expect((await rejection(service.ensureHealthy({ signal: ac.signal }))).code).toBe('ABORTED');
  });

  it('says how to pre-stage a model in airgapped mode', async () => {
    const io = new FakeIo({ detect: [{ kind: 'running' }], checkModel: [{ kind: 'absent' }] });
    const ref = testRef({ kind: 'ollama', mode: 'airgapped', lifecycle: { mode: 'monitored' } });
    const { clock, service } = setup(io, ref);
    const p = rejection(service.ensureHealthy());
    await pump(clock);
    const error = await p;
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.hint).toContain('ollama pull test-model');
    expect(io.count('pullModel')).toBe(0);
  });

  it('names systemctl when a monitored server is down', async () => {
    const io = new FakeIo({ detect: [{ kind: 'absent' }] });
    const { clock, service } = setup(io, testRef({ lifecycle: { mode: 'monitored' } }));
    const p = rejection(service.ensureHealthy());
    await pump(clock);
    const error = await p;
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.hint).toContain('systemctl');
    expect(io.count('spawnServer')).toBe(0);
  });

  it('fails loudly with INTERNAL when an actor was not provided', async () => {
    const clock = new SimulatedClock();
    const service = createService({ ref: testRef(), actors: {}, createAdapter: new FakeIo().createAdapter, clock });
    const p = rejection(service.ensureHealthy());
    await pump(clock);
    const error = await p;
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain("'detect' was not provided");
  });
});

describe('requestFailed', () => {
  it('re-probes once, and no adapter is handed out until the probe answers', async () => {
    let answer: (v: unknown) => void = () => {};
    const reprobe = new Promise((resolve) => (answer = resolve));
    const io = new FakeIo({ detect: [{ kind: 'running' }, reprobe], checkModel: [{ kind: 'ready' }] });
    const { clock, service } = setup(io);
    const p1 = service.ensureHealthy();
    await pump(clock);
    const provider = await p1;
    service.requestFailed(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await pump(clock);
    expect(io.count('detect')).toBe(2);
    const p2 = service.ensureHealthy();
    expect(await settledOf(p2)).toBe(false);
    answer({ kind: 'running' });
    await pump(clock);
    expect(await p2).toBe(provider);
    expect(io.count('detect')).toBe(2);
  });
});

describe('status and stop', () => {
  it('reports plain data: state, model, pid, ownership, uptime on the service clock', async () => {
    const io = new FakeIo({
      detect: [{ kind: 'absent' }],
      spawnServer: [{ pid: 42, adopted: false }],
      checkModel: [{ kind: 'ready' }],
    });
    const { clock, service } = setup(io);
    expect(service.status()).toMatchObject({ state: 'stopped', model: null, pid: null, uptimeMs: null });
    const p = service.ensureHealthy();
    await pump(clock);
    await p;
    clock.increment(1_500);
    const report = service.status();
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(report).toEqual({
      id: 'vllm',
      state: 'healthy',
      model: 'ready',
      modelDetail: 'test-model',
      pull: null,
      load: null,
      lifecycle: 'managed',
      mode: 'local-only',
      pid: 42,
      port: 8000,
      baseUrl: 'http://127.0.0.1:8000',
      owned: true,
      uptimeMs: 1_500,
      restartsInWindow: 0,
      lastError: null,
      degraded: null,
    });
  });

  it('stops a server it started through stopServer; one it adopted is left alone', async () => {
    const owned = new FakeIo({
      detect: [{ kind: 'absent' }],
      spawnServer: [{ pid: 42, adopted: false }],
      checkModel: [{ kind: 'ready' }],
      stopServer: [{ signal: 'SIGTERM' }],
    });
    const a = setup(owned);
    a.service.start();
    await pump(a.clock);
    const stopping = a.service.stop();
    await pump(a.clock);
    await stopping;
    expect(top(a.service)).toBe('stopped');
    expect(owned.count('stopServer')).toBe(1);

    const adopted = new FakeIo({ detect: [{ kind: 'running' }], checkModel: [{ kind: 'ready' }] });
    const b = setup(adopted);
    b.service.start();
    await pump(b.clock);
    expect(top(b.service)).toBe('healthy');
    await b.service.stop();
    expect(top(b.service)).toBe('stopped');
    expect(adopted.count('stopServer')).toBe(0);
  });

  it('dispose closes the adapter it handed out and stops the actor, not the server', async () => {
    const io = new FakeIo({ detect: [{ kind: 'running' }], checkModel: [{ kind: 'ready' }] });
    const { clock, service } = setup(io);
    const p = service.ensureHealthy();
    await pump(clock);
    await p;
    await service.dispose();
    expect(io.adapterCalls).toEqual(['close']);
    expect(service.actor.getSnapshot().status).toBe('stopped');
    expect(io.count('stopServer')).toBe(0);
  });
});
