// The README's "Use it as a library" example, run exactly as printed: the block is cut out of README.md,
// written into a temp project that resolves the package by name (node_modules/acode-provider-orchestration
// -> this checkout, built), and run with node against the vLLM stand-in, which the example's registry
// starts and, with stop_on_exit, stops. A .ts copy is type-checked against the package's declarations.
// Build first: npm run build
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedChat, freePort } from '../servers/harness.js';
import { portFree, project, providerYaml, type Project } from '../e2e/project.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const MODEL = 'meta-llama/Llama-2-7b-hf';

/** The first ```js block under the README's "Use it as a library" heading. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Use it as a library\n'));
  const block = section && /^```js\n([\s\S]*?)^```$/m.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ```js block under "## Use it as a library"');
  return block;
}

function run(
  file: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Bounded: a hung example fails the test instead of hanging it.
    execFile(file, args, { cwd, env, timeout: 90_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** A temp project whose node_modules resolves the package (and, for tsc, @types/node) from this checkout. */
async function libraryProject(yaml: string): Promise<Project> {
  for (const built of ['dist/index.js', 'dist/index.d.ts']) {
    if (!existsSync(join(REPO, built))) throw new Error(`${built} is missing: build first with \`npm run build\``);
  }
  const p = await project(yaml);
  await mkdir(join(p.dir, 'node_modules', '@types'), { recursive: true });
  await symlink(REPO, join(p.dir, 'node_modules', 'acode-provider-orchestration'), 'dir');
  await symlink(join(REPO, 'node_modules', '@types', 'node'), join(p.dir, 'node_modules', '@types', 'node'), 'dir');
  await writeFile(join(p.dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  return p;
}

let projects: Project[] = [];
afterEach(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
  projects = [];
});

describe('README: Use it as a library', { timeout: 120_000 }, () => {
  it('runs as printed: the registry starts the server, reports its states, answers, and stops it', async () => {
    const port = await freePort();
    const p = await libraryProject(
      `providers:\n  active: vllm\n${providerYaml('vllm', { model: MODEL, port }, { stop_on_exit: true })}`,
    );
    projects.push(p);
    await writeFile(join(p.dir, 'example.mjs'), readmeExample());

    const r = await run(process.execPath, ['example.mjs'], p.dir, p.env);

    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const answer = expectedChat({ model: MODEL, messages: [{ role: 'user', content: 'Say hi' }] }).text;
    expect(r.stdout).toBe(
      ['vllm: detecting', 'vllm: starting', 'vllm: healthy', answer, 'vllm: stopping', 'vllm: stopped', ''].join('\n'),
    );
    // dispose() stopped the server it started (stop_on_exit): no live pid file, nothing on the port.
    expect(p.startedPids()).toEqual([]);
    expect(await portFree(port)).toBe(true);
  });

  it('type-checks as TypeScript against the package declarations', async () => {
    const p = await libraryProject('');
    projects.push(p);
    await writeFile(join(p.dir, 'example.ts'), readmeExample());
    await writeFile(
      join(p.dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['example.ts'],
      }),
    );
    const r = await run(
      process.execPath,
      [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      p.dir,
      p.env,
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
