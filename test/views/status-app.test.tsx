import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatusApp, type StatusActions, type StatusReport } from '../../cli/views/index.js';
import { frameLines, report } from './fixtures.js';

afterEach(() => cleanup());

const DOWN = '\u001b[B';
const UP = '\u001b[A';

/** A stand-in for the engine's report stream: push() delivers to every current listener. */
function reportHub() {
  const listeners = new Set<(reports: readonly StatusReport[]) => void>();
  const hub = {
    unsubscribed: 0,
    subscribe(listener: (reports: readonly StatusReport[]) => void) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        hub.unsubscribed += 1;
      };
    },
    push(reports: readonly StatusReport[]) {
      for (const listener of listeners) listener(reports);
    },
    get listeners() {
      return listeners.size;
    },
  };
  return hub;
}

function fakeActions(overrides: Partial<StatusActions> = {}) {
  return {
    start: vi.fn(async (_id: string) => {}),
    stop: vi.fn(async (_id: string) => {}),
    restart: vi.fn(async (_id: string) => {}),
    logTail: vi.fn(async (id: string): Promise<readonly string[]> => [`${id} says hello`, `${id} line two`]),
    ...overrides,
  };
}

const fleet = [report({ id: 'ollama' }), report({ id: 'vllm', port: 8000 }), report({ id: 'llama', port: 8080 })];
const selectedLine = (frame: string | undefined) => frameLines(frame).find((l) => l.startsWith('> '));
const WAIT = { timeout: 5_000, interval: 10 };

async function mountApp(actions = fakeActions()) {
  const hub = reportHub();
  const app = render(<StatusApp subscribe={hub.subscribe} actions={actions} color={false} width={80} />);
  // Subscribing happens in an effect; once it has run, the key handler is attached as well.
  await vi.waitFor(() => expect(hub.listeners).toBe(1), WAIT);
  hub.push(fleet);
  await vi.waitFor(() => expect(selectedLine(app.lastFrame())).toMatch(/^> ollama /), WAIT);
  return { app, hub, actions };
}

async function select(app: ReturnType<typeof render>, key: string, id: string) {
  app.stdin.write(key);
  await vi.waitFor(() => expect(selectedLine(app.lastFrame())).toMatch(new RegExp(`^> ${id} `)), WAIT);
}

describe('StatusApp', () => {
  it('waits for the first reports, then shows them with the first row selected', async () => {
    const hub = reportHub();
    const app = render(<StatusApp subscribe={hub.subscribe} actions={fakeActions()} color={false} width={80} />);
    expect(app.lastFrame()).toContain('waiting for status…');
    await vi.waitFor(() => expect(hub.listeners).toBe(1), WAIT);
    hub.push(fleet);
    await vi.waitFor(() => expect(selectedLine(app.lastFrame())).toMatch(/^> ollama /), WAIT);
    expect(app.lastFrame()).not.toContain('waiting for status');
  });

  it('moves the selection with j/k and the arrow keys, stopping at both ends', async () => {
    const { app } = await mountApp();
    await select(app, 'j', 'vllm');
    await select(app, DOWN, 'llama');
    await select(app, 'j', 'llama');
    await select(app, UP, 'vllm');
    await select(app, 'k', 'ollama');
    await select(app, 'k', 'ollama');
  });

  it('calls start, stop and restart with the selected id', async () => {
    const { app, actions } = await mountApp();
    await select(app, 'j', 'vllm');
    app.stdin.write('s');
    await vi.waitFor(() => expect(actions.start).toHaveBeenCalledWith('vllm'), WAIT);
    app.stdin.write('x');
    await vi.waitFor(() => expect(actions.stop).toHaveBeenCalledWith('vllm'), WAIT);
    await select(app, 'j', 'llama');
    app.stdin.write('r');
    await vi.waitFor(() => expect(actions.restart).toHaveBeenCalledWith('llama'), WAIT);
    await vi.waitFor(() => expect(app.lastFrame()).toContain('restart llama: done'), WAIT);
    expect(actions.start).toHaveBeenCalledTimes(1);
    expect(actions.stop).toHaveBeenCalledTimes(1);
    expect(actions.restart).toHaveBeenCalledTimes(1);
  });

  it('shows a failed action as error[CODE] with its hint', async () => {
    const failure = Object.assign(new Error('vllm: port 8000 is already in use.'), {
      code: 'ACODE_PORT_IN_USE',
      hint: 'Stop what holds port 8000.',
    });
    const { app } = await mountApp(
      fakeActions({
        start: vi.fn(async () => {
          throw failure;
        }),
      }),
    );
    app.stdin.write('s');
    await vi.waitFor(
      () => expect(app.lastFrame()).toContain('error[ACODE_PORT_IN_USE]: vllm: port 8000 is already in use.'),
      WAIT,
    );
    expect(app.lastFrame()).toContain('hint: Stop what holds port 8000.');
  });

  it('shows a plain failure by its message, a synchronous throw included', async () => {
    const { app } = await mountApp(
      fakeActions({
        stop: vi.fn(() => {
          throw new Error('engine is gone');
        }),
      }),
    );
    app.stdin.write('x');
    await vi.waitFor(() => expect(app.lastFrame()).toContain('engine is gone'), WAIT);
  });

  it('keeps the selection by id across pushes and falls back to the first row when it disappears', async () => {
    const { app, hub } = await mountApp();
    await select(app, 'j', 'vllm');
    hub.push([report({ id: 'new' }), ...fleet]);
    await vi.waitFor(() => expect(app.lastFrame()).toContain('  new '), WAIT);
    expect(selectedLine(app.lastFrame())).toMatch(/^> vllm /);
    hub.push([report({ id: 'ollama' })]);
    await vi.waitFor(() => expect(app.lastFrame()).not.toContain('vllm'), WAIT);
    expect(selectedLine(app.lastFrame())).toMatch(/^> ollama /);
  });

  it('shows the pushed state, not a stale one', async () => {
    const { app, hub } = await mountApp();
    hub.push([report({ id: 'ollama', state: 'crashed', restartsInWindow: 1 })]);
    await vi.waitFor(() => expect(selectedLine(app.lastFrame())).toMatch(/^> ollama +crashed /), WAIT);
    expect(app.lastFrame()).toContain('restarts 1');
  });

  it('toggles the log tail of the selected provider with l, and follows the selection', async () => {
    const { app, actions } = await mountApp();
    await select(app, 'j', 'vllm');
    app.stdin.write('l');
    await vi.waitFor(() => expect(app.lastFrame()).toContain('vllm says hello'), WAIT);
    expect(actions.logTail).toHaveBeenLastCalledWith('vllm');
    expect(app.lastFrame()).toContain('── log: vllm ');
    await select(app, 'j', 'llama');
    await vi.waitFor(() => expect(app.lastFrame()).toContain('llama says hello'), WAIT);
    app.stdin.write('l');
    await vi.waitFor(() => expect(app.lastFrame()).not.toContain('── log:'), WAIT);
    expect(app.lastFrame()).not.toContain('says hello');
  });

  it('reads the log again when the selected server changes state, keeping the old lines meanwhile', async () => {
    let reads = 0;
    const logTail = vi.fn(async (id: string) => {
      reads += 1;
      return [`${id} read ${reads}`];
    });
    const { app, hub } = await mountApp(fakeActions({ logTail }));
    app.stdin.write('l');
    await vi.waitFor(() => expect(app.lastFrame()).toContain('ollama read 1'), WAIT);
    hub.push([report({ id: 'ollama', uptimeMs: 9_000 }), ...fleet.slice(1)]);
    await vi.waitFor(() => expect(app.lastFrame()).toContain('up 0:00:09'), WAIT);
    expect(logTail).toHaveBeenCalledTimes(1);
    hub.push([report({ id: 'ollama', state: 'crashed' }), ...fleet.slice(1)]);
    await vi.waitFor(() => expect(app.lastFrame()).toContain('ollama read 2'), WAIT);
    expect(logTail).toHaveBeenCalledTimes(2);
  });

  it('shows a failed log read in the panel', async () => {
    const { app } = await mountApp(
      fakeActions({
        logTail: vi.fn(async () => {
          throw new Error('no log file yet');
        }),
      }),
    );
    app.stdin.write('l');
    await vi.waitFor(() => expect(app.lastFrame()).toContain('no log file yet'), WAIT);
  });

  it('exits on q, which unsubscribes from the engine', async () => {
    const { app, hub } = await mountApp();
    expect(hub.unsubscribed).toBe(0);
    app.stdin.write('q');
    await vi.waitFor(() => expect(hub.unsubscribed).toBe(1), WAIT);
    expect(hub.listeners).toBe(0);
  });

  it('colours the frame only when told to', async () => {
    const hub = reportHub();
    const app = render(<StatusApp subscribe={hub.subscribe} actions={fakeActions()} color={true} width={80} />);
    await vi.waitFor(() => expect(hub.listeners).toBe(1), WAIT);
    hub.push(fleet);
    await vi.waitFor(() => expect(app.lastFrame()).toContain('\u001b[32mhealthy'), WAIT);
  });
});
