// Every test/replays/*.json file: its scripted events must produce exactly its expected state path.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pick, runReplay } from './runner.js';
import type { ReplayFile } from './runner.js';

const isContains = (v: unknown): v is { $contains: string } =>
  typeof v === 'object' && v !== null && typeof (v as { $contains?: unknown }).$contains === 'string';

const here = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('service machine replays', () => {
  it('has replay files', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    const replay = JSON.parse(readFileSync(join(here, file), 'utf8')) as ReplayFile;
    it(`${file}: ${replay.name}`, async () => {
      const result = await runReplay(replay);
      expect(result.states).toEqual(replay.expect.states);
      expect(result.stepMismatches).toEqual([]);
      for (const [path, value] of Object.entries(replay.expect.final ?? {})) {
        const actual = pick(result.final, path);
        if (isContains(value)) expect(String(actual), path).toContain(value.$contains);
        else expect({ path, value: actual }).toEqual({ path, value });
      }
      for (const [name, n] of Object.entries(replay.expect.invocations ?? {})) {
        expect({ name, n: result.invocations[name] ?? 0 }).toEqual({ name, n });
      }
    });
  }
});
