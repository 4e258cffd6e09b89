// Each error code is built by one factory: every place that reports the same failure says it in the
// same words (message, hint), whether it is the registry, a CLI command or the service machine.
import { afterEach, describe, expect, it } from 'vitest';
import { applyEnvOverrides, isAcodeError, type AcodeConfig, type ProviderConfig } from '../../config/index.js';
import { createRegistry, type Registry } from '../../machines/registry.js';
import { modeForbiddenError, portTakenError } from '../../machines/service-errors.js';
import { modeRefusalError } from '../../machines/policy.js';
import { probeProvider, providerById } from '../../cli/commands/provider-reports.js';
import { config } from './fixtures.js';
import { fakeServiceLogic, type FakeScript } from './fake-service.js';

let registries: Registry[] = [];
afterEach(async () => {
  await Promise.all(registries.map((r) => r.dispose()));
  registries = [];
});

function thrown(fn: () => unknown): { code: string; message: string; hint: string } {
  try {
    fn();
  } catch (error) {
    if (!isAcodeError(error)) throw error;
    return { code: error.code, message: error.message, hint: error.hint };
  }
  throw new Error('did not throw');
}

const withFile = (cfg: AcodeConfig): AcodeConfig => ({ ...cfg, file: '/project/.agent/config.yml' });

describe('one factory per error code', () => {
  it('PROVIDER_UNKNOWN: the registry and the CLI say the same thing for the same id', async () => {
    const cfg = withFile(config(['vllm', 'ollama'], { active: 'vllm' }));
    const script: FakeScript = { outcomes: {}, started: [], stopped: [] };
    const registry = createRegistry({
      config: cfg,
      stateDir: '/nonexistent',
      serviceLogic: fakeServiceLogic(script),
    });
    registries.push(registry);
    const fromRegistry = await registry.getProvider('vlm').then(
      () => undefined,
      (e: { code: string; message: string; hint: string }) => ({ code: e.code, message: e.message, hint: e.hint }),
    );
    const fromCli = thrown(() => providerById(cfg, 'vlm'));
    expect(fromCli).toEqual(fromRegistry);
    expect(fromCli).toEqual({
      code: 'PROVIDER_UNKNOWN',
      message: 'No provider "vlm" is configured in /project/.agent/config.yml (did you mean \'vllm\'?).',
      hint: 'Use one of: vllm, ollama.',
    });
  });

  it('PROVIDER_UNKNOWN from ACODE_PROVIDER names the variable and how to unset it', () => {
    const cfg = config(['vllm', 'ollama'], { active: 'vllm' });
    expect(thrown(() => applyEnvOverrides(cfg, { ACODE_PROVIDER: 'olama' }))).toEqual({
      code: 'PROVIDER_UNKNOWN',
      message: "ACODE_PROVIDER=olama names no provider (did you mean 'ollama'?).",
      hint: 'Set ACODE_PROVIDER to one of: vllm, ollama (or unset it to use providers.active).',
    });
  });

  it('the mode refusal: `acode status`, the service machine and the registry use the same words', async () => {
    const cfg = config(['vllm'], { active: 'vllm' });
    const remote: ProviderConfig = { ...cfg.providers.vllm!, baseUrl: 'http://10.0.0.9:8000', host: '10.0.0.9' };
    const local: AcodeConfig = { ...cfg, mode: 'local-only', providers: { vllm: remote } };
    const registry = modeRefusalError('local-only', remote)!;
    const expected = { code: registry.code, message: registry.message, hint: registry.hint };
    const machine = modeForbiddenError({ provider: remote, mode: 'local-only', stateDir: '/nonexistent' });
    expect({ code: machine.code, message: machine.message, hint: machine.hint }).toEqual(expected);
    const report = await probeProvider(local, remote, { env: {}, signal: new AbortController().signal });
    expect(report.lastError).toEqual(expected);
  });

  it('PORT_IN_USE for a port held by a stranger: one text for the machine and `acode status`', () => {
    const error = portTakenError({ id: 'vllm', port: 8000 }, 'pid 42 (python)');
    expect(error).toMatchObject({
      code: 'PORT_IN_USE',
      message: 'vllm: port 8000 is held by pid 42 (python), which is not the expected server.',
      hint: 'Stop what holds port 8000, or set providers.vllm.port to a free port.',
    });
  });
});
