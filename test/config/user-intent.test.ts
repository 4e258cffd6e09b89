// What the user wrote is what they get: keys that would silently do something else are refused with the
// key to change (remote code, an LM Studio server acode cannot start).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.js';
import { resolveRaw } from '../../config/resolve.js';
import { FILE, parseError, problemAt } from './helpers.js';

describe('--trust-remote-code needs allow_remote_code: true', () => {
  it.each(['--trust-remote-code', '--trust_remote_code', '--trust-remote-code=true'])(
    'refuses %s in args, naming the key to set',
    (flag) => {
      const p = problemAt(
        `providers:\n  vllm:\n    model: m\n    args: ["--max-model-len", "4096", "${flag}"]\n`,
        'providers.vllm.args[2]',
      );
      expect(p.line).toBe(4);
      expect(p.message).toContain(`${flag} runs the model repository's own Python code`);
      expect(p.message).toContain('set providers.vllm.allow_remote_code: true');
    },
  );

  it('accepts it with allow_remote_code: true, and the opposite flag without', () => {
    expect(() =>
      parseConfig('providers:\n  vllm:\n    args: [--trust-remote-code]\n    allow_remote_code: true\n', FILE),
    ).not.toThrow();
    expect(() => parseConfig('providers:\n  vllm:\n    args: [--no-trust-remote-code]\n', FILE)).not.toThrow();
  });

  it('checks custom providers too, and allow_remote_code must be a boolean', () => {
    problemAt(
      'providers:\n  mine:\n    type: openai-compatible\n    base_url: http://127.0.0.1:9000\n    binary: vllm\n    args: [--trust-remote-code]\n',
      'providers.mine.args[0]',
    );
    expect(parseError('providers:\n  vllm:\n    allow_remote_code: yes please\n').code).toBe('CONFIG_INVALID');
  });
});

describe('lmstudio: acode only watches it', () => {
  it('defaults to monitored (no managed-but-unstartable provider)', () => {
    const config = resolveRaw(parseConfig('providers:\n  active: lmstudio\n', FILE), FILE);
    expect(config.providers.lmstudio!.lifecycle.mode).toBe('monitored');
    expect(resolveRaw({}, undefined).providers.lmstudio!.lifecycle.mode).toBe('monitored');
    expect(config.providers.vllm!.lifecycle.mode).toBe('managed');
  });

  it('refuses lifecycle.mode: managed for lmstudio with how to start it instead', () => {
    const p = problemAt(
      'providers:\n  lmstudio:\n    lifecycle: { mode: managed }\n',
      'providers.lmstudio.lifecycle.mode',
    );
    expect(p).toMatchObject({ line: 3, column: 24 });
    expect(p.message).toMatch(/cannot start LM Studio's server.*monitored \(or external\).*`lms server start`/);
  });
});
