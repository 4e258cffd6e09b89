// Reads process identity from /proc. A pid alone is not an identity (pids are reused); pid + start
// time (+ boot id) is, so every "is this still that process?" question goes through here.
import { readFile } from 'node:fs/promises';

export interface ProcIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTime: string;
  /** Field 5: the process group id. */
  pgrp: number;
  /** Field 3: R, S, D, Z (zombie), T ... */
  state: string;
  cmdline: string[];
}

let cachedBootId: string | undefined;

/** The kernel's boot id: a pid + start time pair is only unique within one boot. */
export async function bootId(): Promise<string> {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    } catch {
      cachedBootId = 'unknown';
    }
  }
  return cachedBootId;
}

/** undefined when the process does not exist (or we may not read it). Never throws. */
export async function readProcIdentity(pid: number): Promise<ProcIdentity | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: the fields after it start after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0] ?? '?';
    const pgrp = Number(rest[2]);
    const startTime = rest[19] ?? '';
    let cmdline: string[] = [];
    try {
      cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((part) => part.length > 0);
    } catch {
      // A zombie or a process of another user: identity by start time still works.
    }
    return { pid, startTime, pgrp, state, cmdline };
  } catch {
    return undefined;
  }
}

/** Alive means: exists and is not a zombie (a zombie in a container without init may never go away). */
export function isAlive(identity: ProcIdentity | undefined): identity is ProcIdentity {
  return identity !== undefined && identity.state !== 'Z' && identity.state !== 'X';
}

/** What a record of a process (lock, gateway.json) keeps to know it again: pids alone are reused. */
export interface ProcessStamp {
  pid: number;
  startTime: string;
  bootId: string;
}

/** The stamp of a live process, undefined when it is gone. */
export async function processStamp(pid: number): Promise<ProcessStamp | undefined> {
  const identity = await readProcIdentity(pid);
  return isAlive(identity) ? { pid, startTime: identity.startTime, bootId: await bootId() } : undefined;
}

/** Does the stamped process still run: same boot, same start time, not a zombie? */
export async function stillRuns(stamp: ProcessStamp): Promise<boolean> {
  if (stamp.bootId !== (await bootId())) return false;
  const identity = await readProcIdentity(stamp.pid);
  return isAlive(identity) && identity.startTime === stamp.startTime;
}

/** The process group of a live process (a server acode spawned leads its own: its pid). */
export async function pgrpOf(pid: number): Promise<number | undefined> {
  const identity = await readProcIdentity(pid);
  return isAlive(identity) ? identity.pgrp : undefined;
}

/** `comm`-like short name of a process for messages: argv[0]'s basename plus its first arguments. */
export function describeCmdline(cmdline: string[], max = 120): string {
  const text = cmdline.join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// USER_HZ: /proc reports start times in these ticks; 100 on every Linux architecture Node supports.
const TICKS_PER_SECOND = 100;

/** When a process started (epoch ms), from /proc: its start tick after boot plus the boot time. */
export async function processStartedAt(pid: number): Promise<number | undefined> {
  const identity = await readProcIdentity(pid);
  if (!isAlive(identity)) return undefined;
  try {
    const btime = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'))?.[1];
    const ticks = Number(identity.startTime);
    if (btime === undefined || !Number.isFinite(ticks)) return undefined;
    return Number(btime) * 1000 + Math.round((ticks / TICKS_PER_SECOND) * 1000);
  } catch {
    return undefined;
  }
}
