// Managed servers are started bound to loopback only: the argv (or OLLAMA_HOST) acode passes, and the
// sockets the running process actually listens on, read from /proc.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActorImplementations, isAcodeError } from './chaos-deps.js';
import { isLoopbackHost } from '../../adapters/index.js';
import { createService } from '../../machines/index.js';
import { freePort } from '../servers/harness.js';
import {
  PidLedger,
  listeningSockets,
  procCmdline,
  procEnviron,
  CHAOS_LIFECYCLE,
  requireBuilt,
  socketInodes,
  standInEnv,
} from './helpers.js';
import { tempDir } from '../support/temp-dir.js';
import { providerConfig } from '../support/providers.js';

const ledger = new PidLedger();
let state: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  requireBuilt();
  state = await tempDir('loopback');
});
afterAll(async () => {
  ledger.killAll();
  await state.cleanup();
});

describe('chaos: managed servers bind loopback only', () => {
  it.each(['llamacpp', 'vllm', 'ollama'] as const)(
    '%s: argv/env name 127.0.0.1 and every listening socket is loopback',
    async (kind) => {
      const port = await freePort();
      const service = createService({
        ref: {
          provider: providerConfig(kind, port, { lifecycle: CHAOS_LIFECYCLE }),
          mode: 'local-only',
          stateDir: state.dir,
        },
        actors: createActorImplementations({
          env: standInEnv(
            kind === 'ollama' ? { OLLAMA_MODELS: `${state.dir}/models-${port}`, ACODE_FAKE_PULL_BYTES: '200000' } : {},
          ),
        }),
      });
      try {
        await service.ensureHealthy();
        const pid = service.status().pid;
        ledger.add(pid);
        expect(pid).toBeTypeOf('number');
        const argv = procCmdline(pid!);
        if (kind === 'ollama') {
          expect(argv.slice(-1)).toEqual(['serve']);
          expect(procEnviron(pid!).OLLAMA_HOST).toBe(`127.0.0.1:${port}`);
        } else {
          const host = argv[argv.indexOf('--host') + 1];
          expect(argv).toContain('--host');
          expect(host).toBe('127.0.0.1');
        }
        const mine = socketInodes(pid!);
        const listening = listeningSockets().filter((s) => mine.has(s.inode));
        expect(listening.map((s) => s.port)).toContain(port);
        expect(listening.filter((s) => !isLoopbackHost(s.address))).toEqual([]);
        console.log(
          `chaos: loopback ${kind} pid ${pid} argv host ${kind === 'ollama' ? procEnviron(pid!).OLLAMA_HOST : argv[argv.indexOf('--host') + 1]}, ` +
            `listening ${listening.map((s) => `${s.address}:${s.port}`).join(' ')}`,
        );
      } finally {
        await service.stop().catch(() => undefined);
        await service.dispose();
      }
    },
  );

  it('a non-loopback host is refused before anything is spawned', async () => {
    const port = await freePort();
    const service = createService({
      ref: {
        provider: { ...providerConfig('llamacpp', port, { lifecycle: CHAOS_LIFECYCLE }), host: '0.0.0.0' },
        mode: 'local-only',
        stateDir: state.dir,
      },
      actors: createActorImplementations({ env: standInEnv() }),
    });
    try {
      const error = await service.ensureHealthy().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAcodeError(error)).toBe(true);
      expect((error as { code: string }).code).toMatch(/MODE_FORBIDDEN|AIRGAP_VIOLATION/);
      expect(service.status().pid).toBeNull();
      expect(listeningSockets().filter((s) => s.port === port)).toEqual([]);
      console.log(
        `chaos: loopback host 0.0.0.0 refused with ${(error as { code: string }).code}, nothing listening on ${port}`,
      );
    } finally {
      await service.dispose();
    }
  });
});
