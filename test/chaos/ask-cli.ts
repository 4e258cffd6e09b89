#!/usr/bin/env node
// `acode` with the ask command, for the chaos suite while cli/run.ts does not register it yet: the same
// runCli, the same COMMANDS, plus askCommand (a no-op once it is registered). Mirrors cli/main.ts.
import { askCommand } from '../../cli/commands/ask.js';
import { COMMANDS, runCli } from '../../cli/run.js';

const controller = new AbortController();
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});
const commands = COMMANDS.includes(askCommand) ? COMMANDS : [...COMMANDS, askCommand];
process.exitCode = await runCli(process.argv, { signal: controller.signal, commands });
