// Shared pieces of the chaos suite: temp dirs, providers pointing at the stand-in servers, a pid ledger
// so nothing outlives a test, and /proc readers (cmdline, environ, listening sockets).
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';
import { scratchHomeEnv } from '../servers/lib/scratch-home.js';
import { DEFAULT_LIFECYCLE, type LifecycleConfig } from '../../config/index.js';

import { pidAlive } from '../support/processes.js';

const SERVERS_BIN = resolve(import.meta.dirname, '..', 'servers', 'bin');
export const MAIN = resolve(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

export function requireBuilt(): void {
  for (const file of [MAIN, resolve(import.meta.dirname, '..', '..', 'dist', 'test', 'servers', 'llama-server.js')]) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: run \`npx tsc -p tsconfig.json\` before the chaos suite.`);
  }
}

/** The environment with the stand-ins first on PATH, no inherited knobs and a scratch HOME / HF_HOME / OLLAMA_MODELS. */
export function standInEnv(extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ACODE_FAKE_')) base[k] = v;
  return { ...base, ...scratchHomeEnv(), PATH: `${SERVERS_BIN}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

/** Pids a test caused to exist; SIGKILLed by pid in afterEach (never by name). */
export class PidLedger {
  private readonly pids = new Set<number>();
  add(pid: number | null | undefined): void {
    if (typeof pid === 'number' && pid > 0) this.pids.add(pid);
  }
  killAll(): void {
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.pids.clear();
  }
}

export function procCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

export function procEnviron(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = entry.indexOf('=');
    if (i > 0) out[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return out;
}

/** Live processes whose command line contains every one of `needles` (a /proc scan). */
export function findProcesses(...needles: string[]): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const argv = procCmdline(Number(name)).join(' ');
    if (argv && needles.every((n) => argv.includes(n)) && pidAlive(Number(name))) out.push(Number(name));
  }
  return out;
}

export interface ListeningSocket {
  address: string;
  port: number;
  inode: string;
  family: 4 | 6;
}

/** TCP sockets in LISTEN state (st 0A) from /proc/net/tcp and tcp6, addresses decoded. */
export function listeningSockets(): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const [file, family] of [
    ['/proc/net/tcp', 4],
    ['/proc/net/tcp6', 6],
  ] as const) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue;
      const [hex, portHex] = cols[1]!.split(':') as [string, string];
      out.push({ address: decodeAddress(hex, family), port: parseInt(portHex, 16), inode: cols[9]!, family });
    }
  }
  return out;
}

function decodeAddress(hex: string, family: 4 | 6): string {
  // /proc prints each 32-bit word in host (little-endian) byte order.
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (family === 4) return bytes.join('.');
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return `::ffff:${bytes.slice(12).join('.')}`;
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Socket inodes a process holds open (from /proc/<pid>/fd). */
export function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      // fd closed meanwhile
    }
  }
  return out;
}

/** The lifecycle the chaos services run with: the default poll interval, 20 s to start and to load. */
export const CHAOS_LIFECYCLE: LifecycleConfig = {
  ...DEFAULT_LIFECYCLE,
  startTimeoutSeconds: 20,
  modelLoadTimeoutSeconds: 20,
};
