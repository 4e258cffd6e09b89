// A server that exits the moment it starts (`/bin/false` as the binary) is START_FAILED, never
// START_TIMEOUT: the spawn registers its exit listener before any await, so no exit slips past it. The
// start timeout is long on purpose: a missed exit shows up as the wrong code, not as a slow run.
import { afterEach, describe, expect, it } from 'vitest';
import { createActorImplementations } from '../../actors/index.js';
import { createService, type Service } from '../../machines/service.js';
import { freePort, removeDir, serviceRef, tempStateDir, testEnv } from '../actors/helpers.js';
import { providerConfig } from '../support/providers.js';

const RUNS = 200;
// Many lanes, few runs each: on a build that misses exits, the misses wait out their timeouts side by side.
const LANES = 25;
const START_TIMEOUT_SECONDS = 10;

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await removeDir(dir);
});

async function lane(runs: number): Promise<string[]> {
  const stateDir = await tempStateDir();
  dirs.push(stateDir);
  const provider = providerConfig('vllm', await freePort(), { binary: '/bin/false' });
  provider.lifecycle = { ...provider.lifecycle, startTimeoutSeconds: START_TIMEOUT_SECONDS };
  const codes: string[] = [];
  for (let i = 0; i < runs; i++) {
    const service: Service = createService({
      ref: serviceRef(provider, stateDir),
      actors: createActorImplementations({ env: testEnv() }),
    });
    try {
      await service.ensureHealthy();
      codes.push('healthy');
    } catch (error) {
      codes.push((error as { code?: string }).code ?? String(error));
    } finally {
      await service.dispose();
    }
  }
  return codes;
}

describe('a server that exits at once', () => {
  it(
    `is START_FAILED in ${RUNS} of ${RUNS} starts (${LANES} lanes side by side), never START_TIMEOUT`,
    async () => {
      const codes = (await Promise.all(Array.from({ length: LANES }, () => lane(RUNS / LANES)))).flat();
      const counts = new Map<string, number>();
      for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
      console.log(
        `exit-at-start: ${[...counts].map(([code, n]) => `${code}×${n}`).join(', ')} in ${RUNS} starts of /bin/false`,
      );
      expect(codes.filter((c) => c !== 'START_FAILED')).toEqual([]);
      expect(codes).toHaveLength(RUNS);
    },
    (START_TIMEOUT_SECONDS * (RUNS / LANES) + 60) * 1000,
  );
});
