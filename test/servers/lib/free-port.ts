// Ports for the stand-ins and the fixtures of every test. Not bind(0): the kernel hands those out from
// its ephemeral range, which is also where it picks the local port of every outgoing connection, so a
// server restarting after a kill can find its port taken by some unrelated client socket (EADDRINUSE
// with no listener to name; seen as a flaky PORT_IN_USE in the kill-mid-stream chaos run). Real servers
// sit on fixed low ports (8000, 11434) for the same reason. Each vitest worker takes its own slice of
// the ports below that range and walks it in order, so two workers, or two tests of one, never get the
// same port while one of them is between binds.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_000;
const SLICES = 16;

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + SLICES * 100 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function slice(): { start: number; size: number } {
  const size = Math.floor((ephemeralLow() - LOWEST) / SLICES);
  // VITEST_POOL_ID is distinct for workers that run at the same time (1..maxWorkers).
  const id = Number(process.env.VITEST_POOL_ID ?? 0) % SLICES;
  return { start: LOWEST + id * size, size };
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

const { start, size } = slice();
let next = Math.floor(Math.random() * size);

/** A loopback port nothing listens on, never handed out twice by this process until its slice wraps. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < size; tries++) {
    const port = start + (next++ % size);
    if (await canBind(port)) return port;
  }
  throw new Error(`freePort: no free port in ${start}-${start + size - 1}`);
}
