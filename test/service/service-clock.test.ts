// The service machine's "now" (uptime, crash time, the restart window) comes from the clock in its
// input, not from XState's private system clock: an actor created without a clock option but with one
// in its input keeps the input's time.
import { createActor, SimulatedClock } from 'xstate';
import { describe, expect, it } from 'vitest';
import { serviceMachine } from '../../machines/service.machine.js';
import { FakeIo, drain, testRef } from './fakes.js';

describe('the service machine reads time from its input', () => {
  it("stamps startedAt with the input clock's now()", async () => {
    const io = new FakeIo({ detect: [{ kind: 'running' }], checkModel: [{ kind: 'ready' }] });
    const clock = new SimulatedClock();
    clock.set(1_234_000);
    // XState's own clock (the actor option) is left at its default: the real timers.
    const actor = createActor(serviceMachine.provide({ actors: io.actors() }), {
      input: { ref: testRef(), clock, random: () => 0.5 },
    });
    actor.start();
    actor.send({ type: 'START' });
    for (let i = 0; i < 10 && actor.getSnapshot().context.startedAt === null; i++) await drain();
    expect(actor.getSnapshot().context.startedAt).toBe(1_234_000);
    actor.stop();
  });
});
