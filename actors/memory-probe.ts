// How much system memory a new server could have: MemAvailable of /proc/meminfo (the kernel's estimate
// of what can be allocated without swapping, page cache it can drop included). The file is a parameter,
// as the GPU probe's nvidia-smi is whatever PATH names, so a test hands a meminfo of its own.
import { readFile } from 'node:fs/promises';

const MEMINFO_PATH = '/proc/meminfo';

/** MemAvailable in bytes; undefined when the file is missing or does not say (not Linux). */
export async function availableRamBytes(meminfoPath = MEMINFO_PATH): Promise<number | undefined> {
  try {
    const kib = /^MemAvailable:\s+(\d+)\s*kB$/m.exec(await readFile(meminfoPath, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}
