// The one loopback rule: what "on this machine only" means for a host, wherever it is asked (the
// connector's airgap guard, the mode policy, the bind address of a managed server, detect's port check,
// the inspector relay URL). One predicate, so no two places disagree on a spelling of 127.0.0.1.
import { isIP } from 'node:net';
import { AcodeError } from '../config/index.js';

/** An IPv6 address in WHATWG URL's canonical form: compressed, lower case, IPv4-mapped as hex. */
function canonicalIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/**
 * True for 127.0.0.0/8, ::1, their IPv4-mapped forms (either spelling, as URL parsing rewrites
 * [::ffff:127.0.0.1] to [::ffff:7f00:1]), bracketed or not, and the name `localhost` (resolved by
 * /etc/hosts). The unspecified addresses 0.0.0.0 and :: are not loopback: bound, they listen on every
 * interface.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost') return true;
  const kind = isIP(lower);
  if (kind === 4) return lower.split('.')[0] === '127';
  if (kind !== 6) return false;
  // ::ffff:127.x.y.z is ::ffff:7fxx:yyyy once canonical.
  const canonical = canonicalIpv6(lower);
  return canonical === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(canonical);
}

// Throws AIRGAP_VIOLATION for anything that is not loopback; `why` names the rule that applies.
export function assertLoopbackHost(host: string, context: { provider?: string; why?: string } = {}): void {
  if (isLoopbackHost(host)) return;
  const who = context.provider ? `${context.provider}: ` : '';
  const why = context.why ?? 'airgapped mode allows loopback connections only';
  throw new AcodeError(
    'AIRGAP_VIOLATION',
    `${who}refusing to connect to ${host}: ${why}.`,
    `Point the provider at 127.0.0.1 or ::1 (providers.${context.provider ?? '<id>'}.host / base_url), or leave airgapped mode.`,
    { details: { host, provider: context.provider } },
  );
}
