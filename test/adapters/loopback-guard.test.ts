import { describe, expect, it } from 'vitest';
import { assertLoopbackHost, isLoopbackHost, mustStayOnLoopback } from '../../adapters/index.js';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])('%s is loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });
  it.each(['10.0.0.1', '128.0.0.1', '0.0.0.0', '::', '[2001:db8::1]', 'example.com', 'localhost.evil.com', '::ffff:10.0.0.1', ''])('%s is not', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });
  it('assertLoopbackHost throws AIRGAP_VIOLATION naming the host and the provider', () => {
    try {
      assertLoopbackHost('192.168.1.9', { provider: 'vllm' });
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'AIRGAP_VIOLATION', details: { host: '192.168.1.9', provider: 'vllm' } });
      expect((err as Error).message).toContain('192.168.1.9');
    }
  });
  it('the rule: airgapped always, known kinds always, custom only when airgapped', () => {
    expect(mustStayOnLoopback({ kind: 'custom' }, 'burst')).toBe(false);
    expect(mustStayOnLoopback({ kind: 'custom' }, 'airgapped')).toBe(true);
    expect(mustStayOnLoopback({ kind: 'vllm' }, 'burst')).toBe(true);
  });
});
