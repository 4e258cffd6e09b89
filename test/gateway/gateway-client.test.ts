// Which gateway.json names a running gateway: the recorded process itself (pid, start time, boot),
// never whatever process holds that pid now.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayRecordPath, runningGateway } from '../../cli/commands/gateway-client.js';
import { processStamp } from '../../actors/index.js';

let dirs: string[] = [];
let children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
  children = [];
});

/** Another live process: the one a reused pid now belongs to. */
async function otherProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child.pid!;
}

async function stateDirWith(record: unknown): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'acode-gw-client-'));
  dirs.push(dir);
  await writeFile(gatewayRecordPath(dir), JSON.stringify(record));
  return { ACODE_STATE_DIR: dir };
}

describe('runningGateway', () => {
  it('a stale gateway.json whose pid another process now holds is no running gateway', async () => {
    const pid = await otherProcess();
    const stamp = (await processStamp(pid))!;
    const stale = { pid, url: 'http://127.0.0.1:1', startedAt: '2026-01-01T00:00:00.000Z' };
    // The old format (pid only) and a stamp of the process that had the pid before: both not running.
    expect(await runningGateway(await stateDirWith(stale))).toBeUndefined();
    expect(
      await runningGateway(await stateDirWith({ ...stale, startTime: `${stamp.startTime}1`, bootId: stamp.bootId })),
    ).toBeUndefined();
    // The recorded process itself is.
    expect(await runningGateway(await stateDirWith({ ...stale, ...stamp }))).toMatchObject({ pid });
  });

  it('a gateway.json whose process is a zombie (exited, never reaped) is no running gateway', async () => {
    // sh starts a child that exits once sh has become `sleep`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(parent);
    const pid = Number(
      await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(String(d)))),
    );
    const stat = async () => readFile(`/proc/${pid}/stat`, 'utf8');
    while (!/\) Z /.test(await stat())) await new Promise((r) => setTimeout(r, 10));
    const text = await stat();
    const startTime = text.slice(text.lastIndexOf(')') + 2).split(' ')[19]!;
    const { bootId } = (await processStamp(process.pid))!;
    const record = { pid, startTime, bootId, url: 'http://127.0.0.1:1', startedAt: '' };
    expect(await runningGateway(await stateDirWith(record))).toBeUndefined();
  });
});
