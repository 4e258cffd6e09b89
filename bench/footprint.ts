// footprint: resident memory and CPU of a process watching 3 healthy services for a while (60 s by
// default), against a bare node process measured over the same window. Read from /proc, so Linux only.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { figure, note, startLlamaServers, stopAll } from './lib.js';

const CLK_TCK = 100; // USER_HZ on Linux
const PROBE_INTERVAL_S = 5;
const WATCHER = fileURLToPath(new URL('./footprint-watcher.js', import.meta.url));

interface Sample {
  rssKb: number;
  ticks: number;
}

function sample(pid: number): Sample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { rssKb: Number(rss?.[1] ?? Number.NaN), ticks };
}

function firstLine(child: ChildProcess, expected: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`bench: watcher not ready in ${timeoutMs} ms: ${out}`)), timeoutMs);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes(expected)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`bench: watcher exited ${code} before ready: ${out}`)));
  });
}

export async function benchFootprint(durationS: number): Promise<string[]> {
  const servers = await startLlamaServers(3);
  const watcher = spawn(process.execPath, [WATCHER, String(PROBE_INTERVAL_S), ...servers.map((s) => String(s.port))], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const loaded = spawn(process.execPath, [WATCHER, String(PROBE_INTERVAL_S)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  try {
    await Promise.all([firstLine(watcher, 'ready', 30_000), firstLine(loaded, 'ready', 30_000)]);
    // Let start-up work (JIT, first probes, GC) settle before the window opens.
    await new Promise((r) => setTimeout(r, 2_000));
    const w0 = sample(watcher.pid!);
    const b0 = sample(bare.pid!);
    let wMax = w0.rssKb;
    let bMax = b0.rssKb;
    let lMax = sample(loaded.pid!).rssKb;
    const end = Date.now() + durationS * 1000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(0, end - Date.now()))));
      wMax = Math.max(wMax, sample(watcher.pid!).rssKb);
      bMax = Math.max(bMax, sample(bare.pid!).rssKb);
      lMax = Math.max(lMax, sample(loaded.pid!).rssKb);
    }
    const loadedKb = lMax;
    const w1 = sample(watcher.pid!);
    const b1 = sample(bare.pid!);
    const cpu = (s0: Sample, s1: Sample) => ((s1.ticks - s0.ticks) / CLK_TCK / durationS) * 100;
    const wCpu = cpu(w0, w1);
    const bCpu = cpu(b0, b1);
    const exited = new Promise((r) => watcher.once('exit', r));
    let states = '';
    watcher.stdout?.on('data', (b: Buffer) => (states += b.toString()));
    watcher.kill('SIGTERM');
    await exited;
    note(
      `footprint: 3 monitored llama-server services probed every ${PROBE_INTERVAL_S} s, ${durationS} s window; ` +
        `peak RSS ${(wMax / 1024).toFixed(1)} MB vs ${(bMax / 1024).toFixed(1)} MB bare: +${((wMax - bMax) / 1024).toFixed(1)} MB (goal <= +15 MB); ` +
        `same modules loaded, nothing watched: ${(loadedKb / 1024).toFixed(1)} MB (so +${((loadedKb - bMax) / 1024).toFixed(1)} MB is code, ` +
        `+${((wMax - loadedKb) / 1024).toFixed(1)} MB the services); CPU +${(wCpu - bCpu).toFixed(3)} % of one core (goal < 0.5 %); watcher saw: ${states.trim().replace(/^ready\s*/, '')}`,
    );
    return [figure('footprint-rss', wMax / 1024, 'MB', bMax / 1024), figure('footprint-cpu', wCpu, '%', bCpu)];
  } finally {
    if (watcher.exitCode === null) watcher.kill('SIGKILL');
    bare.kill('SIGKILL');
    loaded.kill('SIGKILL');
    await stopAll(servers);
  }
}
