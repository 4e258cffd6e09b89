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
  /**
   * `connection`: nothing listens, but an outgoing connection of that process uses the port as its
   * local end (the kernel picks those from its ephemeral range), which blocks a bind just the same.
   */
  via: 'listener' | 'connection';
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

/** Sockets whose local end is `port` from /proc/net/tcp{,6}, LISTEN ones or the others: their inodes. */
async function socketInodes(port: number, listening: boolean): Promise<Set<string>> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      // st 0A = TCP_LISTEN; inode is field 10 (0 for TIME_WAIT, which blocks no bind of ours).
      if (!local || (fields[3] === '0A') !== listening) continue;
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

/** Who holds `port`: a listener, else a connection's local end. undefined when no tool can tell. Never throws. */
export async function findPortHolder(
  port: number,
  { signal }: { signal?: AbortSignal } = {},
): Promise<PortHolder | undefined> {
  const listeners = await socketInodes(port, true);
  const listener =
    (listeners.size > 0 ? await pidOwningInode(listeners) : undefined) ?? (await pidFromSs(port, signal));
  if (listener !== undefined) return { pid: listener, command: await commandOf(listener), via: 'listener' };
  const connections = await socketInodes(port, false);
  const client = connections.size > 0 ? await pidOwningInode(connections) : undefined;
  return client === undefined ? undefined : { pid: client, command: await commandOf(client), via: 'connection' };
}

async function commandOf(pid: number): Promise<string> {
  const identity = await readProcIdentity(pid);
  const command = identity ? describeCmdline(identity.cmdline) : '';
  return command || (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
}

export function describeHolder(holder: PortHolder | undefined): string {
  if (!holder) return 'an unknown process';
  const who = `pid ${holder.pid} (${holder.command})`;
  return holder.via === 'listener' ? who : `a connection of ${who} that uses it as its local port`;
}

/** PORT_IN_USE naming the holder and the ways out. */
export function portInUseError(provider: ProviderConfig, holder: PortHolder | undefined): AcodeError {
  const key = `providers.${provider.id}.port`;
  const hint =
    holder?.via === 'connection' && provider.port >= EPHEMERAL_LOW
      ? // Stopping the client would only free it until the next connection picks it: move the server.
        `Set ${key} to a port below ${EPHEMERAL_LOW}: ports from there up are where the kernel takes the local ports of outgoing connections.`
      : `Either ${holder ? `stop pid ${holder.pid} (e.g. \`kill ${holder.pid}\`)` : `find it with \`ss -ltnp 'sport = :${provider.port}'\` and stop it`}, or set ${key} to a free port.`;
  return new AcodeError(
    'PORT_IN_USE',
    `${provider.id}: port ${provider.port} is already in use by ${describeHolder(holder)}.`,
    hint,
    {
      details: {
        provider: provider.id,
        port: provider.port,
        ...(holder ? { holderPid: holder.pid, holderCommand: holder.command, holderVia: holder.via } : {}),
      },
    },
  );
}

/** Linux's default ip_local_port_range starts here. */
const EPHEMERAL_LOW = 32_768;
