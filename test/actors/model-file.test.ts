// llama-server's -m is a file: a path that is not there is MODEL_NOT_FOUND naming it, before any spawn
// (the server would only exit 1 with "failed to open GGUF file" after binding its port).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeFor, isAcodeError, type AcodeError } from '../../config/index.js';
import { buildLaunch, logFilePath, readPidFile } from '../../actors/index.js';
import { resolveDeps } from '../../actors/deps.js';
import { spawnServer } from '../../actors/server-process.js';
import { STAGED_GGUF } from '../servers/harness.js';
import { PidLedger, freePort, removeDir, serviceRef, tempStateDir, testEnv } from './helpers.js';
import { providerConfig } from '../support/providers.js';

const ledger = new PidLedger();
let stateDir: string;
beforeEach(async () => {
  stateDir = await tempStateDir();
});
afterEach(async () => {
  await ledger.killAll(stateDir);
  await removeDir(stateDir);
});

async function refusal(promise: Promise<unknown>): Promise<AcodeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAcodeError(error)) throw new Error(`expected an AcodeError, got ${String(error)}`);
  return error;
}

describe('llamacpp model file', () => {
  it('a missing path is MODEL_NOT_FOUND naming it, exit code 4, with the key to set', async () => {
    const error = await refusal(
      buildLaunch(providerConfig('llamacpp', 1, { model: '/nonexistent/models/tiny.gguf' }), 'local-only', testEnv()),
    );
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toBe('llamacpp: the model file /nonexistent/models/tiny.gguf does not exist.');
    expect(error.hint).toMatch(/^Set providers\.llamacpp\.model to the path of a \.gguf file/);
    expect(exitCodeFor(error)).toBe(4);
  });

  it('a relative path is named as resolved from the working directory', async () => {
    const error = await refusal(
      buildLaunch(providerConfig('llamacpp', 1, { model: 'no-such-model.gguf' }), 'local-only', testEnv()),
    );
    expect(error.message).toContain(resolve('no-such-model.gguf'));
  });

  it('spawnServer refuses before spawning: no pid file, no log, no process', async () => {
    const port = await freePort();
    const ref = serviceRef(providerConfig('llamacpp', port, { model: '/nonexistent/tiny.gguf' }), stateDir);
    const error = await refusal(spawnServer(ref, resolveDeps({ env: testEnv() })));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(await readPidFile(stateDir, ref.provider)).toBeUndefined();
    expect(existsSync(logFilePath(stateDir, ref.provider))).toBe(false);
  });

  it('an existing file, or a download flag (-m is then the destination), starts as before', async () => {
    expect(
      (await buildLaunch(providerConfig('llamacpp', 1, { model: STAGED_GGUF }), 'local-only', testEnv())).args[1],
    ).toBe(STAGED_GGUF);
    const download = providerConfig('llamacpp', 1, { model: '/nonexistent/dl.gguf', args: ['-hf', 'org/repo'] });
    expect((await buildLaunch(download, 'local-only', testEnv())).args).toContain('-hf');
  });
});
