// Two projects on one machine share the user's state directory. Both call their vLLM `vllm`, on
// different ports: each project's start, failing ask and stop must touch only its own server, and no
// server is ever left running without a pid file that lets its project stop it.
// Build first: npm run build
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../servers/harness.js';
import { alive, portFree, project, providerYaml, type Project } from './project.js';

const VLLM_MODEL = 'meta-llama/Llama-2-7b-hf';
// The stand-in exits at start with this set (inherited through acode): a start that fails.
const FAIL_AT_START = { ACODE_FAKE_EXIT_CODE: '1' };

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

async function vllmProject(port: number, stateDir?: string): Promise<Project> {
  const yaml = `providers:\n  active: vllm\n${providerYaml('vllm', { model: VLLM_MODEL, port }, { max_restarts: 0 })}`;
  const p = await project(yaml, stateDir === undefined ? {} : { stateDir });
  projects.push(p);
  return p;
}

const json = <T>(text: string): T => JSON.parse(text) as T;
interface Report {
  id: string;
  state: string;
  pid: number | null;
  owned: boolean;
  port: number;
}
interface StopOutcome {
  id: string;
  action: string;
  pid: number | null;
}

async function status(p: Project): Promise<Report> {
  const r = await p.acode(['providers', 'status', 'vllm', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return json<Report[]>(r.stdout)[0]!;
}

async function start(p: Project): Promise<number> {
  const r = await p.acode(['providers', 'start', 'vllm', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const [up] = json<Report[]>(r.stdout);
  expect(up).toMatchObject({ state: 'healthy', owned: true });
  return up!.pid!;
}

async function stop(p: Project): Promise<StopOutcome> {
  const r = await p.acode(['providers', 'stop', 'vllm', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return json<StopOutcome[]>(r.stdout)[0]!;
}

async function failingAsk(p: Project): Promise<void> {
  const r = await p.acode(['ask', 'hello'], { env: FAIL_AT_START });
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr).toMatch(/vllm: starting/);
}

describe('two projects, one state directory, the same provider id on different ports', { timeout: 180_000 }, () => {
  it('interleaved start / failing ask / stop: each project keeps and stops its own server, no orphan', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = await vllmProject(portA);
    const b = await vllmProject(portB, a.stateDir);

    const pidA = await start(a);
    // A third project on A's port names the same server: it sees A's, and would never start a second.
    const sameAsA = await vllmProject(portA, a.stateDir);
    expect(await status(sameAsA)).toMatchObject({ state: 'healthy', pid: pidA, owned: true });
    // B's start fails: its server exits at once. A's server must stay recorded as A's.
    await failingAsk(b);
    expect(await status(a)).toMatchObject({ state: 'healthy', pid: pidA, owned: true, port: portA });
    expect(await status(b)).toMatchObject({ state: 'stopped', pid: null });

    const pidB = await start(b);
    expect(pidB).not.toBe(pidA);
    expect(await status(a)).toMatchObject({ pid: pidA, owned: true });
    expect(await status(b)).toMatchObject({ pid: pidB, owned: true, port: portB });

    // A stops its own server only.
    expect(await stop(a)).toMatchObject({ action: 'stopped', pid: pidA });
    expect(alive(pidA)).toBe(false);
    expect(alive(pidB)).toBe(true);

    // A fails to start again while B's server runs: B's record survives it.
    await failingAsk(a);
    expect(await status(b)).toMatchObject({ state: 'healthy', pid: pidB, owned: true });
    expect(await stop(b)).toMatchObject({ action: 'stopped', pid: pidB });

    expect(alive(pidB)).toBe(false);
    expect([...a.recordedPids(), ...b.recordedPids()].filter(alive)).toEqual([]);
    expect(await portFree(portA)).toBe(true);
    expect(await portFree(portB)).toBe(true);
  });
});
