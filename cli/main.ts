#!/usr/bin/env node
// Entry point of the `acode` binary: wires the real process to runCli and sets the exit code.
import { runCli } from './run.js';

const controller = new AbortController();
// The first Ctrl-C (or SIGTERM, e.g. from a supervisor or `kill`) cancels the running command cleanly,
// so the registry is disposed and stop_on_exit servers are stopped; a second one exits at once.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    controller.abort();
    process.once(signal, () => process.exit(code));
  });
}

process.exitCode = await runCli(process.argv, { signal: controller.signal });
