// Item 12.6: the logger reaches the actors through their deps (ActorDeps.log) and options (a lock's
// `log`), not a global: a test hands in a recording logger and reads what a lock wait, a restart and a
// stop said. The stand-in llama-server runs as a real child.
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAcodeError } from '../../config/index.js';
import { acquireFileLock } from '../../actors/index.js';
import { resolveDeps } from '../../actors/deps.js';
import { spawnServer } from '../../actors/server-process.js';
import { stopServer } from '../../actors/stop-server.js';
import type { LogFields, Logger } from '../../log/index.js';
import {
  PidLedger,
  freePort,
  removeDir,
  requireBuiltServers,
  serviceRef,
  tempStateDir,
  testEnv,
} from '../actors/helpers.js';
import { providerConfig } from '../support/providers.js';

type Line = { level: string; msg: string } & LogFields;

function recordingLogger(lines: Line[], bindings: LogFields = {}): Logger {
  const at = (level: string) => (fields: LogFields, msg: string) =>
    void lines.push({ ...bindings, ...fields, level, msg });
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

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

describe('actor logs through the injected logger', () => {
  it('a lock held by a live owner: one "waiting" line naming it, then the give-up at the timeout', async () => {
    const lines: Line[] = [];
    const file = join(stateDir, 'run', 'x.lock');
    const held = await acquireFileLock(file, { id: 'x', what: 'the start lock' });
    const error = await acquireFileLock(
      file,
      { id: 'x', what: 'the start lock' },
      { timeoutMs: 300, retryMs: 20, log: recordingLogger(lines) },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    await held.release();
    expect(isAcodeError(error) && error.code).toBe('LOCK_TIMEOUT');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'waiting for a lock'],
      ['warn', 'gave up waiting for a lock'],
    ]);
    expect(lines[0]).toMatchObject({ file, holderPid: process.pid });
  });

  it('a restart is logged as one, with the count; the stop logs its SIGTERM', async () => {
    const lines: Line[] = [];
    const port = await freePort();
    const ref = {
      ...serviceRef(providerConfig('llamacpp', port), stateDir),
      restarts: [Date.now() - 1_000, Date.now()],
    };
    const deps = resolveDeps({ env: testEnv(), log: recordingLogger(lines) });
    const result = await spawnServer(ref, deps);
    ledger.add(result.pid);
    await stopServer({ ...ref, pid: result.pid!, graceMs: 5_000 }, deps);
    const byMsg = (msg: string) => lines.find((l) => l.msg === msg);
    expect(byMsg('lock acquired')).toMatchObject({ level: 'debug', provider: 'llamacpp' });
    expect(byMsg('port free')).toMatchObject({ level: 'debug', port });
    expect(byMsg('restarted server')).toMatchObject({
      level: 'info',
      provider: 'llamacpp',
      serverPid: result.pid,
      restarts: 2,
    });
    expect(byMsg('sent SIGTERM')).toMatchObject({ level: 'info', serverPid: result.pid });
    expect(byMsg('spawned server')).toBeUndefined();
  });
});
