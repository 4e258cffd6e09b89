// The airgap rule enforced where it cannot be bypassed: in the connector, before any socket exists.
import { isIP } from 'node:net';
import { AcodeError } from '../config/index.js';

/** True for 127.0.0.0/8, ::1, their IPv4-mapped forms and the name `localhost` (resolved by /etc/hosts). */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = h.toLowerCase();
  if (lower === 'localhost') return true;
  const kind = isIP(lower);
  if (kind === 4) return lower.split('.')[0] === '127';
  if (kind === 6) {
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped?.[1] !== undefined && mapped[1].split('.')[0] === '127';
  }
  return false;
}

// Throws AIRGAP_VIOLATION for anything that is not loopback; `why` names the rule that applies.
export function assertLoopbackHost(host: string, context: { provider?: string; why?: string } = {}): void {
  if (isLoopbackHost(host)) return;
  const who = context.provider ? `${context.provider}: ` : '';
  const why = context.why ?? 'airgapped mode allows loopback connections only';
  throw new AcodeError('AIRGAP_VIOLATION', `${who}refusing to connect to ${host}: ${why}.`,
    `Point the provider at 127.0.0.1 or ::1 (providers.${context.provider ?? '<id>'}.host / base_url), or leave airgapped mode.`,
    { details: { host, provider: context.provider } });
}
