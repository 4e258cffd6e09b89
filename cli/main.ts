#!/usr/bin/env node
// Entry point of the `acode` binary: wires the real process to runCli and sets the exit code.
import { runCli } from './run.js';

const controller = new AbortController();
// First Ctrl-C cancels the running command cleanly (exit 130); a second one exits at once.
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});

process.exitCode = await runCli(process.argv, { signal: controller.signal });
