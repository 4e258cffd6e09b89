// Talking to a running `acode serve` instead of acting behind its back: status, start and stop of
// providers go through the gateway when one runs for this state dir, so one supervisor owns the
// servers. A gateway that is recorded but no longer runs (it died; its pid may belong to another
// process by now) is ignored.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AcodeError, resolveStateDir, type Env } from '../../config/index.js';
import type { ProcessStamp } from '../../actors/index.js';

/** gateway.json: the gateway's process (pid, start time, boot, so a reused pid is not taken for it) and URL. */
export interface GatewayRecord extends ProcessStamp {
  url: string;
  startedAt: string;
}

const CALL_TIMEOUT_MS = 5_000;

/** Where a running gateway records its pid and address. */
export function gatewayRecordPath(stateDir: string): string {
  return join(stateDir, 'gateway.json');
}

export async function readGatewayRecord(stateDir: string): Promise<GatewayRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(gatewayRecordPath(stateDir), 'utf8')) as Partial<GatewayRecord>;
    return typeof record.pid === 'number' &&
      typeof record.url === 'string' &&
      typeof record.startTime === 'string' &&
      typeof record.bootId === 'string'
      ? (record as GatewayRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The gateway running for this environment's state dir: the recorded process itself, still running. */
export async function runningGateway(env: Env): Promise<GatewayRecord | undefined> {
  const record = await readGatewayRecord(resolveStateDir(env));
  if (!record || record.pid === process.pid) return undefined;
  const { stillRuns } = await import('../../actors/index.js');
  return (await stillRuns(record)) ? record : undefined;
}

/** One call to the gateway's control routes; a gateway that does not answer is GATEWAY_UNREACHABLE. */
export async function callGateway<T>(
  gateway: GatewayRecord,
  method: 'GET' | 'POST',
  path: string,
  signal: AbortSignal,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${gateway.url}${path}`, {
      method,
      signal: AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]),
    });
  } catch (cause) {
    throw new AcodeError(
      'PROVIDER_UNAVAILABLE',
      `The gateway (pid ${gateway.pid}) does not answer at ${gateway.url}.`,
      `Stop it (kill ${gateway.pid}) or wait until it is ready; then run the command again.`,
      { cause },
    );
  }
  const body = (await res.json().catch(() => undefined)) as T & {
    error?: { code?: string; message?: string; hint?: string };
  };
  if (!res.ok) {
    const e = body?.error;
    throw new AcodeError(
      (e?.code ?? 'SERVER_ERROR') as AcodeError['code'],
      e?.message ?? `The gateway answered ${res.status} to ${path}.`,
      e?.hint ?? "Read the gateway's output.",
    );
  }
  return body;
}
