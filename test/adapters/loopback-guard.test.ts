import { describe, expect, it } from 'vitest';
import { assertLoopbackHost, isLoopbackHost, mustStayOnLoopback } from '../../adapters/index.js';
import { loopbackHost } from '../../actors/argv.js';
import { relayUrl } from '../../inspector/index.js';
import { modeAllowsProvider } from '../../machines/policy.js';
import { modeRefusal } from '../../machines/policy.js';
import { providerConfig } from '../support/providers.js';

// The one table every place that asks "is this loopback?" must agree with.
const TABLE: Array<[string, boolean]> = [
  ['127.0.0.1', true],
  ['127.1.2.3', true],
  ['127.255.255.254', true],
  ['::1', true],
  ['[::1]', true],
  ['0:0:0:0:0:0:0:1', true],
  ['[0:0::1]', true],
  ['::ffff:127.0.0.1', true],
  ['[::ffff:127.0.0.1]', true],
  ['::ffff:7f00:1', true],
  ['[::FFFF:127.9.8.7]', true],
  ['localhost', true],
  ['LOCALHOST', true],
  ['0.0.0.0', false],
  ['::', false],
  ['[::]', false],
  ['10.0.0.1', false],
  ['10.1.2.3', false],
  ['128.0.0.1', false],
  ['1127.0.0.1', false],
  ['::2', false],
  ['[2001:db8::1]', false],
  ['::ffff:10.0.0.1', false],
  ['::ffff:a00:1', false],
  ['example.com', false],
  ['localhost.evil.com', false],
  ['my-laptop', false],
  ['', false],
];

describe('isLoopbackHost: the one loopback predicate', () => {
  it.each(TABLE)('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('the mode policy, the registry, the bind address and the inspector relay all follow the table', () => {
    const disagreements: string[] = [];
    for (const [host, loopback] of TABLE) {
      if (host === '') continue;
      const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
      let baseUrl: string;
      try {
        baseUrl = new URL(`http://${urlHost}:9000`).origin;
      } catch {
        continue; // not a URL host (e.g. ::ffff:7f00:1 written bare); the predicate row covers it
      }
      const provider = { ...providerConfig('vllm', 9000), host, baseUrl };
      const bindOk = (() => {
        try {
          loopbackHost(provider, 'local-only');
          return true;
        } catch {
          return false;
        }
      })();
      const relayOk = (() => {
        try {
          relayUrl(`ws://${urlHost}:8080`);
          return true;
        } catch {
          return false;
        }
      })();
      const seen = {
        policy: modeAllowsProvider('local-only', provider),
        registry: modeRefusal('local-only', provider) === undefined,
        bind: bindOk,
        relay: relayOk,
      };
      for (const [who, said] of Object.entries(seen))
        if (said !== loopback) disagreements.push(`${who}: ${host} → ${said}`);
    }
    expect(disagreements).toEqual([]);
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
