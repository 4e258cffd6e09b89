// Before spawning: is the port free, and if not, who holds it? An old llama-server with SO_REUSEPORT
// happily shares a port and splits connections, so asking the kernel first is the only protection.
import { createServer } from 'node:net';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { AcodeError } from '../config/index.js';
import type { ProviderConfig } from '../config/index.js';
import { describeCmdline, readProcIdentity } from './proc.js';

export interface PortHolder {
  pid: number;
  /** The process's command line (shortened), or its comm when unreadable. */
  command: string;
}

/** Tries to bind host:port and closes at once. EADDRINUSE (or EACCES) means not free. */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** LISTEN sockets on `port` from /proc/net/tcp{,6}: their inodes. */
async function listenInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      // st 0A = TCP_LISTEN; inode is field 10.
      if (!local || fields[3] !== '0A') continue;
      if (local.slice(local.lastIndexOf(':') + 1) !== hexPort) continue;
      const inode = fields[9];
      if (inode && inode !== '0') inodes.add(inode);
    }
  }
  return inodes;
}

async function pidOwningInode(inodes: Set<string>): Promise<number | undefined> {
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    // Other users' fds are unreadable (EACCES): skip them; ss may still name them.
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (wanted.has(target)) return Number(pid);
    }
  }
  return undefined;
}

/** `ss -ltnp` names the holder when /proc does not (it needs the same permissions, but try). */
async function pidFromSs(port: number, signal?: AbortSignal): Promise<number | undefined> {
  try {
    // Lazy: only a port conflict needs execa, and it costs ~75 ms to import.
    const { execa } = await import('execa');
    const { stdout } = await execa('ss', ['-ltnpH', `sport = :${port}`], {
      reject: false,
      timeout: 2_000,
      ...(signal ? { cancelSignal: signal } : {}),
    });
    const match = /pid=(\d+)/.exec(stdout);
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Who listens on `port`? undefined when no tool can tell. Never throws. */
export async function findPortHolder(port: number, { signal }: { signal?: AbortSignal } = {}): Promise<PortHolder | undefined> {
  const inodes = await listenInodes(port);
  const pid = (inodes.size > 0 ? await pidOwningInode(inodes) : undefined) ?? (await pidFromSs(port, signal));
  if (pid === undefined) return undefined;
  const identity = await readProcIdentity(pid);
  let command = identity ? describeCmdline(identity.cmdline) : '';
  if (!command) command = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
  return { pid, command };
}

export function describeHolder(holder: PortHolder | undefined): string {
  return holder ? `pid ${holder.pid} (${holder.command})` : 'an unknown process';
}

/** PORT_IN_USE naming the holder and the two ways out. */
export function portInUseError(provider: ProviderConfig, holder: PortHolder | undefined): AcodeError {
  const free = holder ? `stop pid ${holder.pid} (e.g. \`kill ${holder.pid}\`)` : `find it with \`ss -ltnp 'sport = :${provider.port}'\` and stop it`;
  return new AcodeError(
    'PORT_IN_USE',
    `${provider.id}: port ${provider.port} is already in use by ${describeHolder(holder)}.`,
    `Either ${free}, or set providers.${provider.id}.port to a free port.`,
    { details: { provider: provider.id, port: provider.port, ...(holder ? { holderPid: holder.pid, holderCommand: holder.command } : {}) } },
  );
}
