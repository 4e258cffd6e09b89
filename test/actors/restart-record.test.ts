// A restart is recorded with the server it starts (pid file `restarts`), so another acode process can
// show how often acode restarted it; a first start records none.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readPidFile } from '../../actors/index.js';
import { resolveDeps } from '../../actors/deps.js';
import { spawnServer } from '../../actors/server-process.js';
import { spawnInput } from '../../machines/service-actors.js';
import { initialContext } from '../../machines/service-setup.js';
import { PidLedger, freePort, removeDir, requireBuiltServers, serviceRef, tempStateDir, testEnv } from './helpers.js';
import { providerConfig } from '../support/providers.js';

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

describe('restarts in the pid file', () => {
  it('the service machine hands its restarts in the window to the spawn, none on a first start', () => {
    const ref = serviceRef(providerConfig('vllm', 1), '/state');
    const context = initialContext({ ref });
    expect(spawnInput({ context })).toEqual(ref);
    expect(spawnInput({ context: { ...context, restarts: [1_000, 2_000] } })).toEqual({
      ...ref,
      restarts: [1_000, 2_000],
    });
  });

  it('spawnServer writes them as ISO times', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const t = Date.UTC(2026, 11, 2, 1, 0, 0);
    const result = await spawnServer(
      { ...serviceRef(providerConfig('vllm', port), stateDir), restarts: [t] },
      resolveDeps({ env: testEnv() }),
    );
    ledger.add(result.pid);
    expect((await readPidFile(stateDir, providerConfig('vllm', port)))?.restarts).toEqual(['2026-12-02T01:00:00.000Z']);
  });
});
