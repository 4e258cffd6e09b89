// A long-running `acode status --watch` follows edits of .agent/config.yml: a changed model restarts the
// server acode started (and only it), a changed interval touches no process, and a broken edit is
// reported while the last good config stays in force. The built CLI against the vLLM stand-in.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../servers/harness.js';
import { alive, project, providerYaml, type Project } from './project.js';

interface Report {
  id: string;
  state: string;
  model: string | null;
  pid: number | null;
  owned: boolean;
  modelName: string | null;
}

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

const configYaml = (port: number, model: string, interval: number): string =>
  `providers:\n  active: vllm\n${providerYaml('vllm', { model, port }, { health_check_interval_seconds: interval })}`;

/** The latest JSON line `status --watch --json` printed. */
function latest(stdout: string): Report[] {
  const lines = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('['));
  return JSON.parse(lines.at(-1) ?? '[]') as Report[];
}

describe('config reload while `acode status --watch` runs (built CLI, stand-in vLLM)', () => {
  it('restarts our server for a model change, applies a timing change without a restart, keeps running on a broken edit', async () => {
    const port = await freePort();
    const p = await project(configYaml(port, 'Qwen/Qwen2.5-0.5B-Instruct', 60));
    projects.push(p);
    const file = join(p.dir, '.agent', 'config.yml');

    const started = await p.acode(['providers', 'start', 'vllm', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const first = (JSON.parse(started.stdout) as Report[])[0]!;
    expect(first).toMatchObject({ state: 'healthy', owned: true, modelName: 'Qwen/Qwen2.5-0.5B-Instruct' });

    const watch = p.live(['status', '--watch', '--json']);
    await watch.waitForStdout(new RegExp(`"pid":${first.pid}`));

    // The model changes: the server acode started is stopped and started again with the new model.
    await writeFile(file, configYaml(port, 'Qwen/Qwen2.5-1.5B-Instruct', 60));
    await watch.waitForStderr(/acode: config reloaded from .*config\.yml: vllm restarting with the new settings/);
    await watch.waitForStdout(/"modelName":"Qwen\/Qwen2\.5-1\.5B-Instruct"/);
    await expect
      .poll(() => latest(watch.stdout())[0], { timeout: 30_000 })
      .toMatchObject({ state: 'healthy', model: 'ready', modelName: 'Qwen/Qwen2.5-1.5B-Instruct', owned: true });
    const second = latest(watch.stdout())[0]!;
    expect(second.pid).not.toBe(first.pid);
    expect(alive(first.pid!)).toBe(false);
    expect(alive(second.pid!)).toBe(true);

    // A broken edit: reported with the file's position, nothing restarted, the watch goes on.
    const good = await readFile(file, 'utf8');
    await writeFile(file, good.replace(`port: ${port}`, 'port: "not a port"'));
    await watch.waitForStderr(
      /error\[CONFIG_INVALID\]: edit not applied, still running on the last good config: .*config\.yml is not valid/,
    );
    expect(watch.stderr()).toMatch(/hint: /);
    expect(alive(second.pid!)).toBe(true);

    // Only the interval changes: applied without touching the process.
    await writeFile(file, configYaml(port, 'Qwen/Qwen2.5-1.5B-Instruct', 5));
    await watch.waitForStderr(/config reloaded from .*: vllm updated/);
    expect(latest(watch.stdout())[0]).toMatchObject({ pid: second.pid, modelName: 'Qwen/Qwen2.5-1.5B-Instruct' });
    expect(alive(second.pid!)).toBe(true);

    watch.interrupt();
    expect(await watch.exited).toBe(0);
    const stopped = await p.acode(['providers', 'stop', 'vllm', '--json']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(alive(second.pid!)).toBe(false);
    expect(p.startedPids()).toEqual([]);
  }, 120_000);
});
