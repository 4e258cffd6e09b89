import { describe, expect, it } from 'vitest';
import { redact, resolveStateDir, secretEnvNames } from '../../config/index.js';

const env = {
  HF_TOKEN: 'hf_abcdefghijklmnop',
  OPENAI_API_KEY: 'sk-live-1234567890',
  GITHUB_TOKEN: 'ghp_xyz123456',
  SHORT_TOKEN: 'ab',
  HOME: '/home/dev',
  PATH: '/usr/bin',
};

describe('redact', () => {
  it('replaces secret env values in text', () => {
    const text = 'HF_TOKEN=hf_abcdefghijklmnop vllm serve x; key sk-live-1234567890 in /home/dev';
    expect(redact(text, env)).toBe('HF_TOKEN=*** vllm serve x; key *** in /home/dev');
  });

  it('lists only secret-named env vars', () => {
    expect(secretEnvNames(env)).toEqual(['GITHUB_TOKEN', 'HF_TOKEN', 'OPENAI_API_KEY', 'SHORT_TOKEN']);
  });

  it('does not blank out ordinary text for a very short secret value', () => {
    expect(redact('about cabs', env)).toBe('about cabs');
  });

  it('redacts Authorization and x-api-key headers and credential flags', () => {
    expect(redact('Authorization: Bearer abc.def', {})).toBe('Authorization: Bearer ***');
    expect(redact('{"authorization":"Basic dXNlcjpwYXNz"}', {})).toBe('{"authorization":"Basic ***"}');
    expect(redact('x-api-key: k123', {})).toBe('x-api-key: ***');
    expect(redact('llama-server --api-key s3cret --port 8080', {})).toBe('llama-server --api-key *** --port 8080');
    expect(redact('vllm serve --api-key=s3cret', {})).toBe('vllm serve --api-key=***');
  });

  it('copies objects, redacting secret fields and secret values, keeping cycles', () => {
    const input: Record<string, unknown> = {
      headers: { Authorization: 'Bearer zzz', 'content-type': 'application/json' },
      argv: ['vllm', 'serve', '--hf-token', 'hf_abcdefghijklmnop'],
      max_tokens: 128,
      note: 'uses sk-live-1234567890',
    };
    input.self = input;
    const out = redact<Record<string, unknown>>(input, env);
    expect(out.headers).toEqual({ Authorization: '***', 'content-type': 'application/json' });
    expect(out.argv).toEqual(['vllm', 'serve', '--hf-token', '***']);
    expect(out.max_tokens).toBe(128);
    expect(out.note).toBe('uses ***');
    expect(out.self).toBe(out);
    expect((input.headers as Record<string, string>).Authorization).toBe('Bearer zzz');
  });
});

describe('resolveStateDir', () => {
  it('prefers ACODE_STATE_DIR, then XDG_STATE_HOME, then HOME', () => {
    expect(resolveStateDir({ ACODE_STATE_DIR: '/s', XDG_STATE_HOME: '/x', HOME: '/h' })).toBe('/s');
    expect(resolveStateDir({ XDG_STATE_HOME: '/x', HOME: '/h' })).toBe('/x/acode');
    expect(resolveStateDir({ XDG_STATE_HOME: 'relative', HOME: '/h' })).toBe('/h/.local/state/acode');
    expect(resolveStateDir({ HOME: '/h' })).toBe('/h/.local/state/acode');
  });
});
