// The optional client subcommands of the fake `ollama` (`list`, `ps`, `pull`), talking to OLLAMA_HOST over
// loopback like the real CLI, with its table layout and its connection error.

import { loopbackHost } from './lib/http-core.js';
import type { ProgressLine } from './ollama-cli-types.js';

function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd((widths[c] ?? 0) + 4))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

async function call(base: string, path: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(`${base}${path}`, init);
  } catch {
    process.stderr.write("Error: could not connect to ollama server, run 'ollama serve' to start it\n");
    process.exit(1);
  }
}

/** Runs `ollama list|ps|pull <model>` against host:port; returns the exit code. */
export async function runClient(command: string, args: string[], host: string, port: number): Promise<number> {
  const bind = loopbackHost(host === '0.0.0.0' ? '127.0.0.1' : host);
  if (bind === null) {
    process.stderr.write(`ollama (acode fake): refusing to connect to ${host}: loopback only\n`);
    return 2;
  }
  const base = `http://${bind.includes(':') ? `[${bind}]` : bind}:${port}`;
  if (command === 'list' || command === 'ls' || command === 'ps') {
    const res = await call(base, command === 'ps' ? '/api/ps' : '/api/tags');
    const body = (await res.json()) as {
      models: { name: string; digest: string; size: number; modified_at?: string; expires_at?: string }[];
    };
    const head = command === 'ps' ? ['NAME', 'ID', 'SIZE', 'PROCESSOR', 'UNTIL'] : ['NAME', 'ID', 'SIZE', 'MODIFIED'];
    const rows = body.models.map((m) =>
      command === 'ps'
        ? [m.name, m.digest.slice(0, 12), humanSize(m.size), '100% CPU', m.expires_at ?? '']
        : [m.name, m.digest.slice(0, 12), humanSize(m.size), m.modified_at ?? ''],
    );
    process.stdout.write(`${table([head, ...rows])}\n`);
    return 0;
  }
  if (command === 'pull') {
    const model = args[0];
    if (!model) {
      process.stderr.write('Error: accepts 1 arg(s), received 0\n');
      return 1;
    }
    const res = await call(base, '/api/pull', { method: 'POST', body: JSON.stringify({ model, stream: true }) });
    const text = await res.text();
    for (const line of text.split('\n').filter((l) => l !== '')) {
      const p = JSON.parse(line) as ProgressLine;
      if (p.error) {
        process.stderr.write(`Error: ${p.error}\n`);
        return 1;
      }
      if (p.total && p.completed === p.total)
        process.stdout.write(`${p.status} 100% ▕████████████████▏ ${humanSize(p.total)}\n`);
      else if (!p.total) process.stdout.write(`${p.status}\n`);
    }
    return 0;
  }
  process.stderr.write(`Error: unknown command "${command}" for "ollama"\n`);
  return 1;
}
