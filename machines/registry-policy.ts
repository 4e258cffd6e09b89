// The operating-mode rule as the registry applies it when choosing a provider. The per-service rules
// (may it start, may it pull) live in the service machine's guards; this is only "may it be asked at all".
import { AcodeError, type AcodeErrorCode, type OperatingMode, type ProviderConfig } from '../config/index.js';
import { isLoopbackHost } from '../adapters/index.js';
import { connectHost, modeAllowsProvider } from './policy.js';

export interface ModeRefusal {
  code: AcodeErrorCode;
  reason: string;
}

/**
 * Why `mode` forbids asking this provider, or undefined when it may be asked. local-only and airgapped
 * admit loopback providers only (airgapped also refuses at the transport); burst admits remote ones.
 */
export function modeRefusal(mode: OperatingMode, provider: ProviderConfig, localOnly = false): ModeRefusal | undefined {
  const host = connectHost(provider);
  if (isLoopbackHost(host) || (modeAllowsProvider(mode, provider) && !localOnly)) return undefined;
  if (mode === 'airgapped') {
    return { code: 'AIRGAP_VIOLATION', reason: `${provider.id} is at ${host}, and airgapped mode allows loopback only` };
  }
  const why = localOnly && mode === 'burst' ? 'the request asks for local providers only' : `${mode} mode allows loopback providers only`;
  return { code: 'MODE_FORBIDDEN', reason: `${provider.id} is at ${host}, and ${why}` };
}

/** The refusal as the error `ask` and `config validate` show, or undefined when the provider may be asked. */
export function modeRefusalError(mode: OperatingMode, provider: ProviderConfig): AcodeError | undefined {
  const refusal = modeRefusal(mode, provider);
  if (!refusal) return undefined;
  return new AcodeError(refusal.code, `${refusal.reason}.`, 'Use a provider on 127.0.0.1, or change mode: in .agent/config.yml.',
    { details: { provider: provider.id, mode } });
}
