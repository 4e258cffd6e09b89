// `acode providers|provider|models|status` end to end: the built CLI as a child process against the
// stand-in servers on PATH, free ports, a temp state dir. Build first: npx tsc -p tsconfig.json
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startTestServer, type TestServer } from '../servers/harness.js';
import { alive, portFree, project, providerYaml, type Project } from './project.js';

const VLLM_MODEL = 'meta-llama/Llama-2-7b-hf';

let projects: Project[] = [];
let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
  servers = [];
});

async function vllmProject(port: number, lifecycle: Record<string, string | number | boolean> = {}): Promise<Project> {
  const p = await project(
    `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port }, lifecycle)}`,
  );
  projects.push(p);
  return p;
}

const json = <T>(text: string): T => JSON.parse(text) as T;
interface Report {
  id: string;
  kind: string;
  state: string;
  model: string | null;
  pid: number | null;
  owned: boolean;
  port: number;
  modelName: string | null;
  lastError: { code: string } | null;
}
interface StopOutcome {
  id: string;
  action: string;
  state: string;
  pid: number | null;
  signal?: string;
  reason?: string;
}

describe('acode providers start|status|stop (built CLI, stand-in vLLM)', () => {
  it('round trip: start waits for healthy + model ready, status sees the same pid, stop leaves no process behind', async () => {
    const port = await freePort();
    const p = await vllmProject(port);

    const started = await p.acode(['providers', 'start', '--json']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toMatch(/vllm: detecting\n(.*\n)*vllm: starting\n(.*\n)*vllm: ready\n/);
    const [up] = json<Report[]>(started.stdout);
    expect(up).toMatchObject({
      id: 'vllm',
      kind: 'vllm',
      state: 'healthy',
      model: 'ready',
      owned: true,
      port,
      modelName: VLLM_MODEL,
    });
    const pid = up!.pid!;
    expect(pid).toEqual(expect.any(Number));
    expect(alive(pid)).toBe(true);

    // A status read adopts nothing and changes nothing: same pid, and the CLI's exit left the server up.
    const status = await p.acode(['providers', 'status', 'vllm', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(json<Report[]>(status.stdout)).toEqual([
      expect.objectContaining({ id: 'vllm', state: 'healthy', pid, owned: true }),
    ]);
    const one = await p.acode(['provider', 'status', '--json']);
    expect(json<Report>(one.stdout)).toMatchObject({ id: 'vllm', state: 'healthy', pid });
    const plain = await p.acode(['status']);
    expect(plain.stdout).toMatch(new RegExp(`^vllm state=healthy .*pid=${pid} port=${port} .*owned=yes`));

    const stopped = await p.acode(['providers', 'stop', '--json']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(json<StopOutcome[]>(stopped.stdout)).toEqual([
      expect.objectContaining({ id: 'vllm', action: 'stopped', state: 'stopped', pid, signal: 'SIGTERM' }),
    ]);
    expect(alive(pid)).toBe(false);
    expect(await portFree(port)).toBe(true);

    const after = await p.acode(['providers', 'status', '--json']);
    expect(json<Report[]>(after.stdout)).toEqual([
      expect.objectContaining({ id: 'vllm', state: 'stopped', pid: null }),
    ]);
    // Stopping again is not an error: there is nothing of ours to stop.
    const again = await p.acode(['providers', 'stop', 'vllm']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('vllm: not running (stopped)\n');
  }, 90_000);

  it('restart stops the server acode started and starts a new one', async () => {
    const port = await freePort();
    const p = await vllmProject(port);
    const first = json<Report[]>((await p.acode(['providers', 'start', 'vllm', '--json'])).stdout)[0]!;
    const r = await p.acode(['providers', 'restart', 'vllm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ stopped: StopOutcome[]; started: Report[] }>(r.stdout);
    expect(out.stopped).toEqual([expect.objectContaining({ action: 'stopped', pid: first.pid })]);
    expect(out.started).toEqual([expect.objectContaining({ state: 'healthy', model: 'ready', owned: true })]);
    expect(out.started[0]!.pid).not.toBe(first.pid);
    expect(alive(first.pid!)).toBe(false);
    expect(alive(out.started[0]!.pid!)).toBe(true);
  }, 90_000);

  it('status of a stopped provider starts nothing', async () => {
    const port = await freePort();
    const p = await vllmProject(port);
    for (const args of [
      ['providers', 'status', '--json'],
      ['status', '--json'],
    ]) {
      const r = await p.acode(args);
      expect(r.code, r.stderr).toBe(0);
      expect(json<Report[]>(r.stdout)).toEqual([
        expect.objectContaining({ id: 'vllm', state: 'stopped', pid: null, owned: false, lastError: null }),
      ]);
      expect(r.stderr).toBe('');
    }
    const one = await p.acode(['provider', 'status', 'vllm']);
    expect(one.stdout).toMatch(/^vllm state=stopped model=meta-llama\/Llama-2-7b-hf .*pid=- /);
    expect(await portFree(port)).toBe(true);
    expect(
      existsSync(join(p.stateDir, 'run'))
        ? readdirSync(join(p.stateDir, 'run')).filter((f) => f.endsWith('.json'))
        : [],
    ).toEqual([]);
    expect(p.recordedPids()).toEqual([]);
  }, 60_000);

  it('a monitored provider that is down is unavailable, with a hint, and is not started', async () => {
    const port = await freePort();
    const p = await vllmProject(port, { mode: 'monitored' });
    const r = await p.acode(['providers', 'status', '--json']);
    expect(json<Report[]>(r.stdout)).toEqual([
      expect.objectContaining({
        state: 'unavailable',
        lastError: expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE' }),
      }),
    ]);
    expect(await portFree(port)).toBe(true);
  }, 60_000);

  it('stop leaves a server it did not start running, and says so', async () => {
    const server = await startTestServer('vllm', { model: VLLM_MODEL });
    servers.push(server);
    const p = await vllmProject(server.port);
    const status = await p.acode(['providers', 'status', '--json']);
    expect(json<Report[]>(status.stdout)).toEqual([
      expect.objectContaining({ state: 'healthy', owned: false, pid: null }),
    ]);
    const r = await p.acode(['providers', 'stop', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json<StopOutcome[]>(r.stdout)).toEqual([
      expect.objectContaining({ id: 'vllm', action: 'left-running', state: 'healthy' }),
    ]);
    expect(r.stderr).toMatch(/^note: vllm: left running \(healthy\): acode did not start/);
    expect(server.child.exitCode).toBeNull();
    expect(alive(server.pid)).toBe(true);
  }, 60_000);

  it('an unknown provider id is PROVIDER_UNKNOWN (exit 2) listing the configured ids', async () => {
    const p = await vllmProject(await freePort());
    const r = await p.acode(['providers', 'status', 'vlm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[PROVIDER_UNKNOWN\]: No provider "vlm" is configured/);
    expect(r.stderr).toMatch(/hint: Use one of: .*vllm/);
  }, 30_000);
});

describe('acode models list|info (built CLI, stand-in vLLM)', () => {
  it('--no-start on a stopped provider refuses (exit 3) and starts nothing', async () => {
    const port = await freePort();
    const p = await vllmProject(port);
    const r = await p.acode(['models', 'list', '--no-start']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error\[PROVIDER_UNAVAILABLE\]: vllm is stopped, and --no-start/);
    expect(await portFree(port)).toBe(true);
    expect(p.recordedPids()).toEqual([]);
  }, 60_000);

  it('list starts a stopped managed provider, then list/info answer through it; an unknown model is MODEL_NOT_FOUND (exit 4)', async () => {
    const port = await freePort();
    const p = await vllmProject(port);
    const list = await p.acode(['models', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toMatch(/vllm: starting\n/);
    const listed = json<{ provider: string; models: Array<{ id: string }> }>(list.stdout);
    expect(listed.provider).toBe('vllm');
    expect(listed.models.map((m) => m.id)).toContain(VLLM_MODEL);
    expect(p.recordedPids().filter(alive)).toHaveLength(1);

    const text = await p.acode(['models', 'list', '--no-start']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^\\*\\s+${VLLM_MODEL.replace(/[.]/g, '\\.')}\\s`, 'm'));
    expect(text.stderr).not.toMatch(/starting/);

    const info = await p.acode(['models', 'info', '--json']);
    expect(info.code, info.stderr).toBe(0);
    expect(json<Record<string, unknown>>(info.stdout)).toMatchObject({ provider: 'vllm', id: VLLM_MODEL });

    const unknown = await p.acode(['models', 'info', 'no-such/model', '--provider', 'vllm']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/^error\[MODEL_NOT_FOUND\]: .*no-such\/model/m);
    expect(unknown.stdout).toBe('');
  }, 90_000);
});

describe('acode status --watch without a terminal (built CLI, stand-in vLLM)', () => {
  it('re-prints plain lines on change, adopts a server that appears, restarts it after a crash, exits 0 on Ctrl-C', async () => {
    const port = await freePort();
    const p = await vllmProject(port, { health_check_interval_seconds: 1 });
    const watch = p.live(['status', '--watch']);
    await watch.waitForStdout(/^vllm state=stopped .*pid=- /m);

    const started = await p.acode(['providers', 'start', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const pid = json<Report[]>(started.stdout)[0]!.pid!;
    // Detected at the next health interval and adopted: the machine checks the model, so it is ready.
    await watch.waitForStdout(
      new RegExp(`^vllm state=healthy model=\\S+ model_state=ready .*pid=${pid} .*owned=yes`, 'm'),
    );

    // While it runs the watch is the supervisor: a killed managed server of ours is restarted.
    process.kill(pid, 'SIGKILL');
    const out = await watch.waitForStdout(
      new RegExp(`^vllm state=healthy model=\\S+ model_state=ready .*pid=(?!${pid} )\\d+ .*restarts=1`, 'm'),
    );
    expect(out).toMatch(/^vllm state=(crashed|restarting|starting) /m);
    const restarted = Number(/state=healthy .*pid=(\d+) .*restarts=1/.exec(out)?.[1]);
    expect(alive(restarted)).toBe(true);

    watch.interrupt();
    expect(await watch.exited).toBe(0);
    // stop_on_exit is false: the server outlives the watch (cleanup kills it by pid).
    expect(alive(restarted)).toBe(true);
    expect(p.recordedPids()).toEqual([pid, restarted]);
  }, 120_000);
});
