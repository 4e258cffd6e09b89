import { describe, expect, it } from 'vitest';
import { formatProblem, parseConfig } from '../../config/index.js';
import { FILE, parseError, problemAt, problems } from './helpers.js';

describe('config validation errors', () => {
  it('reports a YAML syntax error with its line and column', () => {
    const error = parseError('providers:\n  active: vllm\n  vllm: [8000,\nmode: burst\n');
    expect(error.code).toBe('CONFIG_INVALID');
    const [first] = error.details.errors as { line: number; column: number; path: string; message: string }[];
    expect(first).toMatchObject({ file: FILE, line: 4, column: 1, path: '(yaml syntax)' });
    expect(first!.message).toMatch(/Flow sequence/);
    expect(error.hint).toMatch(/acode config validate/);
  });

  it('reports an alias without an anchor as a YAML error at the alias, not a ReferenceError', () => {
    const error = parseError('providers:\n  active: *nope\n');
    expect(error.code).toBe('CONFIG_INVALID');
    const [first] = error.details.errors as { line: number; column: number; path: string; message: string }[];
    expect(first).toMatchObject({ file: FILE, line: 2, column: 11, path: '(yaml syntax)' });
    expect(first!.message).toMatch(/Unresolved alias/);
  });

  it('reports a duplicate key as a YAML error', () => {
    const [problem] = problems('mode: burst\nmode: airgapped\n');
    expect(problem).toMatchObject({ line: 2, column: 1 });
    expect(problem!.message).toMatch(/unique/);
  });

  it('reports a wrong type with the allowed form', () => {
    const p = problemAt('providers:\n  ollama:\n    port: "eleven"\n', 'providers.ollama.port');
    expect(p).toMatchObject({ line: 3, column: 11 });
    expect(p.message).toBe('must be an integer port from 1 to 65535, got "eleven"');
  });

  it('reports a mapping given as a scalar', () => {
    const p = problemAt('providers:\n  vllm:\n    lifecycle: managed\n', 'providers.vllm.lifecycle');
    expect(p).toMatchObject({ line: 3, column: 16 });
    expect(p.message).toMatch(/must be a mapping of lifecycle settings, got "managed"/);
  });

  it('reports an unknown key at the key, with a did-you-mean and the allowed keys', () => {
    const p = problemAt(
      'providers:\n  vllm:\n    lifecycle:\n      start_timout_seconds: 10\n',
      'providers.vllm.lifecycle.start_timout_seconds',
    );
    expect(p).toMatchObject({ line: 4, column: 7 });
    expect(p.message).toMatch(/^unknown key 'start_timout_seconds' \(did you mean 'start_timeout_seconds'\?\)/);
    expect(p.message).toMatch(/allowed keys: mode, start_timeout_seconds/);
  });

  it('suggests a top-level key and a known provider id', () => {
    expect(problemAt('mdoe: burst\n', 'mdoe').message).toMatch(/did you mean 'mode'/);
    const p = problemAt('providers:\n  vlm: {}\n', 'providers.vlm');
    expect(p).toMatchObject({ line: 2, column: 3 });
    expect(p.message).toMatch(/needs 'type' .* and 'base_url'.*did you mean the known provider 'vllm'/);
  });

  it('tells a known provider to use host and port instead of base_url', () => {
    const p = problemAt('providers:\n  ollama:\n    base_url: http://127.0.0.1:11434\n', 'providers.ollama.base_url');
    expect(p).toMatchObject({ line: 3, column: 5 });
    expect(p.message).toMatch(
      /^'base_url' is only for custom provider ids; 'ollama' is known, set host and port instead/,
    );
  });

  it('reports an enum value with its options', () => {
    const p = problemAt('mode: offline\n', 'mode');
    expect(p).toMatchObject({ line: 1, column: 7 });
    expect(p.message).toBe('must be one of local-only, burst, airgapped, got "offline"');
  });

  it.each([
    ['0', 'got 0'],
    ['1.5', 'got 1.5'],
  ])('rejects memory_utilization %s (must be in (0,1])', (value, got) => {
    const p = problemAt(
      `providers:\n  vllm:\n    gpu: { memory_utilization: ${value} }\n`,
      'providers.vllm.gpu.memory_utilization',
    );
    expect(p).toMatchObject({ line: 3, column: 32 });
    expect(p.message).toBe(`must be a fraction in (0, 1], e.g. 0.9, ${got}`);
  });

  it('accepts memory_utilization 1 and rejects a negative timeout', () => {
    expect(() => parseConfig('providers:\n  vllm:\n    gpu: { memory_utilization: 1 }\n', FILE)).not.toThrow();
    const p = problemAt(
      'providers:\n  ollama:\n    lifecycle:\n      start_timeout_seconds: -5\n',
      'providers.ollama.lifecycle.start_timeout_seconds',
    );
    expect(p).toMatchObject({ line: 4, column: 30 });
    expect(p.message).toMatch(/greater than 0, got -5/);
  });

  it('reports a zero request timeout and an unknown timeouts key with a did-you-mean', () => {
    const zero = problemAt(
      'providers:\n  vllm:\n    timeouts: { idle_seconds: 0 }\n',
      'providers.vllm.timeouts.idle_seconds',
    );
    expect(zero).toMatchObject({ line: 3, column: 31 });
    expect(zero.message).toMatch(/greater than 0, got 0/);
    const typo = problemAt(
      'providers:\n  vllm:\n    timeouts:\n      idle_second: 5\n',
      'providers.vllm.timeouts.idle_second',
    );
    expect(typo.message).toMatch(/idle_seconds/);
  });

  it.each([
    ['0', 9],
    ['65536', 9],
    ['70000', 9],
  ])('rejects port %s', (port, column) => {
    const p = problemAt(`providers:\n  llamacpp:\n    port: ${port}\n`, 'providers.llamacpp.port');
    expect(p).toMatchObject({ line: 3, column: column + 2 });
    expect(p.message).toBe(`must be an integer port from 1 to 65535, got ${port}`);
  });

  it('reports an active id that names no provider', () => {
    const p = problemAt('providers:\n  active: vlm\n', 'providers.active');
    expect(p).toMatchObject({ line: 2, column: 11 });
    expect(p.message).toMatch(
      /^'vlm' names no provider \(did you mean 'vllm'\?\); configured ids: ollama, vllm, llamacpp, lmstudio$/,
    );
  });

  it('reports fallback ids that name no provider', () => {
    const p = problemAt('fallback:\n  - vllm\n  - lmstudoi\n', 'fallback[1]');
    expect(p).toMatchObject({ line: 3, column: 5 });
    expect(p.message).toMatch(/'lmstudoi' names no provider \(did you mean 'lmstudio'\?\)/);
  });

  it('requires type and base_url for a custom id and checks the URL', () => {
    expect(() =>
      parseConfig('providers:\n  box:\n    type: openai-compatible\n    base_url: http://127.0.0.1:9000/v1\n', FILE),
    ).not.toThrow();
    const p = problemAt(
      'providers:\n  box:\n    type: openai-compatible\n    base_url: "ftp:x"\n',
      'providers.box.base_url',
    );
    expect(p).toMatchObject({ line: 4, column: 15 });
    expect(p.message).toMatch(/must be an http\(s\) URL/);
  });

  it('reports every problem of a file in one error, sorted by line', () => {
    const text = [
      'mode: offline',
      'providers:',
      '  active: nobody',
      '  vllm:',
      '    port: 0',
      '    gpu: { memory_utilization: 2 }',
      '    colour: red',
      'fallback: [ghost]',
    ].join('\n');
    const error = parseError(text);
    const list = error.details.errors as { line: number; path: string }[];
    expect(list.map((p) => `${p.line}:${p.path}`)).toEqual([
      '1:mode',
      '3:providers.active',
      '5:providers.vllm.port',
      '6:providers.vllm.gpu.memory_utilization',
      '7:providers.vllm.colour',
      '8:fallback[0]',
    ]);
    for (const p of list) expect(error.message).toContain(formatProblem(p as never));
    expect(error.message).toMatch(/\(6 problems\)/);
  });

  it('accepts an empty file, empty sections and the documented example', () => {
    expect(parseConfig('# nothing yet\n', FILE)).toEqual({});
    expect(parseConfig('providers:\n  vllm:\n    # model: x\n    lifecycle:\n', FILE)).toEqual({
      providers: { vllm: { lifecycle: null } },
    });
    expect(problemAt('providers:\n  box:\n', 'providers.box').message).toMatch(
      /must be a mapping of provider settings with type and base_url, got an empty value/,
    );
    const example = [
      'providers:',
      '  active: vllm',
      '  ollama:',
      '    model: "llama3.2:latest"',
      '    lifecycle: { mode: managed, start_timeout_seconds: 30, health_check_interval_seconds: 60, stop_on_exit: false }',
      '  vllm:',
      '    model: "meta-llama/Llama-2-7b-hf"',
      '    port: 8000',
      '    lifecycle: { mode: managed, start_timeout_seconds: 30, health_check_interval_seconds: 60,',
      '                 model_load_timeout_seconds: 300, stop_on_exit: false }',
      '    gpu: { memory_utilization: 0.9, tensor_parallel_size: 1 }',
    ].join('\n');
    expect(parseConfig(example, FILE).providers?.active).toBe('vllm');
  });
});

describe('secrets in the config file', () => {
  it('rejects a secret-named key anywhere, naming the env var to use', () => {
    const error = parseError(
      'providers:\n  vllm:\n    hf_token: hf_abc\n  box:\n    type: ollama\n    base_url: http://127.0.0.1:1\n    api_key: k\n',
    );
    expect(error.code).toBe('CONFIG_SECRET');
    const list = error.details.errors as { line: number; column: number; path: string; message: string }[];
    expect(list.map((p) => [p.line, p.column, p.path])).toEqual([
      [3, 5, 'providers.vllm.hf_token'],
      [7, 5, 'providers.box.api_key'],
    ]);
    expect(list[0]!.message).toMatch(/set HF_TOKEN in the environment/);
    expect(list[1]!.message).toMatch(/set BOX_API_KEY/);
    expect(error.hint).toMatch(/HF_TOKEN, BOX_API_KEY/);
    expect(error.message).not.toContain('hf_abc');
  });

  it('takes api_key_env as a variable name, and refuses a value that is no such name without echoing it', () => {
    expect(parseConfig('providers:\n  vllm:\n    api_key_env: TEAM_VLLM_API_KEY\n', FILE).providers?.vllm).toEqual({
      api_key_env: 'TEAM_VLLM_API_KEY',
    });
    const pasted = 'sk-live-0123456789abcdef';
    const error = parseError(`providers:\n  vllm:\n    api_key_env: ${pasted}\n`);
    expect(error.code).toBe('CONFIG_INVALID');
    const p = problemAt(`providers:\n  vllm:\n    api_key_env: ${pasted}\n`, 'providers.vllm.api_key_env');
    expect(p.message).toMatch(/^must be the name of an environment variable ending in _API_KEY/);
    expect(JSON.stringify(error.toJSON())).not.toContain(pasted);
    // A name redaction would not recognise as secret (its value would be printed) is refused too.
    expect(parseError('providers:\n  vllm:\n    api_key_env: VLLM_KEY_VALUE\n').code).toBe('CONFIG_INVALID');
  });

  it.each(['password', 'client_secret', 'apiKey', 'github_token'])('rejects the key %s', (key) => {
    expect(parseError(`${key}: x\n`).code).toBe('CONFIG_SECRET');
  });

  it('rejects a credential flag in args and allows a token count key name', () => {
    const error = parseError('providers:\n  llamacpp:\n    args: ["-c", "4096", "--api-key=sk"]\n');
    expect(error.code).toBe('CONFIG_SECRET');
    expect(error.details.errors).toMatchObject([{ line: 3, column: 26, path: 'providers.llamacpp.args[2]' }]);
    expect(error.hint).toMatch(/LLAMA_API_KEY/);
    // max_tokens is a count, not a credential: it is refused as an unknown key instead.
    expect(parseError('max_tokens: 5\n').code).toBe('CONFIG_INVALID');
  });
});
