// The operating-mode rule as the registry applies it when choosing a provider. The per-service rules
// (may it start, may it pull) live in the service machine's guards; this is only "may it be asked at all".
import type { AcodeErrorCode, OperatingMode, ProviderConfig } from '../config/index.js';

export interface ModeRefusal {
  code: AcodeErrorCode;
  reason: string;
}

/** 127.0.0.0/8, ::1 (bracketed or not, IPv4-mapped) and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host).toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^(?:::ffff:)?(\d+)\.\d+\.\d+\.\d+$/.exec(h);
  return v4?.[1] === '127';
}

function providerHost(provider: ProviderConfig): string {
  try {
    return new URL(provider.baseUrl).hostname;
  } catch {
    return provider.host;
  }
}

/**
 * Why `mode` forbids asking this provider, or undefined when it may be asked. local-only and airgapped
 * admit loopback providers only (airgapped also refuses at the transport); burst admits remote ones.
 */
export function modeRefusal(mode: OperatingMode, provider: ProviderConfig, localOnly = false): ModeRefusal | undefined {
  const host = providerHost(provider);
  if (isLoopback(host)) return undefined;
  if (mode === 'airgapped') {
    return { code: 'AIRGAP_VIOLATION', reason: `${provider.id} is at ${host}, and airgapped mode allows loopback only` };
  }
  if (mode === 'local-only' || localOnly) {
    const why = localOnly ? 'the request asks for local providers only' : 'local-only mode allows loopback providers only';
    return { code: 'MODE_FORBIDDEN', reason: `${provider.id} is at ${host}, and ${why}` };
  }
  return undefined;
}
