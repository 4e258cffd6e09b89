// `acode replay FILE.jsonl`: plays a --record recording back against the service machine and checks
// that the same state path comes out; prints each service's timeline. `--to-json` writes one service
// as a test/replays/*.json file, so an incident becomes a regression test.
import type { CommandRegistrar } from '../deps.js';
import type { ReplayOptions } from './replay-actions.js';

// The actions and everything they import load on first use, not at start-up.
const actions = () => import('./replay-actions.js');

export const replayCommand: CommandRegistrar = (program, deps) => {
  program
    .command('replay')
    .description('replay a --record recording against the state machines and check the same state path comes out')
    .argument('<file>', 'a recording written by `acode --record FILE.jsonl <command>`')
    .option('--service <id>', "replay (or convert) only this provider's service")
    .option('--json', 'print the result per service as JSON')
    .option('--to-json <out>', 'also write the service as a test/replays/*.json regression test')
    .option('--name <text>', 'the name of the written replay test')
    .action(async (file: string, opts: ReplayOptions) => (await actions()).replay(deps, file, opts));
};
