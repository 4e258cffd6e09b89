// A remote base_url whose host name does not resolve (built CLI, burst mode, so the remote provider is
// allowed and the lookup really happens): HOST_UNRESOLVED naming the host, exit 6; `provider status`
// does not call it a port conflict on 443. The resolver is replaced in the CLI process (no-resolver.mjs):
// no DNS query leaves the machine.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { project, type Project } from './project.js';

const NO_RESOLVER = fileURLToPath(new URL('./no-resolver.mjs', import.meta.url));
const HOST = 'llm.example.invalid';

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

async function remoteProject(
  lifecycle: 'external' | 'monitored',
): Promise<{ p: Project; env: Record<string, string>; lookups: () => string[] }> {
  const p = await project(
    [
      'mode: burst',
      'providers:',
      '  active: remote',
      '  remote:',
      '    type: openai-compatible',
      `    base_url: "https://${HOST}/v1"`,
      '    model: "some-model"',
      `    lifecycle: { mode: ${lifecycle} }`,
      '',
    ].join('\n'),
  );
  projects.push(p);
  const log = join(p.dir, 'lookups.txt');
  const env = { NODE_OPTIONS: `--import=${NO_RESOLVER}`, ACODE_TEST_LOOKUPS: log };
  return { p, env, lookups: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
}

describe('a base_url whose host does not resolve', { timeout: 60_000 }, () => {
  it('provider status: failed with HOST_UNRESOLVED naming the host, not PORT_IN_USE on 443', async () => {
    const { p, env, lookups } = await remoteProject('monitored');
    const r = await p.acode(['provider', 'status', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      state: string;
      lastError: { code: string; message: string; hint: string };
    };
    expect(lookups()).toContain(HOST);
    expect(report.state).toBe('failed');
    expect(report.lastError.code).toBe('HOST_UNRESOLVED');
    expect(report.lastError.message).toContain(HOST);
    expect(report.lastError.message).not.toMatch(/port 443|PORT_IN_USE/);
    expect(report.lastError.hint).toMatch(/providers\.remote\.base_url/);
  });

  it('ask: error[HOST_UNRESOLVED] naming the host, exit 6, no stack trace', async () => {
    const { p, env, lookups } = await remoteProject('external');
    const r = await p.acode(['ask', 'hello'], { env });
    expect(lookups()).toContain(HOST);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error\\[HOST_UNRESOLVED\\]: remote: the host name ${HOST.replace(/\./g, '\\.')} .*does not resolve`,
        'm',
      ),
    );
    expect(r.stderr).toMatch(/^hint: Check the host in providers\.remote\.base_url/m);
    expect(r.stderr).not.toMatch(/INTERNAL|bug in acode|\n\s+at /);
  });
});
