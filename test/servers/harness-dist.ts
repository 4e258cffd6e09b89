// The built stand-ins, copied to a private, content-keyed directory the shims run from, so a concurrent
// `tsc` rewriting dist/ (other engineers build the same tree) cannot hand a starting child a half file.

import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

let snapshot: string | null = null;

function readComplete(file: string): Buffer {
  // Other builds rewrite dist/ concurrently (truncate, then write): wait until the file reads whole.
  for (let attempt = 0; ; attempt++) {
    const buf = readFileSync(file);
    if ((buf.length > 0 && buf[buf.length - 1] === 0x0a) || attempt >= 50) return buf;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

/**
 * Checks dist/ is built and current, then copies dist/test/servers to a private directory the shims run
 * from (ACODE_TEST_SERVERS_DIR), so a concurrent `tsc` rewriting dist/ cannot hand a child a half file.
 */
export function serversSnapshot(repoRoot: string): string {
  if (snapshot !== null) return snapshot;
  const src = join(repoRoot, 'test', 'servers');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? e.name === 'bin'
          ? []
          : walk(join(dir, e.name))
        : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.startsWith('harness')
          ? [join(dir, e.name)]
          : [],
    );
  const files = new Map<string, Buffer>();
  for (const file of walk(src)) {
    const out = join(repoRoot, 'dist', relative(repoRoot, file)).replace(/\.ts$/, '.js');
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(file).mtimeMs) {
      throw new Error(
        `harness: ${relative(repoRoot, out)} is missing or older than its source; run \`npx tsc -p tsconfig.json\` first`,
      );
    }
    files.set(relative(src, file).replace(/\.ts$/, '.js'), readComplete(out));
  }
  // Keyed by content: every worker of a run shares one copy, and reruns reuse it instead of piling up.
  const hash = createHash('sha256');
  for (const [name, buf] of [...files].sort(([a], [b]) => a.localeCompare(b))) hash.update(name).update(buf);
  const dest = join(tmpdir(), `acode-servers-dist-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(join(dest, 'package.json'))) {
    const staging = mkdtempSync(join(tmpdir(), 'acode-servers-staging-'));
    for (const [name, buf] of files) {
      mkdirSync(dirname(join(staging, name)), { recursive: true });
      writeFileSync(join(staging, name), buf);
    }
    writeFileSync(join(staging, 'package.json'), '{"type":"module"}\n');
    try {
      renameSync(staging, dest);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another worker got there first
    }
  }
  snapshot = dest;
  return dest;
}
