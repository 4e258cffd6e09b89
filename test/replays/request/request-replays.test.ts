// Every test/replays/request/*.json file: its scripted actor outcomes and stream events must take the
// request machine through exactly its expected path; together they cover every transition of the chart.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requestMachine } from '../../../machines/index.js';
import { runRequestReplay, type RequestReplayFile } from './runner.js';

const here = dirname(fileURLToPath(import.meta.url));
const replays = readdirSync(here)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, replay: JSON.parse(readFileSync(join(here, file), 'utf8')) as RequestReplayFile }));

// Every transition of the chart as "from -> to", read off the machine definition itself.
function chartTransitions(): string[] {
  const out = new Set<string>();
  for (const [name, node] of Object.entries(requestMachine.root.states)) {
    for (const list of node.transitions.values()) {
      for (const t of list)
        for (const target of t.target ?? []) if (target.key !== name || t.reenter) out.add(`${name} -> ${target.key}`);
    }
  }
  return [...out].sort();
}

describe('request machine replays', () => {
  for (const { file, replay } of replays) {
    it(`${file}: ${replay.name}`, async () => {
      const result = await runRequestReplay(replay);
      expect(result.states).toEqual(replay.expect.states);
      expect(result.stepMismatches).toEqual([]);
      if (replay.expect.emitted) expect(result.emitted).toEqual(replay.expect.emitted);
      if (replay.expect.attempts) expect(result.attempts).toEqual(replay.expect.attempts);
      const { errorMessage, ...output } = replay.expect.output;
      expect(result.output).toMatchObject(output);
      if (errorMessage) expect(result.output.errorMessage).toContain(errorMessage.$contains);
    });
  }

  it('cover every transition of the chart', () => {
    const covered = new Set(replays.flatMap(({ replay }) => replay.covers.map((c) => c.replace(/ \(.*\)$/, ''))));
    expect(chartTransitions().filter((t) => !covered.has(t))).toEqual([]);
  });
});
