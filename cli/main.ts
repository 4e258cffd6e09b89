#!/usr/bin/env node
// Entry point of the `acode` binary: wires the real process to runCli and sets the exit code.
import { runCli } from './run.js';
import { OutputClosed } from './output/index.js';

const controller = new AbortController();
// A closed stdout/stderr (acode demo | head -3) is an 'error' event on the stream; unhandled, Node
// prints a stack trace and dies before the command can clean up. Writes after it are dropped by the
// destroyed stream; the command is cancelled and runCli ends it quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (!controller.signal.aborted) controller.abort(new OutputClosed({ cause: error }));
  });
}
// The first Ctrl-C (or SIGTERM, e.g. from a supervisor or `kill`) cancels the running command cleanly,
// so the registry is disposed and stop_on_exit servers are stopped; a second one exits at once.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    controller.abort();
    process.once(signal, () => process.exit(code));
  });
}

process.exitCode = await runCli(process.argv, { signal: controller.signal });
